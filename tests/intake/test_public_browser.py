"""On a phone-sized screen: a visitor reports a problem, gets the code and follows it."""

from __future__ import annotations

import struct
from typing import Any

import pytest

from case_support import POINT_A, City
from public_support import media, png
from yiwang.cases.models import Case, CasePhoto
from yiwang.intake.actions import open311 as open311_actions
from yiwang.intake.models import PublicService, Submission

__all__ = ["media"]  # the autouse fixture

PHONE = {"width": 390, "height": 844}


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame segment, read by hand."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    i = 2
    while i < len(data):
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    raise AssertionError("no start-of-frame segment")


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_visitor_reports_from_a_phone_and_follows_the_code(
    browser_page: Any, live_server: Any, city: City
) -> None:
    # The administrator gives the manhole cover a keyword people use; the search matches it.
    entry = PublicService.objects.get(type__kind="matter", type__code="01001")
    open311_actions.save_public_service(
        city.root,
        kind="matter",
        type_code="01001",
        keywords="窨井",
        order=entry.order,
        category_id=entry.category_id,
    )
    context = browser_page.context.browser.new_context(
        locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # Everything the pages use comes from this site under its Content-Security-Policy.
    page.on("console", lambda m: errors.append(m.text) if "Refused to" in m.text else None)
    try:
        page.goto(f"{live_server.url}/report/")
        page.wait_for_function("() => window.yiwangPublicMap !== undefined")
        assert no_sideways_scroll(page)

        # The problem by picture: the 市政设施 tile, then the type.
        page.locator(".tile", has_text="市政设施").tap()
        page.locator("#category-list button", has_text="供水井盖异常").tap()
        assert "供水井盖异常" in page.inner_text("#type-chosen")
        # Or by a word: 窨井 is nowhere in the type's name, only in its keywords.
        page.locator("#type-change").tap()
        page.fill("#type-search", "窨井")
        page.locator("#type-results button", has_text="供水井盖异常").tap()
        assert "市政设施 · 供水井盖异常" in page.inner_text("#type-chosen")

        # The place by tapping the map where the problem is.
        page.locator("#public-map").scroll_into_view_if_needed()
        x, y = page.evaluate(
            "([lat, lon]) => { const p = window.yiwangPublicMap.latLngToContainerPoint([lat, lon]);"
            " return [p.x, p.y]; }",
            [POINT_A[1], POINT_A[0]],
        )
        page.locator("#public-map").tap(position={"x": x, "y": y})
        page.wait_for_function(
            "() => document.querySelector('#place').textContent.includes('南园街道')"
        )
        assert abs(float(page.input_value("#id_lon")) - POINT_A[0]) < 1e-3

        page.fill("#id_description", "井盖缺了一角，晚上看不清")
        # A 2400 × 1800 photo, made here: the page shrinks it to 1600 px before sending.
        page.set_input_files(
            "#id_photos",
            files=[{"name": "IMG_2041.png", "mimeType": "image/png", "buffer": png(2400, 1800)}],
        )
        page.wait_for_selector("#photo-previews img")
        page.screenshot(path="/tmp/public-report-form.png", full_page=True)
        assert no_sideways_scroll(page)

        page.locator("#submit-report").tap()
        page.wait_for_url("**/report/done/*/")
        code = page.inner_text("#tracking-code").strip()
        page.screenshot(path="/tmp/public-report-done.png", full_page=True)
        assert no_sideways_scroll(page)

        page.locator("#track-link").tap()
        page.wait_for_url(f"**/report/track/{code}/")
        assert page.inner_text("#track-status") == "待核实"
        assert page.locator(".progress-step.done").count() == 1
        assert page.locator(".progress-step.current").get_attribute("data-step") == "verify"
        page.screenshot(path="/tmp/public-report-track.png", full_page=True)
        assert no_sideways_scroll(page)

        # Near the same place the report is listed (its photo is not: nobody approved it).
        page.goto(f"{live_server.url}/report/nearby/?lon={POINT_A[0]}&lat={POINT_A[1]}")
        page.wait_for_function("() => window.yiwangNearbyMap !== undefined")
        assert page.inner_text("#nearby-list .nearby-type") == "供水井盖异常"
        assert page.locator("[data-public-photo]").count() == 0
        # One marker per listed report (the circle and the chosen point do not take taps).
        assert page.locator("#nearby-map path.leaflet-interactive").count() == 1
        page.screenshot(path="/tmp/public-report-nearby.png", full_page=True)
        assert no_sideways_scroll(page)
    finally:
        context.close()

    submission = Submission.objects.get(tracking_code=code)
    case = Case.objects.get(pk=submission.case_id)
    assert (case.state, case.source, case.type.code) == ("pending_verify", "public", "01001")
    assert case.description == "井盖缺了一角，晚上看不清"
    stored = CasePhoto.objects.get(case=case)
    assert stored.content_type == "image/jpeg"
    with stored.file.open("rb") as f:
        assert jpeg_size(f.read()) == (1600, 1200)
    assert errors == []
