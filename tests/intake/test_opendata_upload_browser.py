"""In a real browser: a 系统管理员 uploads a 311 slice, a bad time zone is refused next to its
field, and the job page turns from its progress bar into the counts once the worker ran."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from yiwang.cli import main as yiwang
from yiwang.intake.models import OpenDataImportJob

SF = Path("/work/shared/corpora/311/sf-311-cases-sample.csv")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_upload_progress_then_counts(
    browser_page: Any, live_server: Any, make_user: Any, org_tree: Any, tmp_path: Path
) -> None:
    admin = make_user("admin", "440304")
    part = pd.read_csv(SF, dtype=str, keep_default_na=False).iloc[::100]
    upload = tmp_path / "sf-every-100.csv"
    part.to_csv(upload, index=False)
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{live_server.url}/intake/opendata/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", "test-pass-123")
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{live_server.url}/intake/opendata/")

    def fill(tz: str) -> None:
        page.set_input_files("#id_file", str(upload))
        page.fill("#id_city", "440304901")
        page.fill("#id_name", "旧金山")
        page.fill("#id_tz", tz)
        page.click("#opendata-form button[type=submit]")

    fill("San Francisco")
    page.wait_for_selector("#error-tz")
    assert "未知的时区" in page.inner_text("#field-tz")
    page.screenshot(path="/tmp/opendata-upload-refused.png", full_page=True)
    assert not OpenDataImportJob.objects.exists()

    fill("America/Los_Angeles")
    job = OpenDataImportJob.objects.get()
    page.wait_for_url(f"{live_server.url}/intake/opendata/{job.pk}/")
    assert "排队中" in (page.text_content("#opendata-job") or "")
    assert page.locator("#opendata-job progress").count() == 1
    page.screenshot(path="/tmp/opendata-upload-queued.png", full_page=True)

    yiwang(["worker", "--batch"])

    # The page asks every second and shows the counts without a reload.
    page.wait_for_selector("#opendata-counts", timeout=30_000)
    job.refresh_from_db()
    created = job.result["counts"]["created"]
    assert page.inner_text("td[data-count=created]") == str(created)
    assert created == ((part["Lat"] != "NA") & (part["Lat"] != "")).sum()
    assert page.locator("#opendata-job progress").count() == 0
    page.screenshot(path="/tmp/opendata-upload-done.png", full_page=True)
    assert errors == []
