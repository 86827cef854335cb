"""The demo's intake channels: every desk page has something in it, the printed keys work,
and loading twice is loading once.

The demo city's organisation and grids are loaded as `yiwang demo` loads them, without the
3,000 cases (tests/test_demo_cases.py plays those): the intake step needs only the places
and the staff. Figures expected here are the demo's brief (12 cameras, ~6 alarms awaiting
review, a couple rejected, ~5 hotline orders awaiting their location, one returned …)."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from yiwang.cases.models import Case, CaseEvent, CasePhoto
from yiwang.core.models import AuditEntry
from yiwang.demo import city, intake
from yiwang.demo.pictures import street_jpeg
from yiwang.intake.models import (
    Alarm,
    Camera,
    HotlineOrder,
    PublicPhotoReview,
    Submission,
)
from yiwang.org.models import User

pytestmark = pytest.mark.django_db

# STANDARDS.md §8, coding rule A: centre 440304 (福田区) + 2-digit unit, industry 08 城市管理,
# type 131 摄像机 or 132 网络摄像机, a network identifier 0–7, a 6-digit serial.
GB28181_CAMERA = re.compile(r"440304\d{2}08(131|132)[0-7]\d{6}")


@pytest.fixture
def loaded(settings: Any, tmp_path: Path) -> tuple[intake.IntakeLoaded, str]:
    settings.MEDIA_ROOT = tmp_path / "media"
    admin = city.ensure_admin()
    city.ensure_organisation(admin)
    city.ensure_grids(admin)
    progress = io.StringIO()
    return intake.build_intake(admin, stream=progress), progress.getvalue()


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def figures(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-count="([^"]+)"[^>]*>(\d+)<', html)}


@pytest.mark.slow
def test_every_intake_desk_of_the_demo_has_work(loaded: tuple[intake.IntakeLoaded, str]) -> None:
    result, progress = loaded
    assert result.cameras == 12
    assert "多渠道受理: 100% 109/109" in progress

    operator = signed_in("operator")
    desk = figures(operator.get("/intake/").content.decode())
    assert desk["cameras"] == 12
    assert desk["pending-review"] == 6
    assert desk["awaiting-location"] == 5
    assert desk["hotline-recent"] == 30
    assert desk["public-recent"] == 15
    assert 5 <= desk["pending-photos"] <= 10
    services = Client().get("/open311/v2/services.json").json()
    assert desk["open311-recent"] == 4 and desk["open311-services"] == len(services) >= 8

    # The camera registry: 12 rows of valid ids, online and offline, both kinds of source,
    # and the false alarms the operator rejected show as a rate.
    registry = operator.get("/intake/video/cameras/").content.decode()
    assert "共 12 台摄像机" in registry
    ids = re.findall(r'<tr data-device="(\d+)">', registry)
    assert len(ids) == 12 and all(GB28181_CAMERA.fullmatch(i) for i in ids), ids
    for status in ("online", "offline"):
        assert f"camera-status camera-{status}" in registry, status
    assert "<code>rtsp://" in registry and "媒体平台" in registry
    rates = re.findall(r'class="num false-rate">([^<]*)<', registry)
    assert sum(1 for r in rates if r.endswith("%") and r != "0.0%") >= 2, rates
    assert "待审核 6 组" in operator.get("/intake/video/review/").content.decode()

    # A camera's repeats joined its case: fewer video cases than alarms in cases, and the
    # case's timeline says so.
    video = Submission.objects.filter(channel="video")
    assert video.values("case").distinct().count() < video.count()
    assert CaseEvent.objects.filter(transition="note", note__contains="再次告警").exists()
    assert Alarm.objects.filter(status="rejected").count() == 2

    # The hotline: 5 orders wait for their place, one was returned, the rest are cases.
    queue = operator.get("/intake/hotline/").content.decode()
    assert queue.count('data-status="awaiting_location"') == 5
    returned = operator.get("/intake/hotline/?status=returned").content.decode()
    assert returned.count('data-status="returned"') == 1
    assert HotlineOrder.objects.filter(status="filed").count() == 24
    assert CaseEvent.objects.filter(note__contains="12345 热线修订了工单").count() == 1

    # Public photos: approved ones are public (real JPEGs), the others are not.
    reviews = operator.get("/report/review/").content.decode()
    assert f"待审核 ({desk['pending-photos']})" in reviews
    for status in ("approved", "rejected"):
        page = operator.get(f"/report/review/?status={status}").content.decode()
        assert 'class="panel review-item"' in page, status
    approved = PublicPhotoReview.objects.filter(status="approved").first()
    pending = PublicPhotoReview.objects.filter(status="pending").first()
    assert approved is not None and pending is not None
    photo = Client().get(f"/report/photos/{approved.pk}/")
    assert photo.status_code == 200
    assert b"".join(photo.streaming_content if photo.streaming else [photo.content])[:3] == (
        b"\xff\xd8\xff"
    )
    assert Client().get(f"/report/photos/{pending.pk}/").status_code == 404

    # Open311 answers with the demo's names for its services and the requests filed.
    names = {s["service_code"][-5:]: s["service_name"] for s in services}
    assert names["01037"] == "路灯不亮" and names["06010"] == "暴露垃圾"
    assert len(Client().get("/open311/v2/requests.json").json()) >= 4

    # The inspectors' phones: four reports, with their photos.
    phone = Submission.objects.filter(channel="inspector")
    assert phone.count() == 4
    assert CasePhoto.objects.filter(case__in=phone.values("case")).count() >= 4
    inspector_desk = figures(signed_in("inspector").get("/intake/").content.decode())
    assert inspector_desk["phone-recent"] >= 1

    # The admin sees the Open311 client on the desk.
    assert figures(signed_in("admin").get("/intake/").content.decode())["open311-clients"] == 1


@pytest.mark.slow
def test_the_keys_the_demo_prints_work(loaded: tuple[intake.IntakeLoaded, str]) -> None:
    keys = loaded[0].keys
    assert set(keys) == {"open311", "alarm"}

    services = Client().get("/open311/v2/services.json").json()
    code = next(s["service_code"] for s in services if s["service_code"].endswith("06036"))
    ring = city.lattice()[100].ring  # a grid of the demo district
    lon, lat = (ring[0][0] + ring[2][0]) / 2, (ring[0][1] + ring[2][1]) / 2
    filed = Client().post(
        "/open311/v2/requests.json",
        {"api_key": keys["open311"], "service_code": code, "lat": str(lat), "long": str(lon)},
    )
    assert filed.status_code == 200, filed.content
    assert filed.json()[0]["service_request_id"]

    camera = Camera.objects.filter(status="online").order_by("device_id").first()
    assert camera is not None
    alarm = Client().post(
        "/api/intake/alarms",
        {
            "event_id": "try-it-1",
            "event_type": "exposed_garbage",
            "occurred_at": timezone.now().isoformat(),
            "confidence": 0.95,
            "camera_id": camera.device_id,
            "snapshot": base64.b64encode(street_jpeg(1)).decode(),
        },
        content_type="application/json",
        headers={"X-Alarm-Key": keys["alarm"]},
    )
    assert alarm.status_code == 201, alarm.content


def _counts() -> dict[str, int]:
    return {
        "cameras": Camera.objects.count(),
        "alarms": Alarm.objects.count(),
        "submissions": Submission.objects.count(),
        "orders": HotlineOrder.objects.count(),
        "reviews": PublicPhotoReview.objects.count(),
        "cases": Case.objects.count(),
        "photos": CasePhoto.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


@pytest.mark.slow
def test_loading_the_intake_twice_is_loading_it_once(
    loaded: tuple[intake.IntakeLoaded, str],
) -> None:
    first = _counts()
    assert first["cameras"] == 12 and first["submissions"] > 60
    again = intake.build_intake(stream=io.StringIO())
    assert (again.cameras, again.received, again.keys) == (0, 0, {})
    assert _counts() == first


def test_demo_pictures_are_small_deterministic_jpegs() -> None:
    picture = street_jpeg(7)
    assert picture == street_jpeg(7)
    assert picture != street_jpeg(8)
    with Image.open(io.BytesIO(picture)) as image:
        assert (image.format, image.size) == ("JPEG", (320, 240))
    assert len(picture) < 30_000
