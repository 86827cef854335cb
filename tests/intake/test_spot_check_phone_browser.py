"""In a phone-sized Chromium: a 重点监管 check task in 城管通 — listed nearest first, done with
发现问题 and a photo, then the report form opens at the spot with the note, and the report
filed from it is a case at the spot."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import h3
import pytest

from case_support import POINT_B, City, png
from yiwang.cases.models import Case
from yiwang.reports import actions
from yiwang.reports.models import SpotCheck

PHONE = {"width": 390, "height": 844}
SHOTS = "/tmp/yiwang-phone"
CELL = h3.latlng_to_cell(POINT_B[1], POINT_B[0], 9)


@pytest.fixture
def phone_b(chromium_path: str, live_server: Any) -> Iterator[Any]:
    """A phone at street B's grid (390×844, zh-CN, touch, GPS)."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    os.makedirs(SHOTS, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(
            locale="zh-CN",
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            geolocation={"latitude": POINT_B[1] + 0.0003, "longitude": POINT_B[0], "accuracy": 10},
            permissions=["geolocation"],
            service_workers="block",
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_check_that_finds_a_problem_leads_to_a_report_at_the_spot(
    phone_b: Any, live_server: Any, city: City
) -> None:
    page, base = phone_b, live_server.url
    actions.supervise(city.users["leader"], cell=CELL, frequency_days=7, reason="夜市占道反复")
    actions.generate_checks()
    check = SpotCheck.objects.get()

    page.goto(f"{base}/login/?next=/m/tasks/")
    page.fill("#id_username", city.inspector_b.username)
    page.fill("#id_password", "test-pass-123")
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{base}/m/tasks/")
    card = page.locator(f".spot-checks .task-card[data-check='{check.pk}']")
    card.wait_for()
    assert "夜市占道反复" in card.inner_text()
    assert "米" in card.locator(".task-distance").inner_text()  # from the phone's GPS
    page.screenshot(path=f"{SHOTS}/spot-check-list.png", full_page=True)

    card.locator("a").click()
    page.wait_for_url(f"{base}/m/checks/{check.pk}/")
    page.check("input[name=result][value=problem]")
    page.fill("#check-note", "摊贩又占道约 10 米")
    page.set_input_files(
        "#check-photo", files=[{"name": "scene.png", "mimeType": "image/png", "buffer": png(5)}]
    )
    page.wait_for_selector("#check-form .photo-previews img")
    page.screenshot(path=f"{SHOTS}/spot-check-form.png", full_page=True)
    page.click("#check-form button[type=submit]")

    # The report form at the spot's centre, the note as the description, no GPS asked.
    page.wait_for_url(f"{base}/m/?*")
    page.wait_for_function("() => document.querySelector('#position-text').dataset.lon")
    lat, lon = h3.cell_to_latlng(CELL)
    shown_lon = float(page.get_attribute("#position-text", "data-lon") or "nan")
    shown_lat = float(page.get_attribute("#position-text", "data-lat") or "nan")
    assert abs(shown_lon - lon) < 1e-6 and abs(shown_lat - lat) < 1e-6
    assert page.input_value("#description") == "摊贩又占道约 10 米"
    assert "重点监管核查发现问题" in page.inner_text("#report-saved")
    page.screenshot(path=f"{SHOTS}/spot-check-report.png", full_page=True)

    check.refresh_from_db()
    assert (check.result, check.done_by_id) == ("problem", city.inspector_b.pk)
    assert check.photo_type == "image/jpeg"  # made small on the phone (JPEG) before sending

    # The inspector picks the type and sends: an ordinary case at the spot.
    page.check("input[name=kind-filter][value=matter]")
    page.fill("#type-q", "占道")
    option = page.locator(".type-option[data-kind='matter']").first
    option.wait_for()
    option.click()
    page.click("#report-submit")
    page.wait_for_function("() => document.querySelector('#sent li') !== null")
    case = Case.objects.get()
    assert abs(case.lon - lon) < 1e-6 and abs(case.lat - lat) < 1e-6
    assert case.description == "摊贩又占道约 10 米"
