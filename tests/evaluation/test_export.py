"""The evaluation table as XLSX, from the page and from the API: reopened with openpyxl
and checked against hand-counted figures and against the page's own rows."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from typing import Any

from openpyxl import load_workbook

from case_support import City
from yiwang.cases.models import Case
from yiwang.org import actions as org_actions

QUERY = {"subject": "inspector", "period": "month", "day": "2026-03-15"}


class _Table(HTMLParser):
    """The text of each body row's cells of #evaluation-table."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = self.in_body = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("id", "evaluation-table") in attrs:
            self.inside = True
        elif self.inside and tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append([])
        elif self.in_body and tag == "td":
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "table":
            self.inside = self.in_body = False

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def _page_rows(client: Any) -> list[list[str]]:
    parser = _Table()
    parser.feed(client.get("/evaluation/", QUERY).content.decode())
    return parser.rows


def _sheet(content: bytes) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(content))
    (sheet,) = book.worksheets
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _same(shown: str, value: Any, percent: bool = False) -> bool:
    """The page's text ("66.67%", "90.00", "无数据", "E") says the file's value."""
    if isinstance(value, str):
        return shown == value
    if percent:
        return shown.endswith("%") and float(shown[:-1]) == value
    return float(shown) == value


def test_page_export_matches_page_rows(
    client: Any, city: City, public_march: dict[str, Case]
) -> None:
    # A name that a spreadsheet would run as a formula must arrive as text.
    org_actions.create_staff(
        city.root,
        username="inspector-formula",
        password="test-pass-123",
        role="inspector",
        division_code="440304002001",
        display_name="=HYPERLINK(1)",
    )
    client.force_login(city.users["leader"])
    page_rows = _page_rows(client)
    response = client.get("/evaluation/export/", QUERY)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    header, *lines = _sheet(response.content)
    assert header == [
        "排名", "名称", "得分", "等级", "上期得分（环比）", "上年同期得分（同比）",
        "上报数", "有效上报数", "漏报数", "核实数", "核查数",
        "有效上报率（%）", "漏报率（%）", "按时核实率（%）", "按时核查率（%）",
        "统计周期", "考核方案",
    ]  # fmt: skip
    a_name = city.users["inspector"].username
    b_name = city.inspector_b.username
    # Hand-counted (test_inspector_operator.py): B 90 A, A 73.33 C; the newcomer in street
    # B's community has p6 as 漏报 and nothing else → 0, E. February: nobody had a
    # score except B (b0 reported and checked on time: 100) → 环比 100 for B, 无数据 for A.
    by_name = {line[1]: line for line in lines}
    assert [line[1] for line in lines] == [b_name, a_name, "'=HYPERLINK(1)"]
    assert by_name[b_name][:6] == [1, b_name, 90, "A", 100, "无数据"]
    assert by_name[a_name][:6] == [2, a_name, 73.33, "C", "无数据", "无数据"]
    assert by_name[a_name][6:11] == [6, 4, 2, 3, 2]
    assert by_name[a_name][11:15] == [66.67, 33.33, 66.67, 100]
    assert by_name[a_name][15:] == ["2026年3月", "yiwang-default@1"]
    formula = by_name["'=HYPERLINK(1)"]
    assert formula[:4] == [3, "'=HYPERLINK(1)", 0, "E"]
    assert formula[11:15] == ["无数据", 100, "无数据", "无数据"]
    # The file holds what the page shows, row by row and cell by cell.
    assert len(page_rows) == len(lines)
    for shown, line in zip(page_rows, lines, strict=True):
        assert shown[0] == str(line[0]) and shown[1] == line[1].removeprefix("'")
        assert _same(shown[2], line[2]) and _same(shown[3], line[3])
        assert shown[6:11] == [str(n) for n in line[6:11]]
        assert all(
            _same(s, v, percent=True) for s, v in zip(shown[11:15], line[11:15], strict=True)
        )


def test_api_export(client: Any, city: City, public_march: dict[str, Case]) -> None:
    client.force_login(city.users["leader"])
    response = client.get("/api/evaluation/operator/xlsx", {"period": "month", "day": "2026-03-15"})
    assert response.status_code == 200
    assert re.search(r"evaluation-operator-20260301\.xlsx", response["Content-Disposition"])
    header, line = _sheet(response.content)
    assert header[6:11] == [
        "受理数",
        "派发核实数",
        "派发核查数",
        "核实按时派发率（%）",
        "核查按时派发率（%）",
    ]
    # 受理 10, 派发核实 4 (3 in time), 派发核查 3 (all in time) → 65, C.
    assert line[:4] == [1, city.users["operator"].username, 65, "C"]
    assert line[6:11] == [10, 4, 3, 75, 100]
    # Refusals are the JSON endpoint's: a handler may not read evaluations.
    client.force_login(city.users["handler"])
    refused = client.get("/api/evaluation/operator/xlsx")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden_role"
    assert client.get("/evaluation/export/", QUERY).status_code == 403


def test_export_link_of_the_first_visit(client: Any, city: City, march: dict[str, Case]) -> None:
    """The page opened without a query shows this month's street ranking; its export link
    carries those choices (it used to carry none and be refused)."""
    client.force_login(city.users["leader"])
    page = client.get("/evaluation/").content.decode()
    href = re.search(r'href="(/evaluation/export/\?[^"]*)" id="evaluation-export"', page)
    assert href is not None
    link = href.group(1).replace("&amp;", "&")
    assert "subject=region" in link and "period=month" in link
    response = client.get(link)
    assert response.status_code == 200
    assert _sheet(response.content)[0][:4] == ["排名", "名称", "得分", "等级"]
