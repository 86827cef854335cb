"""In a real browser: an operator uploads a large 12345 batch, watches the progress page and
sees it turn into the result once the worker has imported the batch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hotline_support import hotline_fixture, jsonl, many_orders  # noqa: F401  (fixtures)

from case_support import City
from yiwang.cli import main as yiwang
from yiwang.intake.models import HotlineImportJob, HotlineOrder, HotlineSystem


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_progress_page_turns_into_the_result_when_the_worker_is_done(
    browser_page: Any,
    live_server: Any,
    city: City,
    hotline: HotlineSystem,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.HOTLINE_BATCH_IMMEDIATE_ROWS = 5
    batch = tmp_path / "orders.jsonl"
    batch.write_bytes(jsonl(*many_orders(8, prefix="BR")))
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{live_server.url}/intake/hotline/import/")
    page.fill("#id_username", city.users["operator"].username)
    page.fill("#id_password", "test-pass-123")
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{live_server.url}/intake/hotline/import/")
    page.select_option("#id_system", str(hotline.pk))
    page.set_input_files("#id_file", str(batch))
    page.click("#import-form button[type=submit]")

    job = HotlineImportJob.objects.get()
    page.wait_for_url(f"{live_server.url}/intake/hotline/import/{job.pk}/")
    assert "排队中" in (page.text_content("#import-job") or "")
    assert page.locator("#import-job progress").count() == 1
    page.screenshot(path="/tmp/hotline-import-queued.png", full_page=True)

    yiwang(["worker", "--batch"])

    # The page asks for the job's state every second and shows the result without a reload.
    page.wait_for_selector("#import-result", timeout=20_000)
    assert "共 8 张工单，新建 8" in (page.text_content("#import-result") or "")
    assert page.locator("#import-orders tbody tr").count() == 8
    assert page.locator("#import-job progress").count() == 0
    page.screenshot(path="/tmp/hotline-import-done.png", full_page=True)
    assert HotlineOrder.objects.count() == 8
    assert errors == []
