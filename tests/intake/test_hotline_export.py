"""A street's daily problem list in the work-order format (东莞's practice), JSONL and XLSX."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from openpyxl import load_workbook

from case_support import POINT_A, POINT_B, City
from yiwang.cases import actions as case_actions
from yiwang.cases.models import Case
from yiwang.intake.schemas.hotline import HotlineOrderIn

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _report(city: City, point: tuple[float, float], at: datetime, **fields: Any) -> Case:
    return case_actions.report_case(
        city.users["operator"],
        kind="matter",
        type_code=fields.pop("type_code", "06010"),
        title=fields.pop("title", "路口垃圾"),
        lon=point[0],
        lat=point[1],
        source=fields.pop("source", "hotline"),
        now=at,
        **fields,
    )


@pytest.fixture
def day_of_cases(city: City) -> dict[str, Case]:
    return {
        # Street A (南园街道) on 1 December, early morning and late evening (Beijing time).
        "a_morning": _report(
            city,
            POINT_A,
            datetime(2026, 12, 1, 0, 5, tzinfo=SHANGHAI),
            address="华强南路",
            contact_phone="13800138000",
            contact_name="张先生",
        ),
        "a_evening": _report(
            city, POINT_A, datetime(2026, 12, 1, 23, 55, tzinfo=SHANGHAI), source="public"
        ),
        # Street A the next day, street B the same day: not on the list.
        "a_next_day": _report(city, POINT_A, datetime(2026, 12, 2, 0, 5, tzinfo=SHANGHAI)),
        "b_same_day": _report(city, POINT_B, datetime(2026, 12, 1, 12, 0, tzinfo=SHANGHAI)),
    }


@pytest.mark.django_db
def test_the_daily_list_of_a_street_is_jsonl_in_the_order_format(
    city: City, day_of_cases: dict[str, Case]
) -> None:
    client = Client()
    client.force_login(city.users["operator"])
    response = client.get(
        "/intake/hotline/daily/", {"street": "440304001", "date": "2026-12-01", "format": "jsonl"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-ndjson")
    assert "daily-440304001-20261201.jsonl" in response["Content-Disposition"]
    lines = b"".join(response.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    records = [json.loads(line) for line in lines]
    expected = [day_of_cases["a_morning"].number, day_of_cases["a_evening"].number]
    assert [r["order_id"] for r in records] == expected
    first = records[0]
    # The same format a hotline sends: another system can import it as it is.
    order = HotlineOrderIn.model_validate(first)
    assert order.received_at == datetime(2026, 12, 1, 0, 5, tzinfo=SHANGHAI)
    assert (order.category, order.address, order.crs) == ("06010", "华强南路", "wgs84")
    assert (order.lon, order.lat) == POINT_A
    assert first["case"]["street_name"] == "南园街道" and first["case"]["state"] == "reported"
    # The caller is private: neither the name nor the number leaves the platform.
    text = "\n".join(lines)
    assert "13800138000" not in text and "张先生" not in text


@pytest.mark.django_db
def test_the_daily_list_as_xlsx_and_through_the_api(
    city: City, day_of_cases: dict[str, Case]
) -> None:
    client = Client()
    client.force_login(city.users["operator"])
    response = client.get(
        "/intake/hotline/daily/", {"street": "440304001", "date": "2026-12-01", "format": "xlsx"}
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert "工单编号 order_id" in rows[0] and "案卷号 case.number" in rows[0]
    assert not any("caller" in str(h) for h in rows[0])
    assert len(rows) == 3  # header + two cases

    api = client.get("/api/intake/hotline/daily", {"street": "440304001", "date": "2026-12-01"})
    assert api.status_code == 200
    assert [r["order_id"] for r in api.json()] == [r[0] for r in rows[1:]]


@pytest.mark.django_db
def test_a_street_outside_ones_area_is_not_exported(
    city: City, day_of_cases: dict[str, Case]
) -> None:
    client = Client()
    client.force_login(city.inspector_b)  # street B's inspector
    response = client.get(
        "/intake/hotline/daily/", {"street": "440304001", "date": "2026-12-01", "format": "jsonl"}
    )
    assert response.status_code == 404
    api = client.get("/api/intake/hotline/daily", {"street": "440304001", "date": "2026-12-01"})
    assert api.status_code == 200 and api.json() == []
