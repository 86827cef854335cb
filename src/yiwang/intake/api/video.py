"""Alarm intake API (version 1): video AI platforms and drone platforms post alarms here.

    POST /api/intake/alarms        one alarm   → 201 (new) or 200 (a resend of a stored one)
    POST /api/intake/alarms/batch  ≤ 1000      → 200, one result per alarm, in order

Authenticated by the source's key in the `X-Alarm-Key` header (an 系统管理员 creates the
source under 管理后台 → 告警接入方 and sees the key once). The source's division bounds
the cameras and drone points it may report. The snapshot is a Base64 JPEG, PNG or WebP.
See docs/intake.md, 视频与无人机告警.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.security import APIKeyHeader

from yiwang.cases.actions.photos import MAX_PHOTO_BYTES
from yiwang.core.errors import ActionError, InvalidInput
from yiwang.core.schemas import ErrorOut, Latitude, Longitude
from yiwang.geo.schemas import CrsName
from yiwang.intake.actions import alarms as alarm_actions
from yiwang.intake.actions.alarm_checks import ID_MAX_LENGTH
from yiwang.intake.actions.alarm_setup import source_for_key
from yiwang.intake.models import AlarmSource, AlarmStatus

KEY_HEADER = "X-Alarm-Key"
PRINTABLE_ID = r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$"
# Base64 of the largest snapshot the photo action accepts.
SNAPSHOT_MAX_CHARS = (MAX_PHOTO_BYTES + 2) // 3 * 4


class AlarmKey(APIKeyHeader):
    param_name = KEY_HEADER

    def authenticate(self, request: HttpRequest, key: str | None) -> AlarmSource | None:
        return source_for_key(key or "")


router = Router(tags=["视频与无人机告警"], auth=AlarmKey())


class AlarmIn(Schema):
    """One alarm: `camera_id` for a registered camera, or `flight_id` with `lon`/`lat`
    (and `crs`) for a drone."""

    event_id: str = Field(
        min_length=1,
        max_length=ID_MAX_LENGTH,
        pattern=PRINTABLE_ID,
        description="发送方的事件编号：重发同一编号只算一次告警",
    )
    event_type: str = Field(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="告警事件类型代码（对照表：管理后台 → 告警事件类型）",
    )
    occurred_at: datetime = Field(description="发生时间，须带时区，如 2026-12-02T08:30:00+08:00")
    confidence: float = Field(ge=0, le=1, allow_inf_nan=False, description="置信度 0–1")
    camera_id: str | None = Field(
        None, pattern=r"^[0-9]{20}$", description="摄像机国标编码（GB/T 28181，20 位）"
    )
    flight_id: str | None = Field(
        None,
        min_length=1,
        max_length=ID_MAX_LENGTH,
        pattern=PRINTABLE_ID,
        description="无人机架次编号",
    )
    lon: Longitude | None = None
    lat: Latitude | None = None
    crs: CrsName | None = None
    snapshot: str | None = Field(
        None,
        max_length=SNAPSHOT_MAX_CHARS,
        description="快照：Base64 编码的 JPEG、PNG 或 WebP（不超过 10 MB）",
    )


class AlarmBatchIn(Schema):
    alarms: list[AlarmIn] = Field(min_length=1, max_length=alarm_actions.MAX_BATCH)


class AlarmOut(Schema):
    status: str = Field(description="filed 已立案 | merged 已并入案卷 | pending 待审核")
    status_label: str
    case_number: str | None = None
    replayed: bool = Field(description="true：同一事件编号此前已收到，返回的是当时的结果")


class AlarmResultOut(Schema):
    index: int
    event_id: str
    ok: bool
    result: AlarmOut | None = None
    error: ErrorOut | None = None


class AlarmBatchOut(Schema):
    results: list[AlarmResultOut]


def _decode(body: AlarmIn, field: str = "snapshot") -> alarm_actions.AlarmIn:
    snapshot = b""
    if body.snapshot:
        text = body.snapshot
        if text.startswith("data:") and "," in text:
            text = text.split(",", 1)[1]  # a data: URL, as browsers write it
        try:
            snapshot = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("bad_snapshot", "快照应为 Base64 编码的图片。", field) from None
    return alarm_actions.AlarmIn(
        event_id=body.event_id,
        event_type=body.event_type,
        occurred_at=body.occurred_at,
        confidence=body.confidence,
        camera_id=body.camera_id or "",
        flight_id=body.flight_id or "",
        lon=body.lon,
        lat=body.lat,
        crs=body.crs or "wgs84",
        snapshot=snapshot,
    )


def _out(result: alarm_actions.AlarmResult) -> dict[str, Any]:
    return {
        "status": result.status,
        "status_label": str(AlarmStatus(result.status).label),
        "case_number": result.case_number,
        "replayed": result.replayed,
    }


def _source(request: HttpRequest) -> AlarmSource:
    source = request.auth  # type: ignore[attr-defined]
    assert isinstance(source, AlarmSource)
    return source


@router.post(
    "/alarms",
    response={200: AlarmOut, 201: AlarmOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="接收一条视频/无人机告警",
)
def post_alarm(request: HttpRequest, body: AlarmIn) -> Status[dict[str, Any]]:
    """201: a new alarm (filed, merged or pending); 200: a resend, answered as before.
    An unknown camera is 404 `unknown_camera`; a drone point in no grid 400 `not_in_grid`."""
    result = alarm_actions.receive_alarms(_source(request), [_decode(body)])[0]
    if isinstance(result, ActionError):
        raise result
    return Status(200 if result.replayed else 201, _out(result))


@router.post("/alarms/batch", response={200: AlarmBatchOut}, summary="批量接收告警")
def post_alarms(request: HttpRequest, body: AlarmBatchIn) -> dict[str, Any]:
    """Each alarm is decided on its own: `ok` with its result, or its `error`
    ({code, message, field}); a refused alarm does not stop the others."""
    source = _source(request)
    items: list[alarm_actions.AlarmIn | None] = []
    errors: dict[int, ActionError] = {}
    for i, alarm in enumerate(body.alarms):
        try:
            items.append(_decode(alarm))
        except ActionError as exc:
            errors[i] = exc
            items.append(None)
    decoded = [a for a in items if a is not None]
    answers = iter(alarm_actions.receive_alarms(source, decoded))
    results = []
    for i, (alarm, item) in enumerate(zip(body.alarms, items, strict=True)):
        outcome: alarm_actions.AlarmResult | ActionError = (
            errors[i] if item is None else next(answers)
        )
        row: dict[str, Any] = {"index": i, "event_id": alarm.event_id}
        if isinstance(outcome, ActionError):
            row.update(ok=False, error=outcome.as_dict())
        else:
            row.update(ok=True, result=_out(outcome))
        results.append(row)
    return {"results": results}
