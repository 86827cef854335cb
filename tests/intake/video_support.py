"""Shared pieces of the video / drone alarm tests: ids built from STANDARDS.md §8, a source,
two cameras in the small test city, and alarms."""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from case_support import POINT_A, POINT_B, City, png
from yiwang.intake.actions import alarm_setup, cameras
from yiwang.intake.actions.alarms import AlarmIn
from yiwang.intake.models import AlarmSource, Camera


def device_id(
    centre: str = "44030400",  # 福田区 440304 + grassroots unit 00
    industry: str = "08",  # 城市管理
    type_code: str = "132",  # 网络摄像机 IPC
    network: str = "6",  # 电子政务外网
    serial: str = "000001",
) -> str:
    """A GB/T 28181 id assembled from its parts (§8 coding rule A: 8 + 2 + 3 + 1 + 6)."""
    return centre + industry + type_code + network + serial


DEVICE_A = device_id(serial="000001")  # in street A's grid
DEVICE_B = device_id(type_code="131", serial="000002")  # 摄像机, in street B's grid
# Event types seeded by the migration, with the matter codes of GB/T 47678.5-2026.
ROAD_OCCUPATION = "road_occupation"  # 占道经营 09006
EXPOSED_GARBAGE = "exposed_garbage"  # 暴露垃圾 06010


@dataclass
class Video:
    city: City
    key: str
    source: AlarmSource
    camera_a: Camera
    camera_b: Camera


def video_city(city: City) -> Video:
    key, source = alarm_setup.create_alarm_source(
        city.root, name="福田区视频智能分析平台", division_code="440304"
    )
    camera_a = cameras.create_camera(
        city.root,
        device_id=DEVICE_A,
        name="南园路口东",
        lon=POINT_A[0],
        lat=POINT_A[1],
        stream_url="rtsp://10.20.0.11:554/Streaming/Channels/101",
        address="南园路 1 号",
    )
    camera_b = cameras.create_camera(
        city.root,
        device_id=DEVICE_B,
        name="园岭公园北门",
        lon=POINT_B[0],
        lat=POINT_B[1],
        platform_ref="wvp:44030400002000000001/" + DEVICE_B,
    )
    return Video(city, key, source, camera_a, camera_b)


def alarm(
    event_id: str,
    *,
    camera: str = DEVICE_A,
    event_type: str = ROAD_OCCUPATION,
    confidence: float = 0.93,
    at: datetime | None = None,
    snapshot: bytes | None = None,
    **fields: Any,
) -> AlarmIn:
    return AlarmIn(
        event_id=event_id,
        event_type=event_type,
        occurred_at=at or timezone.now() - timedelta(seconds=5),
        confidence=confidence,
        camera_id=camera,
        snapshot=png(zlib.crc32(event_id.encode())) if snapshot is None else snapshot,
        **fields,
    )


def drone_alarm(
    event_id: str,
    flight: str,
    point: tuple[float, float],
    *,
    event_type: str = EXPOSED_GARBAGE,
    confidence: float = 0.9,
    at: datetime | None = None,
    crs: str = "wgs84",
) -> AlarmIn:
    return AlarmIn(
        event_id=event_id,
        event_type=event_type,
        occurred_at=at or timezone.now() - timedelta(seconds=5),
        confidence=confidence,
        flight_id=flight,
        lon=point[0],
        lat=point[1],
        crs=crs,
    )


def body(a: AlarmIn) -> dict[str, Any]:
    """The JSON a platform posts for `a`."""
    out: dict[str, Any] = {
        "event_id": a.event_id,
        "event_type": a.event_type,
        "occurred_at": a.occurred_at.isoformat(),
        "confidence": a.confidence,
    }
    if a.camera_id:
        out["camera_id"] = a.camera_id
    if a.flight_id:
        out.update(flight_id=a.flight_id, lon=a.lon, lat=a.lat, crs=a.crs)
    if a.snapshot:
        out["snapshot"] = base64.b64encode(a.snapshot).decode()
    return out


def post(key: str, payload: dict[str, Any], path: str = "/api/intake/alarms") -> Any:
    return Client().post(
        path, payload, content_type="application/json", headers={"X-Alarm-Key": key}
    )
