"""In a real browser: a large Excel export is queued, its page follows the worker's
progress by itself and offers the file when it is ready."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from case_steps import Loop
from openpyxl import load_workbook

from case_support import City
from yiwang.cli import main as yiwang

WAIT_MS = 20_000


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_background_export_page_shows_the_download_when_the_worker_is_done(
    browser_page: Any, live_server: Any, city: City, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXPORT_IMMEDIATE_ROWS = 1
    loop = Loop(city)
    made = {loop.report(title=f"南园{i}").number for i in range(2)}
    operator = city.users["operator"]
    page, base = browser_page, live_server.url
    page.goto(f"{base}/login/?next=/cases/search/")
    page.fill("#id_username", operator.username)
    page.fill("#id_password", "test-pass-123")
    with page.expect_navigation(url=f"{base}/cases/search/", timeout=WAIT_MS):
        page.click("button[type=submit]:has-text('登录')")

    page.click("#case-count ~ .exports a:has-text('Excel')")
    page.wait_for_selector("text=共 2 条记录", timeout=WAIT_MS)
    page.click("button:has-text('在后台生成 Excel')")
    page.wait_for_selector("#export-job[data-state=queued]", timeout=WAIT_MS)
    assert page.locator("progress.export-progress").count() == 1

    yiwang(["worker", "--batch"])

    # No reload: the page asks for the job's state every second and swaps it in.
    link = page.wait_for_selector("a:has-text('下载 Excel（2 行）')", timeout=WAIT_MS)
    with page.expect_download(timeout=WAIT_MS) as download:
        link.click()
    assert download.value.suggested_filename.startswith("cases-")
    saved = tmp_path / "cases.xlsx"
    download.value.save_as(saved)
    rows = list(load_workbook(saved, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert {row[0] for row in rows[1:]} == made
