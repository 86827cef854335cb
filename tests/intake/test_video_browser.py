"""In a real browser: an operator reviews two doubtful camera alarms (one accepted, one
rejected as a false alarm) and the registry shows the camera's false-alarm rate."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from video_support import DEVICE_B, alarm, video_city

from case_support import City, png
from yiwang.intake.actions.alarms import receive_alarms
from yiwang.intake.models import Alarm

PASSWORD = "test-pass-123"
WAIT_MS = 15_000


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_operator_accepts_one_alarm_and_rejects_another(
    browser_page: Any, live_server: Any, city: City, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    video = video_city(city)
    start = timezone.now() - timedelta(hours=2)
    receive_alarms(
        video.source,
        [
            alarm("v-1", confidence=0.61, at=start, snapshot=png(90)),
            alarm("v-2", confidence=0.97, camera=DEVICE_B, at=start),  # filed at once
            alarm("v-3", confidence=0.42, camera=DEVICE_B, at=start + timedelta(minutes=50)),
        ],
    )
    operator = city.users["operator"]
    page, base = browser_page, live_server.url
    page.goto(f"{base}/login/?next=/intake/video/review/")
    page.fill("#id_username", operator.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation(url=f"{base}/intake/video/review/", timeout=WAIT_MS):
        page.click("button[type=submit]:has-text('登录')")
    items = page.locator("li.review-item")
    assert items.count() == 2
    first = page.locator("li.review-item[data-alarm]").first
    # The snapshot is really shown (a decoded image, not a broken icon).
    width = first.locator("img").evaluate(
        "img => img.complete ? img.naturalWidth"
        " : new Promise(done => img.addEventListener('load', () => done(img.naturalWidth)))"
    )
    assert width == 1
    page.screenshot(path="/tmp/video-review-queue.png", full_page=True)

    v1 = Alarm.objects.get(event_id="v-1")
    item = page.locator(f"li.review-item[data-alarm='{v1.pk}']")
    item.locator("input[name=note]").fill("现场有摊贩")
    with page.expect_navigation(timeout=WAIT_MS):
        item.locator("button:has-text('确认立案')").click()
    case = Alarm.objects.select_related("case").get(event_id="v-1").case
    assert case is not None and case.photos.count() == 1
    assert f"已立案：案卷 {case.number}" in page.locator(".messages").inner_text()

    v3 = Alarm.objects.get(event_id="v-3")
    item = page.locator(f"li.review-item[data-alarm='{v3.pk}']")
    item.locator("input[name=reason]").fill("树影晃动误识别")
    with page.expect_navigation(timeout=WAIT_MS):
        item.locator("button:has-text('驳回')").click()
    assert "已驳回 1 条告警" in page.locator(".messages").inner_text()
    assert page.locator("#queue-empty").is_visible()
    decided = page.locator("#decided").inner_text()
    assert "树影晃动误识别" in decided and case.number in decided

    # From the review queue to the registry through the menu's 多渠道受理 and its video card.
    page.click("a[data-menu='intake']")
    page.wait_for_url(f"{base}/intake/", timeout=WAIT_MS)
    page.click("[data-channel='video'] a[data-link='cameras']")
    page.wait_for_url(f"{base}/intake/video/cameras/", timeout=WAIT_MS)
    # Camera B: 2 alarms, 1 rejected, none pending → 50.0 %.
    rate = page.locator(f"tr[data-device='{DEVICE_B}'] .false-rate").inner_text()
    assert rate.strip() == "50.0%"
    page.screenshot(path="/tmp/video-cameras.png", full_page=True)
