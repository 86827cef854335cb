"""In a real browser on a phone-sized screen: the inspector reports offline, and each report
arrives exactly once when the network returns — also across a reload, a resend and a login."""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from test_inspector_phone import verify_task

from case_support import POINT_A, City, png
from yiwang.cases.models import Case, CasePhoto
from yiwang.intake.models import Submission

PHONE = {"width": 390, "height": 844}
SHOTS = "/tmp/yiwang-phone"


@pytest.fixture
def phone(chromium_path: str, live_server: Any) -> Iterator[tuple[Any, Any]]:
    """A Chromium context like a phone: 390×844, zh-CN, touch, GPS at street A's grid."""
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
            geolocation={"latitude": POINT_A[1], "longitude": POINT_A[0], "accuracy": 12},
            permissions=["geolocation"],
            service_workers="allow",
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            yield context, page
        finally:
            context.close()
            browser.close()


def sign_in(page: Any, username: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", "test-pass-123")
    page.click("button[type=submit]:has-text('登录')")


def open_app(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/m/")
    assert "/login/" in page.url  # signed out: the login page, then back to the app
    sign_in(page, username)
    page.wait_for_url(f"{base}/m/")
    # The service worker is installed (the shell kept) and controls the page.
    page.wait_for_function(
        "async () => (await navigator.serviceWorker.ready).active.state === 'activated'"
        " && navigator.serviceWorker.controller !== null"
    )
    # The position from the phone's GPS is on the map.
    page.wait_for_function("() => document.querySelector('#position-text').dataset.lon")


def file_report(
    page: Any, search: str, code: str, kind: str, text: str, photo: bytes | None
) -> None:
    page.check(f"input[name=kind-filter][value={kind}]")
    page.fill("#type-q", search)
    option = f".type-option[data-code='{code}'][data-kind='{kind}']"
    page.wait_for_selector(option)
    page.click(option)
    assert page.get_attribute("#type-chosen", "data-code") == code
    page.fill("#description", text)
    if photo is not None:
        page.set_input_files(
            "#photo-input", files=[{"name": "scene.png", "mimeType": "image/png", "buffer": photo}]
        )
        page.wait_for_selector("#photo-previews img")
    page.click("#report-submit")
    page.wait_for_selector("#report-saved:not([hidden])")


def big_png(width: int = 2400, height: int = 1800) -> bytes:
    """A photo of a phone camera's size (resized on the phone to 1600 px), built by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes([90, 140, 60]) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg_size(content: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame segment (ITU T.81, B.2.2)."""
    assert content[:2] == b"\xff\xd8"
    i = 2
    while i < len(content):
        marker, length = content[i + 1], struct.unpack(">H", content[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", content[i + 5 : i + 9])
            return width, height
        i += 2 + length
    raise AssertionError("no start-of-frame segment")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_reports_made_offline_arrive_once_each(
    phone: tuple[Any, Any], live_server: Any, city: City
) -> None:
    context, page = phone
    base = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_app(page, base, city.users["inspector"].username)

    context.set_offline(True)
    # The app opens without a network: the service worker answers with the kept shell.
    reopened = page.reload()
    assert reopened is not None and reopened.from_service_worker
    page.wait_for_selector("#net-status:not([hidden])")
    assert "离线" in page.inner_text("#net-status")
    page.wait_for_function("() => document.querySelector('#position-text').dataset.lon")

    file_report(page, "垃圾", "06010", "matter", "公园门口暴露垃圾", big_png())
    # The second one a little further on: tapped on the map, inside the same grid.
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.yiwangPhoneMap.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [22.5415, 114.0515],
    )
    page.locator("#phone-map").click(position={"x": x, "y": y})
    file_report(page, "井盖", "01001", "matter", "井盖松动", None)

    page.wait_for_function("() => document.querySelectorAll('#queue .queue-item').length === 2")
    statuses = page.eval_on_selector_all(
        "#queue .queue-item", "els => els.map(e => e.dataset.status)"
    )
    assert statuses == ["queued", "queued"]
    assert page.inner_text("#queue-count") == "2"
    assert "待发送" in page.inner_text("#queue")
    page.screenshot(path=f"{SHOTS}/1-offline-queued.png", full_page=True)
    assert Case.objects.count() == 0

    context.set_offline(False)  # the "online" event sends the queue
    page.wait_for_function(
        "() => document.querySelectorAll('#sent .queue-item').length === 2"
        " && document.querySelectorAll('#queue .queue-item').length === 0",
        timeout=30_000,
    )
    page.screenshot(path=f"{SHOTS}/2-online-sent.png", full_page=True)
    assert Case.objects.count() == 2
    cases = {c.description: c for c in Case.objects.all()}
    assert set(cases) == {"公园门口暴露垃圾", "井盖松动"}
    litter, cover = cases["公园门口暴露垃圾"], cases["井盖松动"]
    assert (litter.type.code, cover.type.code) == ("06010", "01001")
    assert litter.source == cover.source == "inspector"
    assert abs(cover.lon - 114.0515) < 1e-4 and abs(cover.lat - 22.5415) < 1e-4
    photo = CasePhoto.objects.get(case=litter)
    # Resized on the phone: 2400×1800 becomes a 1600×1200 JPEG.
    assert photo.content_type == "image/jpeg"
    with photo.file.open("rb") as fh:
        stored = fh.read()
    assert jpeg_size(stored) == (1600, 1200)
    assert b"Exif" not in stored[:200]  # drawn anew: no camera metadata (GPS) travels along
    assert not CasePhoto.objects.filter(case=cover).exists()
    numbers = set(
        page.eval_on_selector_all("#sent .queue-item", "els => els.map(e => e.dataset.number)")
    )
    assert numbers == {litter.number, cover.number}

    # Reloading, and sending every report again (as after a lost answer), files nothing new.
    page.reload()
    page.wait_for_load_state("networkidle")
    page.evaluate(
        """async () => {
          const P = window.yiwangPhone;
          for (const item of await P.store.all()) {
            item.status = "queued";
            item.photos = [];
            await P.store.put(item);
          }
          await P.flush();
        }"""
    )
    page.wait_for_function("() => document.querySelectorAll('#sent .queue-item').length === 2")
    assert Case.objects.count() == 2
    assert Submission.objects.filter(channel="inspector").count() == 2
    assert errors == []


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_queued_report_survives_signing_in_again(
    phone: tuple[Any, Any], live_server: Any, city: City
) -> None:
    context, page = phone
    base = live_server.url
    inspector = city.users["inspector"]
    open_app(page, base, inspector.username)

    context.set_offline(True)
    file_report(page, "垃圾", "06010", "matter", "登录过期前记录", png(3))
    # The session ends while the phone is offline (expired, or signed out elsewhere).
    context.clear_cookies()
    context.set_offline(False)

    page.wait_for_selector("#login-needed:not([hidden])")
    assert "登录" in page.inner_text("#login-needed")
    page.screenshot(path=f"{SHOTS}/3-login-needed.png", full_page=True)
    assert Case.objects.count() == 0
    page.click("#login-link")
    sign_in(page, inspector.username)
    page.wait_for_url(f"{base}/m/")
    page.wait_for_function("() => document.querySelectorAll('#sent .queue-item').length === 1")
    case = Case.objects.get()
    assert (case.description, case.reporter_id) == ("登录过期前记录", inspector.pk)
    assert CasePhoto.objects.filter(case=case).count() == 1


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_verify_task_is_found_nearest_first_and_done_with_a_photo(
    phone: tuple[Any, Any], live_server: Any, city: City
) -> None:
    _context, page = phone
    base = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    far = verify_task(city, 114.0519, 22.5419, "远处的占道经营")
    near = verify_task(city, 114.0511, 22.5411, "近处的占道经营")  # the phone is at 114.051, 22.541
    open_app(page, base, city.users["inspector"].username)

    page.click(".phone-tabs a:has-text('任务')")
    page.wait_for_selector("#task-list[aria-busy=false] .task-card")
    order = page.eval_on_selector_all(".task-card", "els => els.map(e => e.dataset.number)")
    assert order == [near.number, far.number]
    assert "按距离排序" in page.inner_text("#tasks-order")
    page.screenshot(path=f"{SHOTS}/4-tasks.png", full_page=True)

    page.click(f".task-card[data-number='{near.number}'] a")
    page.wait_for_selector("#photos-verify_confirm", state="attached")
    page.set_input_files(
        "#photos-verify_confirm",
        files=[{"name": "spot.png", "mimeType": "image/png", "buffer": big_png()}],
    )
    page.wait_for_selector("#move-verify_confirm ~ * .photo-previews img, form .photo-previews img")
    page.fill("#note-verify_confirm", "现场属实")
    page.screenshot(path=f"{SHOTS}/5-task.png", full_page=True)
    page.click("form[action$='/verify_confirm/'] button[type=submit]")
    page.wait_for_selector("#task-done")
    assert near.number in page.inner_text("#task-done")
    near.refresh_from_db()
    assert near.state == "pending_register"
    photo = CasePhoto.objects.get(case=near)
    assert photo.phase == "before" and photo.content_type == "image/jpeg"
    with photo.file.open("rb") as fh:
        assert jpeg_size(fh.read()) == (1600, 1200)  # made small on the phone
    page.wait_for_selector("#task-list[aria-busy=false] .task-card")
    assert page.eval_on_selector_all(".task-card", "els => els.map(e => e.dataset.number)") == [
        far.number
    ]
    assert errors == []


def test_offline_the_task_list_shows_the_last_synced_tasks_read_only(
    phone: tuple[Any, Any], live_server: Any, city: City
) -> None:
    context, page = phone
    base = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    task = verify_task(city, 114.0511, 22.5411, "路口占道经营")
    open_app(page, base, city.users["inspector"].username)
    page.click(".phone-tabs a:has-text('任务')")
    page.wait_for_selector(f".task-card[data-number='{task.number}']")

    context.set_offline(True)
    page.reload()  # the tasks page comes from the service worker; the list from the last sync
    page.wait_for_selector("#tasks-offline")
    assert "同步的任务（只读）" in page.inner_text("#tasks-offline")
    assert page.eval_on_selector_all(".task-card", "els => els.map(e => e.dataset.number)") == [
        task.number
    ]
    page.screenshot(path=f"{SHOTS}/6-tasks-offline.png", full_page=True)
    context.set_offline(False)
    assert errors == []
