"""A leader in Chromium: picks a period and a subject kind on /evaluation/, reads the ranked
table with grades, downloads the XLSX; then opens a street's responsibility list."""

from __future__ import annotations

import os
from typing import Any

import pytest
from openpyxl import load_workbook

from case_support import City
from yiwang.cases.models import Case

PASSWORD = "test-pass-123"
SHOTS = "/tmp/yw-evaluation"


def sign_in(page: Any, base: str, user: Any, target: str) -> None:
    page.goto(f"{base}/login/?next={target}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]:has-text('登录')")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_leader_ranks_inspectors_and_downloads(
    browser_page: Any,
    live_server: Any,
    city: City,
    march: dict[str, Case],
    public_march: dict[str, Case],
) -> None:
    page, base = browser_page, live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, base, city.users["leader"], "/evaluation/")
    assert page.url.endswith("/evaluation/")
    assert page.locator("#id_level").is_visible()  # regions are ranked by level
    page.select_option("#id_subject", "inspector")
    assert page.locator("#id_level").is_hidden()  # …people are not
    page.select_option("#id_period", "month")
    page.fill("#id_day", "2026-03-15")
    with page.expect_navigation():
        page.click("#evaluation-form button[type=submit]")
    assert "2026年3月" in page.inner_text(".evaluation-meta")
    assert page.locator("#id_level").is_hidden()
    rows = page.locator("#evaluation-table tbody tr")
    # Hand-counted in test_inspector_operator.py: B 90.00 A first, A 73.33 C second.
    assert rows.count() == 2
    first = rows.nth(0).locator("td").all_inner_texts()
    second = rows.nth(1).locator("td").all_inner_texts()
    assert first[:4] == ["1", city.inspector_b.username, "90.00", "A"]
    assert second[:4] == ["2", city.users["inspector"].username, "73.33", "C"]
    assert second[6:11] == ["6", "4", "2", "3", "2"]
    assert second[11:] == ["66.67%", "33.33%", "66.67%", "100.00%"]
    # The table fits the page at 1280 px: no horizontal scrolling of the whole page.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/evaluation-inspectors.png", full_page=True)

    with page.expect_download() as info:
        page.click("#evaluation-export")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = f"{SHOTS}/{download.suggested_filename}"
    download.save_as(saved)
    sheet = load_workbook(saved).worksheets[0]
    lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert [line[:4] for line in lines[1:]] == [
        [1, city.inspector_b.username, 90, "A"],
        [2, city.users["inspector"].username, 73.33, "C"],
    ]

    page.click("a:has-text('责任清单')")
    page.wait_for_selector("#responsibility-table")
    page.select_option("#id_street", "440304001")
    with page.expect_navigation():
        page.click("#responsibility-form button[type=submit]")
    numbers = page.locator("#responsibility-table tbody tr").evaluate_all(
        "(rows) => rows.map((r) => r.dataset.number)"
    )
    # Street A's open problems, most urgent first (test_responsibility.py).
    cases = {**march, **public_march}
    assert numbers == [cases[k].number for k in ("a3", "p1", "i1", "p4")]
    assert page.locator("#responsibility-table .light-red").count() == 4
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=f"{SHOTS}/responsibility.png", full_page=True)
    assert errors == []
