"""The registry and set-up pages: list with search and pages, register and edit with the
refusal next to the field, CSV import with its row report, and the admin's event-type table
and alarm sources (a new source's key works at once)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from video_support import DEVICE_A, alarm, body, device_id, post, video_city

from case_support import POINT_A, POINT_B, City
from yiwang.core.models import AuditEntry
from yiwang.intake.actions import cameras
from yiwang.intake.models import AlarmEventType, AlarmSource, Camera

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    """Snapshots and photos go to a directory of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_searches_filters_and_pages_in_the_users_area(city: City, make_user: Any) -> None:
    header = "device_id,name,lon,lat,status,stream_url"
    rows = [
        f"{device_id(serial=f'{i:06d}')},南园监控{i:02d},{POINT_A[0]},{POINT_A[1]},"
        f"{'offline' if i % 10 == 0 else 'online'},rtsp://10.0.1.{i}/ch1"
        for i in range(1, 56)
    ]
    rows.append(
        f"{device_id(serial='000900')},园岭公园,{POINT_B[0]},{POINT_B[1]},online,rtsp://10.0.2.1/ch1"
    )
    cameras.import_cameras(city.root, "\n".join([header, *rows]))
    client = login(city.users["leader"])
    first = client.get("/intake/video/cameras/").content.decode()
    assert "共 56 台摄像机" in first and "第 1 / 2 页" in first
    assert len(re.findall(r'data-device="', first)) == 50
    assert "登记摄像机" not in first  # a leader reads, an administrator registers
    second = client.get("/intake/video/cameras/?page=2").content.decode()
    assert len(re.findall(r'data-device="', second)) == 6
    found = client.get("/intake/video/cameras/?q=园岭").content.decode()
    assert re.findall(r'data-device="(\d+)"', found) == [device_id(serial="000900")]
    offline = client.get("/intake/video/cameras/?status=offline").content.decode()
    assert "共 5 台摄像机" in offline
    street_b = client.get("/intake/video/cameras/?street=440304002").content.decode()
    assert "共 1 台摄像机" in street_b
    # HTMX asks for the results only.
    fragment = client.get("/intake/video/cameras/?q=园岭", headers={"HX-Request": "true"})
    assert "<html" not in fragment.content.decode()
    # A street-B operator sees street B's camera only; an inspector has no registry page.
    operator_b = make_user("operator", "440304002")
    assert "共 1 台摄像机" in login(operator_b).get("/intake/video/cameras/").content.decode()
    assert login(city.users["inspector"]).get("/intake/video/cameras/").status_code == 404


def test_an_administrator_registers_a_camera_and_sees_the_refusal_by_the_field(
    city: City,
) -> None:
    client = login(city.root)
    form = {
        "device_id": device_id(type_code="118"),
        "name": "南园路口东",
        "lon": str(POINT_A[0]),
        "lat": str(POINT_A[1]),
        "crs": "wgs84",
        "status": "online",
        "stream_url": "rtsp://10.20.0.11/ch1",
        "platform_ref": "",
        "address": "",
    }
    refused = client.post("/intake/video/cameras/new/", form)
    assert refused.status_code == 400
    html = refused.content.decode()
    field = html[html.index('class="field field-device_id"') :]
    assert "类型码 118" in field[: field.index("</div>")]
    assert not Camera.objects.exists()

    done = client.post("/intake/video/cameras/new/", {**form, "device_id": DEVICE_A}, follow=True)
    assert "已登记摄像机 南园路口东" in done.content.decode()
    assert Camera.objects.get().device_id == DEVICE_A

    edit = client.get(f"/intake/video/cameras/{DEVICE_A}/edit/").content.decode()
    assert (
        "disabled"
        in edit[edit.index('name="device_id"') - 200 : edit.index('name="device_id"') + 200]
    )
    changed = client.post(
        f"/intake/video/cameras/{DEVICE_A}/edit/",
        {**form, "device_id": "ignored", "status": "fault", "name": "南园路口东（故障）"},
        follow=True,
    )
    assert changed.status_code == 200
    camera = Camera.objects.get()
    assert (camera.device_id, camera.status, camera.name) == (
        DEVICE_A,
        "fault",
        "南园路口东（故障）",
    )
    # Not an administrator: no such pages.
    assert login(city.users["operator"]).get("/intake/video/cameras/new/").status_code == 404


def test_the_import_page_lists_every_bad_row_and_imports_nothing(city: City) -> None:
    client = login(city.root)
    text = "\n".join(
        [
            "国标编码,名称,经度,纬度,视频流地址",
            f"{DEVICE_A},好的,{POINT_A[0]},{POINT_A[1]},rtsp://10.0.0.1/ch1",
            f"{device_id(network='9', serial='000002')},坏的,{POINT_A[0]},{POINT_A[1]},rtsp://x/1",
            f"{device_id(serial='000003')},带密码,{POINT_A[0]},{POINT_A[1]},rtsp://u:p@10.0.0.3/1",
        ]
    )
    upload = SimpleUploadedFile("cameras.csv", text.encode("utf-8-sig"), "text/csv")
    response = client.post("/intake/video/cameras/import/", {"file": upload, "crs": "wgs84"})
    assert response.status_code == 400
    html = response.content.decode()
    table = html[html.index('id="row-errors"') :]
    assert "网络标识 9" in table and "不能包含用户名或密码" in table
    assert re.findall(r'<td class="num">(\d+)</td>', table) == ["2", "3"]
    assert not Camera.objects.exists()

    good = SimpleUploadedFile("cameras.csv", "\n".join(text.split("\n")[:2]).encode(), "text/csv")
    done = client.post("/intake/video/cameras/import/", {"file": good, "crs": "wgs84"}, follow=True)
    assert "已导入摄像机 1 台" in done.content.decode()


def test_an_administrator_creates_a_source_whose_key_posts_alarms(city: City) -> None:
    video = video_city(city)
    client = login(city.root)
    page = client.post(
        "/admin/intake/alarmsource/add/",
        {"name": "无人机巡查平台", "division": video.source.division.pk, "is_active": "on"},
        follow=True,
    )
    assert page.status_code == 200
    message = re.search(r"X-Alarm-Key 请求头）：([A-Za-z0-9_-]{40,})", page.content.decode())
    assert message is not None
    key = message.group(1)
    source = AlarmSource.objects.get(name="无人机巡查平台")
    assert source.key_hash != key and key.startswith(source.prefix)
    assert post(key, body(alarm("adm-1"))).status_code == 201
    assert AuditEntry.objects.filter(action="intake.create_alarm_source").count() == 2


def test_an_administrator_edits_the_event_type_table(city: City) -> None:
    et = AlarmEventType.objects.get(code="illegal_parking")
    assert (et.name, et.matter_type.code, str(et.min_confidence), et.window_minutes) == (
        "机动车乱停放",
        "09009",
        "0.80",
        30,
    )
    client = login(city.root)
    listing = client.get("/admin/intake/alarmeventtype/").content.decode()
    for code, name in [("09006", "占道经营"), ("06010", "暴露垃圾"), ("06036", "乱堆杂物")]:
        assert f"{code} {name}" in listing
    form = {
        "code": et.code,
        "name": et.name,
        "matter_type": et.matter_type.pk,
        "min_confidence": "1.5",
        "window_minutes": "15",
        "radius_m": "50",
        "is_active": "on",
    }
    refused = client.post(f"/admin/intake/alarmeventtype/{et.pk}/change/", form)
    assert refused.status_code == 200 and "0 到 1" in refused.content.decode()
    client.post(f"/admin/intake/alarmeventtype/{et.pk}/change/", {**form, "min_confidence": "0.9"})
    et.refresh_from_db()
    assert (str(et.min_confidence), et.window_minutes) == ("0.90", 15)
    assert AuditEntry.objects.filter(action="intake.save_alarm_event_type").exists()
