"""城管通 API: the inspector's phone files reports (once per client id) and their photos.

`POST /api/intake/inspector/reports` is safe to repeat: the phone generates the report's
UUID before it first tries to send it, and every later attempt with that id answers with
the case the first one filed (200 instead of 201, `Idempotent-Replayed: true`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Router, Schema, Status, UploadedFile
from pydantic import BeforeValidator, StrictBool

from yiwang.cases.actions.photos import MAX_PHOTO_BYTES, Upload
from yiwang.cases.models import DESCRIPTION_MAX_LENGTH, Case
from yiwang.cases.schemas import TYPE_CODE_PATTERN
from yiwang.catalog.models import Kind
from yiwang.core.schemas import ErrorOut, Id, Latitude, Longitude
from yiwang.core.textinput import SafeText, model_max_length
from yiwang.geo.schemas import CrsName
from yiwang.intake.actions import inspector as actions
from yiwang.intake.models import Submission
from yiwang.org.permissions import acting_user

router = Router(tags=["城管通（监督员移动端）"])

ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
}


def _number_not_bool(value: Any) -> Any:
    # JSON true is not an accuracy of 1 m.
    if isinstance(value, bool):
        raise ValueError("应为数字，而不是 true/false。")
    return value


Accuracy = Annotated[
    float, Field(ge=0, le=100_000, allow_inf_nan=False), BeforeValidator(_number_not_bool)
]


class PhoneReportIn(Schema):
    """A report made on the phone: WGS84 (what the phone's GPS gives) unless `crs` names
    another system (a point taken from a Chinese web map is GCJ-02 or BD-09)."""

    id: UUID = Field(description="上报编号：手机端生成的 UUID，重发时不变")
    kind: Kind
    type_code: str = Field(pattern=TYPE_CODE_PATTERN, description="类型代码（5 位数字）")
    lon: Longitude
    lat: Latitude
    crs: CrsName = Field("wgs84", description="坐标系：wgs84（默认）、cgcs2000、gcj02、bd09")
    description: SafeText(DESCRIPTION_MAX_LENGTH, multiline=True) = ""  # type: ignore[valid-type]
    title: SafeText(model_max_length(Case, "title")) = Field(  # type: ignore[valid-type]
        "", description="标题；留空时取类型名称"
    )
    address: SafeText(model_max_length(Case, "address")) = ""  # type: ignore[valid-type]
    # JSON true/false only: "yes" or 1 must not make a case urgent (its deadline is shorter).
    urgent: StrictBool = False
    accuracy_m: Accuracy | None = Field(None, description="定位精度（米），记入审计")
    captured_at: datetime | None = Field(None, description="手机上记录的时间，记入审计")
    user_id: Id | None = Field(
        None, description="记录这条上报的账号；与当前登录账号不同时拒绝（409 other_user）"
    )


class PhoneReportOut(Schema):
    id: UUID
    number: str
    tracking_code: str
    state: str
    state_label: str
    type_name: str
    reported_at: datetime
    replayed: bool


class PhonePhotoOut(Schema):
    id: int
    sha256: str
    size: int
    content_type: str
    duplicate: bool = Field(description="同一张照片已上传过：未重复保存")


def _report_out(submission: Submission, case: Case, replayed: bool) -> dict[str, Any]:
    return {
        "id": submission.external_id,
        "number": case.number,
        "tracking_code": submission.tracking_code,
        "state": case.state,
        "state_label": case.get_state_display(),
        "type_name": case.type.name,
        "reported_at": case.reported_at,
        "replayed": replayed,
    }


@router.post(
    "/reports",
    response={201: PhoneReportOut, 200: PhoneReportOut, **ERRORS},
    summary="城管通上报（按上报编号幂等）",
    url_name="intake_inspector_reports",
)
def file_report(
    request: HttpRequest, response: HttpResponse, body: PhoneReportIn
) -> Status[dict[str, Any]]:
    """201: filed now. 200: this id was filed before; the answer is that case (header
    `Idempotent-Replayed: true`). 409 `report_id_reused`: the id came with another type or
    description; 409 `other_user`: the phone recorded it under another account."""
    user = acting_user(request)
    filed = actions.file_report(
        user,
        body.id,
        kind=body.kind,
        type_code=body.type_code,
        lon=body.lon,
        lat=body.lat,
        crs=body.crs,
        description=body.description,
        title=body.title,
        address=body.address,
        urgent=body.urgent,
        accuracy_m=body.accuracy_m,
        captured_at=body.captured_at,
        user_id=body.user_id,
    )
    if filed.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(
        200 if filed.replayed else 201, _report_out(filed.submission, filed.case, filed.replayed)
    )


@router.post(
    "/reports/{report_id}/photos",
    response={201: PhonePhotoOut, 200: PhonePhotoOut, **ERRORS},
    summary="城管通上报的现场照片（重复上传同一张照片视为成功）",
    url_name="intake_inspector_photos",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {"schema": {"properties": {"file": {"minLength": 1}}}}
            }
        }
    },
)
def add_photo(
    request: HttpRequest, report_id: UUID, file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    """JPEG / PNG / WebP up to 10 MB, checked by content, stored as 处置前 photo. 201: stored;
    200: the same picture was stored before (`duplicate: true`)."""
    user = acting_user(request)
    content = file.read(MAX_PHOTO_BYTES + 1)
    stored = actions.add_report_photo(
        user,
        report_id,
        Upload(filename=file.name or "", content=content, content_type=file.content_type or ""),
    )
    photo = stored.photo
    body = {
        "id": photo.pk,
        "sha256": photo.sha256,
        "size": photo.size,
        "content_type": photo.content_type,
        "duplicate": stored.duplicate,
    }
    return Status(200 if stored.duplicate else 201, body)
