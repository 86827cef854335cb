"""Batch import of 12345 orders: JSON Lines and the XLSX template, all or nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from hotline_support import (  # noqa: F401  (fixtures)
    hotline_fixture,
    jsonl,
    order,
    post_batch,
)
from openpyxl import Workbook, load_workbook

from case_support import POINT_B, City
from yiwang.cases.models import Case
from yiwang.intake.models import HotlineOrder, HotlineSystem, Submission


def _rejected(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "import_rejected", body
    assert body["message"] and body["field"] == "file"
    return body["details"]["errors"]  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_a_batch_imported_twice_makes_no_duplicates(city: City, hotline: HotlineSystem) -> None:
    batch = jsonl(
        order("B-1"),
        order("B-2", lon=POINT_B[0], lat=POINT_B[1], address="深圳市福田区园岭街道八卦路"),
        order("B-3", located=False),
    )
    client = Client()
    first = post_batch(client, batch)
    assert first.status_code == 201, first.content
    assert (first.json()["created"], first.json()["awaiting_location"]) == (3, 1)
    second = post_batch(client, batch)
    assert second.status_code == 201
    assert second.json()["unchanged"] == 3 and second.json()["created"] == 0
    assert Case.objects.count() == 2
    assert Submission.objects.filter(channel="hotline").count() == 2
    assert HotlineOrder.objects.count() == 3
    numbers = {o["order_id"]: o["case_number"] for o in first.json()["orders"]}
    assert numbers == {o["order_id"]: o["case_number"] for o in second.json()["orders"]}
    assert Case.objects.get(number=numbers["B-2"]).street.code == "440304002"  # 园岭街道


@pytest.mark.django_db
def test_a_batch_with_a_changed_order_updates_only_that_one(
    city: City, hotline: HotlineSystem
) -> None:
    client = Client()
    post_batch(client, jsonl(order("C-1"), order("C-2")))
    again = post_batch(client, jsonl(order("C-1"), order("C-2", title="路口垃圾堆放（已扩大）")))
    assert again.status_code == 201
    assert (again.json()["unchanged"], again.json()["updated"]) == (1, 1)
    assert HotlineOrder.objects.get(order_id="C-2").title == "路口垃圾堆放（已扩大）"
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_malformed_jsonl_lines_are_reported_by_line_number_and_nothing_is_written(
    city: City, hotline: HotlineSystem
) -> None:
    good = jsonl(order("D-1")).decode()
    body = (
        good  # line 1
        + "\n"  # line 2: blank lines are skipped, but counted
        + '{"order_id": "D-3", "title": \n'  # line 3: broken JSON
        + "[1, 2]\n"  # line 4: not an object
        + jsonl(order("D-5", title="")).decode()  # line 5: blank title
        + jsonl(order("D-1")).decode()  # line 6: the same order id again
    ).encode()
    errors = _rejected(post_batch(Client(), body))
    by_line = {e["index"]: e for e in errors}
    assert sorted(by_line) == [3, 4, 5, 6]
    assert by_line[3]["code"] == "malformed_json" and "第 3 行" in by_line[3]["message"]
    assert by_line[4]["code"] == "not_an_object"
    assert by_line[5]["field"] == "title" and by_line[5]["ref"] == "D-5"
    assert by_line[6]["code"] == "duplicate_order" and "第 1 行" in by_line[6]["message"]
    assert HotlineOrder.objects.count() == 0 and Case.objects.count() == 0


@pytest.mark.django_db
def test_a_row_refused_while_filing_rolls_back_the_rows_before_it(
    city: City, hotline: HotlineSystem
) -> None:
    # Rows 1 and 3 are fine; row 2's point lies in no grid: found only when filing it.
    body = jsonl(order("E-1"), order("E-2", lon=113.0, lat=23.0), order("E-3"))
    errors = _rejected(post_batch(Client(), body))
    assert [(e["index"], e["ref"], e["code"]) for e in errors] == [(2, "E-2", "not_in_grid")]
    assert HotlineOrder.objects.count() == 0 and Case.objects.count() == 0


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
def test_the_downloaded_template_filled_in_imports(city: City, hotline: HotlineSystem) -> None:
    client = Client()
    client.force_login(city.users["operator"])
    template = client.get("/intake/hotline/template.xlsx")
    assert template.status_code == 200
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(template.content))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert "工单编号 order_id" in headers and "诉求地址 address" in headers
    assert book.sheetnames == ["工单", "说明"]
    # Replace the example row with two orders of our own, as an operator would.
    sheet.delete_rows(2)
    column = {h.split()[-1]: i for i, h in enumerate(headers)}

    def row(values: dict[str, Any]) -> list[Any]:
        cells: list[Any] = [None] * len(headers)
        for key, value in values.items():
            cells[column[key]] = value
        return cells

    sheet.append(
        row(
            {
                "order_id": 20261201001,  # Excel keeps a long number as a number
                "received_at": "2026-12-01 09:30",
                "category": "暴露垃圾",
                "title": "路口垃圾",
                "address": "深圳市福田区南园街道华强南路",
                "lon": 114.051,
                "lat": 22.541,
                "caller_phone": 13800138000,
                "urgency": "紧急",
            }
        )
    )
    sheet.append(
        row(
            {
                "order_id": "X-2",
                "received_at": "2026-12-01 10:00",
                "category": "噪声扰民",
                "title": "夜间施工噪声",
                "address": "深圳市福田区园岭街道",
            }
        )
    )
    buffer = io.BytesIO()
    book.save(buffer)
    response = post_batch(Client(), buffer.getvalue(), fmt="xlsx")
    assert response.status_code == 201, response.content
    assert (response.json()["created"], response.json()["awaiting_location"]) == (2, 1)
    first = HotlineOrder.objects.get(order_id="20261201001")
    assert first.payload["urgency"] == "urgent"
    assert first.payload["caller_phone"] == "13800138000"
    # A spreadsheet's time is Beijing time.
    assert first.payload["received_at"] == "2026-12-01T09:30:00+08:00"
    assert first.case is not None and first.case.type.code == "06010"
    assert HotlineOrder.objects.get(order_id="X-2").status == "awaiting_location"


@pytest.mark.django_db
def test_an_xlsx_with_a_bad_row_writes_nothing_and_names_the_row(
    city: City, hotline: HotlineSystem
) -> None:
    header = ["工单编号 order_id", "受理时间", "诉求分类编码", "标题", "诉求地址", "经度", "纬度"]
    good = [
        "F-1",
        "2026-12-01 09:30",
        "暴露垃圾",
        "路口垃圾",
        "深圳市福田区华强南路",
        114.051,
        22.541,
    ]
    bad_time = ["F-2", "昨天下午", "暴露垃圾", "路口垃圾", "深圳市福田区华强南路", 114.051, 22.541]
    bad_lat = [
        "F-3",
        "2026-12-01 09:30",
        "暴露垃圾",
        "路口垃圾",
        "深圳市福田区华强南路",
        114.051,
        222,
    ]
    errors = _rejected(post_batch(Client(), _xlsx([header, good, bad_time, bad_lat]), fmt="xlsx"))
    by_row = {e["index"]: e for e in errors}
    # Spreadsheet rows: the header is row 1, so the bad orders are rows 3 and 4.
    assert sorted(by_row) == [3, 4]
    assert by_row[3]["field"] == "received_at" and "第 3 行" in by_row[3]["message"]
    assert by_row[4]["field"] == "lat" and by_row[4]["ref"] == "F-3"
    assert HotlineOrder.objects.count() == 0 and Case.objects.count() == 0

    missing = post_batch(Client(), _xlsx([["标题", "诉求地址"], ["x", "y"]]), fmt="xlsx")
    assert missing.status_code == 400 and missing.json()["code"] == "import_missing_column"
    not_xlsx = post_batch(Client(), b"PK\x03\x04 not really a workbook", fmt="xlsx")
    assert not_xlsx.status_code == 400 and not_xlsx.json()["code"] == "bad_xlsx"
