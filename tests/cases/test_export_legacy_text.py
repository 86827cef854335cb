"""Exports of cases whose stored text no input path would accept today (issue 6, point 1).

Rows written before validation existed, or by another tool, may hold control characters
(ESC, vertical tab, NUL) or bytes that are not UTF-8. They are written here straight into
the table, as such legacy data would be, and every export must still succeed for everyone
whose scope covers them, with the offending characters replaced by U+FFFD.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from case_steps import Loop
from django.db import connection
from django.test import Client
from openpyxl import load_workbook

from case_support import City
from yiwang.cases.models import Case

URL = "/cases/search/export/"
R = "\ufffd"


def legacy_titles() -> tuple[str, str]:
    """A title with ESC, vertical tab and (where the database can store it) NUL, and what
    an export shows for it."""
    if connection.vendor == "sqlite":
        return "井盖\x1b[31m缺失\x0b\x00", f"井盖{R}[31m缺失{R}{R}"
    # PostgreSQL refuses NUL in text, so no legacy row can hold one there.
    return "井盖\x1b[31m缺失\x0b", f"井盖{R}[31m缺失{R}"


def store_legacy(case: Case, title: str, address: str) -> None:
    # Straight into the table: no action would accept these values any more.
    Case.objects.filter(pk=case.pk).update(title=title, address=address)


def csv_rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))


def xlsx_rows(content: bytes) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_control_characters_in_stored_cases_do_not_break_exports(
    client: Client, city: City, fmt: str
) -> None:
    loop = Loop(city)
    bad = loop.report(title="占位")
    good = loop.report(title="人行道破损", address="深南大道 1 号")
    title, shown_title = legacy_titles()
    store_legacy(bad, title, '=HYPERLINK("http://x")\x1b')
    client.force_login(city.users["operator"])

    response = client.get(URL, {"format": fmt, "sort": "number"})

    assert response.status_code == 200
    rows = xlsx_rows(response.content) if fmt == "xlsx" else csv_rows(response)
    header = list(rows[0])
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_number) == {bad.number, good.number}
    assert by_number[bad.number]["标题"] == shown_title
    # Still defused: the replaced text starts with "=", so it is kept as text.
    assert by_number[bad.number]["地址"] == f'\'=HYPERLINK("http://x"){R}'
    assert by_number[good.number]["标题"] == "人行道破损"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_text_that_is_not_utf8_in_sqlite_is_exported_replaced(
    client: Client, city: City, fmt: str
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL refuses invalid UTF-8 (and lone surrogates) on write")
    case = Loop(city).report(title="占位")
    # "地" then the bytes of a lone surrogate (U+D800 encoded as if it were a character):
    # what another tool could leave in an SQLite text column.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_case SET address = CAST(X'E59CB0EDA080' AS TEXT) WHERE id = %s",
            [case.pk],
        )
    client.force_login(city.users["operator"])

    response = client.get(URL, {"format": fmt})

    assert response.status_code == 200
    rows = xlsx_rows(response.content) if fmt == "xlsx" else csv_rows(response)
    row = dict(zip(rows[0], rows[1], strict=True))
    # Each of the three bytes that are not UTF-8 becomes one U+FFFD.
    assert row["地址"] == f"地{R}{R}{R}"
