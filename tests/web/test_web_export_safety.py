"""Exports must not turn text typed by the public into spreadsheet formulas."""

import csv
import io

from openpyxl import load_workbook

from yiwang.web.lists import export_response

ROWS = [['=HYPERLINK("http://x","点我")', "+1", "正常标题", None, 12]]


def test_xlsx_keeps_formula_like_text_as_text() -> None:
    response = export_response("xlsx", "t", ["a", "b", "c", "d", "e"], ROWS)
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [c.value for c in sheet[2]]
    assert values[0] == '\'=HYPERLINK("http://x","点我")'
    assert sheet.cell(row=2, column=1).data_type == "s"
    assert values[1:] == ["'+1", "正常标题", None, 12]


def test_csv_defuses_formula_like_text() -> None:
    response = export_response("csv", "t", ["a", "b", "c", "d", "e"], ROWS)
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert rows[1] == ['\'=HYPERLINK("http://x","点我")', "'+1", "正常标题", "", "12"]


# Characters XML 1.0 forbids, a lone surrogate and a surrogate pair written as two code
# points: what a spreadsheet gets instead (U+FFFD marks each replaced character).
HOSTILE = ["a\x1bb\x0bc\x00d", "\ud800x", "\ud83d\ude00", "\x1b=cmd()", "\ufffe"]
EXPECTED = ["a\ufffdb\ufffdc\ufffdd", "\ufffdx", "\U0001f600", "\ufffd=cmd()", "\ufffd"]


def test_xlsx_replaces_characters_xml_forbids() -> None:
    response = export_response("xlsx", "t", ["a", "b", "c", "d", "e"], [HOSTILE])
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[2]] == EXPECTED


def test_csv_streams_the_same_replaced_text() -> None:
    response = export_response("csv", "t", ["a", "b", "c", "d", "e"], [HOSTILE])
    assert response.streaming
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert rows[1] == EXPECTED
