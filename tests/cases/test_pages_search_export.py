"""Exporting the case search to XLSX / CSV: headers, rows, Shanghai times, scope, the cap."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from case_steps import Loop, local
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from case_support import POINT_B, City
from yiwang.org.models import User

URL = "/cases/search/export/"


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def sheet_rows(content: bytes) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]


@pytest.fixture
def loop(city: City) -> Loop:
    return Loop(city)


def test_xlsx_export_of_the_current_filter(client: Client, city: City, loop: Loop) -> None:
    reported = local(2026, 3, 2, 9, 15)
    case = loop.report(title="人行道私搭乱建", address="深南大道 1 号", now=reported)
    case = loop.step(case, "accept")
    case = loop.step(case, "register")
    case = loop.step(case, "dispatch")
    loop.report(source="public", point=POINT_B, title="园东垃圾堆放")
    signed_in(client, city.users["operator"])

    response = client.get(URL, {"format": "xlsx", "street": "440304001"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert "attachment" in response["Content-Disposition"]
    rows = sheet_rows(response.content)
    header = rows[0]
    for title in ("案卷号", "类型", "小类", "标题", "来源", "紧急程度", "状态", "街道", "社区"):
        assert title in header
    for title in ("网格", "地址", "处置部门", "上报时间", "当前环节", "环节时限", "是否超期"):
        assert title in header
    assert "返工次数" in header
    assert len(rows) == 2  # the header and the one street-A case
    row = dict(zip(header, rows[1], strict=False))
    assert row["案卷号"] == case.number
    assert row["标题"] == "人行道私搭乱建"
    assert row["地址"] == "深南大道 1 号"
    assert row["来源"] == "监督员上报"
    assert row["状态"] == "待接收"
    assert row["街道"] == city.users["inspector"].division.name
    assert row["网格"] == "440304001001001"
    assert row["处置部门"] == "福田区市政设施管理中心"
    assert row["当前环节"] == "处置"
    assert row["返工次数"] == 0
    # Times are on the Shanghai wall clock.
    assert row["上报时间"] == datetime(2026, 3, 2, 9, 15)


def test_csv_export_and_scope(client: Client, city: City, loop: Loop) -> None:
    mine = loop.report(title="南园的问题")
    theirs = loop.report(source="public", point=POINT_B, title="园岭的问题")
    signed_in(client, city.users["inspector"])

    response = client.get(URL, {"format": "csv"})
    assert response.status_code == 200
    text = response.getvalue().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "案卷号"
    numbers = [r[0] for r in rows[1:]]
    assert numbers == [mine.number]
    assert theirs.number not in text

    xlsx = sheet_rows(client.get(URL, {"format": "xlsx"}).content)
    assert [r[0] for r in xlsx[1:]] == [mine.number]


def test_export_marks_overdue_cases(client: Client, city: City, loop: Loop) -> None:
    late = loop.report(title="早已超期", now=timezone.now() - timedelta(days=10))
    loop.report(title="刚刚上报")
    signed_in(client, city.users["operator"])
    rows = sheet_rows(client.get(URL, {"format": "xlsx", "overdue": "on"}).content)
    assert [r[0] for r in rows[1:]] == [late.number]
    header = rows[0]
    assert rows[1][header.index("是否超期")] == "是"


def test_export_refuses_bad_filters_and_formats(client: Client, city: City) -> None:
    signed_in(client, city.users["operator"])
    bad_range = client.get(
        URL, {"format": "xlsx", "date_from": "2026-03-05", "date_to": "2026-03-01"}
    )
    assert bad_range.status_code == 400
    assert "开始日期不能晚于结束日期" in bad_range.content.decode()
    assert client.get(URL, {"format": "pdf"}).status_code == 400


def test_export_cap_adds_a_note(
    client: Client, city: City, loop: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yiwang.cases.views import search as search_views

    made = [loop.report() for _ in range(3)]
    # The cap (50,000) is a module constant; 2 stands in for it here.
    monkeypatch.setattr(search_views, "EXPORT_LIMIT", 2)
    signed_in(client, city.users["operator"])
    response = client.get(URL, {"format": "xlsx"})
    rows = sheet_rows(response.content)
    assert len(rows) == 4  # header, 2 cases, the note
    assert {r[0] for r in rows[1:3]} <= {c.number for c in made}
    assert "仅导出了前 2 条" in rows[3][0]
    assert response["X-Export-Truncated"] == "2"


def test_export_queries_do_not_grow_with_rows(
    client: Client, city: City, loop: Loop, django_assert_max_num_queries: Any
) -> None:
    for _ in range(30):
        loop.drive("dispatched")
    signed_in(client, city.users["operator"])
    with django_assert_max_num_queries(10):
        rows = sheet_rows(client.get(URL, {"format": "xlsx"}).content)
    assert len(rows) == 31
