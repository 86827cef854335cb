"""Checking a batch of alarms before anything is written (`alarms.receive_alarms`).

Each alarm is checked on its own — its event id, event type, confidence, time, camera (in the
source's division) or drone point (in a unit grid of the source's division, any CRS), and its
snapshot (JPEG, PNG or WebP by content) — so one bad alarm is refused alone. Two queries for a
whole batch (event types, cameras) plus one vectorised grid lookup for its drone points.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from yiwang.cases.actions.photos import MAX_PHOTO_BYTES, sniff_image_type
from yiwang.core.errors import ActionError, InvalidInput, NotFound, PermissionDenied
from yiwang.geo import crs as geo_crs
from yiwang.geo.locate import locate_many
from yiwang.intake.models import AlarmEventType, AlarmSource, Camera, Channel

# How far in the future an alarm's time may lie (clocks of cameras drift).
CLOCK_SKEW = timedelta(minutes=5)
ID_MAX_LENGTH = 64


@dataclass(frozen=True)
class AlarmIn:
    """One alarm as a source sent it (the API schema and the benchmark build these)."""

    event_id: str
    event_type: str
    occurred_at: datetime
    confidence: float
    camera_id: str = ""
    flight_id: str = ""
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    snapshot: bytes = b""


@dataclass
class Valid:
    index: int
    item: AlarmIn
    channel: str
    sender: str
    event_type: AlarmEventType
    camera: Camera | None
    lon: float
    lat: float
    grid_id: int
    division_path: str
    snapshot_type: str | None
    snapshot_sha256: str


def _check_id(value: str, field: str, label: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput("required", f"请填写{label}。", field)
    if len(value) > ID_MAX_LENGTH or not (value.isascii() and value.isprintable()):
        raise InvalidInput(
            "bad_id", f"{label}应为 1–{ID_MAX_LENGTH} 个可打印的 ASCII 字符。", field
        )
    return value


def _check_snapshot(content: bytes) -> tuple[str | None, str]:
    if not content:
        return None, ""
    if len(content) > MAX_PHOTO_BYTES:
        raise InvalidInput(
            "file_too_large", f"快照不能超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB。", "snapshot"
        )
    real_type = sniff_image_type(content)
    if real_type is None:
        # An SVG or HTML "image" can carry script: only raster formats are stored.
        raise InvalidInput("bad_file_type", "快照只能是 JPEG、PNG 或 WebP 格式的图片。", "snapshot")
    return real_type, hashlib.sha256(content).hexdigest()


def _validate_one(
    source: AlarmSource,
    item: AlarmIn,
    types: dict[str, AlarmEventType],
    cameras: dict[str, Camera],
    now: datetime,
) -> tuple[AlarmEventType, Camera | None, str, tuple[float, float] | None]:
    _check_id(item.event_id, "event_id", "事件编号")
    event_type = types.get(item.event_type.strip())
    if event_type is None:
        raise InvalidInput(
            "unknown_event_type", f"未知的告警事件类型：{item.event_type[:40]}", "event_type"
        )
    if not event_type.matter_type.is_active:
        raise InvalidInput(
            "unknown_type",
            f"告警事件类型 {event_type.code} 对应的事件类型已停用，请管理员调整对照表。",
            "event_type",
        )
    if not (math.isfinite(item.confidence) and 0 <= item.confidence <= 1):
        raise InvalidInput("bad_confidence", "置信度应为 0 到 1 之间的数。", "confidence")
    if timezone.is_naive(item.occurred_at):
        raise InvalidInput(
            "naive_time", "告警时间须带时区，如 2026-12-02T08:30:00+08:00。", "occurred_at"
        )
    if item.occurred_at > now + CLOCK_SKEW:
        raise InvalidInput("future_time", "告警时间晚于当前时间。", "occurred_at")
    if bool(item.camera_id.strip()) == bool(item.flight_id.strip()):
        raise InvalidInput(
            "camera_or_flight",
            "请填写摄像机国标编码（camera_id），或无人机架次编号（flight_id）及位置，二者选一。",
            "camera_id",
        )
    if item.camera_id.strip():
        camera = cameras.get(item.camera_id.strip())
        if camera is None or not camera.division_path.startswith(source.division.path):
            raise NotFound(
                "unknown_camera", f"摄像机 {item.camera_id.strip()[:40]} 未登记。", "camera_id"
            )
        return event_type, camera, camera.device_id, None
    flight = _check_id(item.flight_id, "flight_id", "无人机架次编号")
    if item.lon is None or item.lat is None:
        raise InvalidInput(
            "required", "无人机告警须给出位置（lon、lat）。", "lon" if item.lon is None else "lat"
        )
    crs = geo_crs.parse_crs(item.crs)
    geo_crs.check_lon_lat(item.lon, item.lat)
    return event_type, None, flight, geo_crs.to_wgs84(item.lon, item.lat, crs)


def validate(
    source: AlarmSource, items: list[AlarmIn], now: datetime, errors: dict[int, ActionError]
) -> list[Valid]:
    codes = {i.event_type.strip() for i in items}
    types = {
        t.code: t
        for t in AlarmEventType.objects.filter(code__in=codes, is_active=True).select_related(
            "matter_type"
        )
    }
    camera_ids = {i.camera_id.strip() for i in items if i.camera_id.strip()}
    cameras = {c.device_id: c for c in Camera.objects.filter(device_id__in=camera_ids)}
    checked: list[tuple[int, AlarmIn, AlarmEventType, Camera | None, str, Any, Any]] = []
    drone_points: list[tuple[float, float]] = []
    for index, item in enumerate(items):
        try:
            event_type, camera, sender, point = _validate_one(source, item, types, cameras, now)
            snapshot_type, digest = _check_snapshot(item.snapshot)
        except ActionError as exc:
            errors[index] = exc
            continue
        if point is not None:
            drone_points.append(point)
        checked.append((index, item, event_type, camera, sender, point, (snapshot_type, digest)))
    spots = iter(locate_many(drone_points))
    valid = []
    for index, item, event_type, camera, sender, _point, (snapshot_type, digest) in checked:
        if camera is not None:
            lon, lat, grid_id, path = camera.lon, camera.lat, camera.grid_id, camera.division_path
            channel = Channel.VIDEO
        else:
            spot = next(spots)
            if spot is None:
                errors[index] = InvalidInput(
                    "not_in_grid", "无人机告警的位置不在任何单元网格内。", "lon"
                )
                continue
            if not spot.division_path.startswith(source.division.path):
                errors[index] = PermissionDenied(
                    "out_of_scope", "无人机告警的位置不在本接入方的区划内。", "lon"
                )
                continue
            lon, lat, grid_id, path = spot.lon, spot.lat, spot.grid_id, spot.division_path
            channel = Channel.DRONE
        valid.append(
            Valid(
                index=index,
                item=item,
                channel=channel,
                sender=sender,
                event_type=event_type,
                camera=camera,
                lon=lon,
                lat=lat,
                grid_id=grid_id,
                division_path=path,
                snapshot_type=snapshot_type,
                snapshot_sha256=digest,
            )
        )
    return valid
