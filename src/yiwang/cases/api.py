"""Case API: report, search, detail, timeline, transitions and photos.

The same guards as the pages: reads go through `cases.queries` (scoped to the
caller), writes through `cases.actions`; a case outside the caller's scope is 404.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import File, Form, Header, Query, Router, Status, UploadedFile

from yiwang.cases import actions, deadlines, duplicates, engine, queries
from yiwang.cases.actions.idempotency import KEY_PATTERN, MAX_KEY_LENGTH
from yiwang.cases.actions.photos import MAX_PHOTO_BYTES, add_photo, remove_photo
from yiwang.cases.models import Case, CaseEvent, CasePhoto, Source, Stage, State, TimeUnit, Urgency
from yiwang.cases.schemas import (
    CaseDetail,
    CaseIn,
    CaseNumber,
    CasePage,
    CaseQuery,
    DuplicatesOut,
    PhotoOut,
    TimelineOut,
    TransitionIn,
    TransitionName,
    TransitionOut,
    WorklistOut,
)
from yiwang.cases.workflow import MERGE_SOURCES, TRANSITIONS, Input, Transition
from yiwang.core.errors import NotFound
from yiwang.core.schemas import ErrorOut, Id
from yiwang.core.workcalendar import WorkCalendar
from yiwang.org.models import User
from yiwang.org.permissions import acting_user

router = Router(tags=["案卷"])

ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}
# Timeline rows that are not transitions of the table.
EVENT_LABELS = {
    "report": "上报",
    "photo": "上传照片",
    "photo_removed": "删除照片",
    "merged_in": "合并了重复案卷",
    "unmerged_out": "重复案卷撤销合并",
    duplicates.KEEP_SEPARATE: "保持独立",
    "note": "备注",
}


def _user(request: HttpRequest) -> User:
    return acting_user(request)


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value else ""


# ---- serialisers ----------------------------------------------------------------------------


def _item(
    case: Case, cal: WorkCalendar, now: datetime, targets: dict[int, str] | None = None
) -> dict[str, Any]:
    light = queries.light(case, now, cal=cal)
    if targets is None:
        targets = queries.merge_targets([case])
    return {
        "number": case.number,
        "kind": case.kind,
        "type_code": case.type.code,
        "type_name": case.type.name,
        "urgency": case.urgency,
        "urgency_label": _label(Urgency, case.urgency),
        "source": case.source,
        "source_label": _label(Source, case.source),
        "title": case.title,
        "state": case.state,
        "state_label": _label(State, case.state),
        "street": case.street.name,
        "grid": case.grid.code,
        "department": case.department.name if case.department else None,
        "reported_at": case.reported_at,
        "stage": case.stage,
        "stage_label": _label(Stage, case.stage),
        "stage_due_at": case.stage_due_at,
        "light": light.value if light else None,
        "merged_into": targets.get(case.pk),
    }


def _photo_out(case: Case, photo: CasePhoto) -> dict[str, Any]:
    return {
        "id": photo.pk,
        "phase": photo.phase,
        "phase_label": _label(CasePhoto.Phase, photo.phase),
        "url": reverse("api:case_photo", kwargs={"number": case.number, "photo_id": photo.pk}),
        "sha256": photo.sha256,
        "size": photo.size,
        "content_type": photo.content_type,
        "uploaded_at": photo.uploaded_at,
    }


def _detail(user: User, case: Case) -> dict[str, Any]:
    now = timezone.now()
    cal = deadlines.calendar()
    body = _item(case, cal, now)
    light = body["light"]
    suggested = case.suggested_department
    body.update(
        version=case.version,
        description=case.description,
        address=case.address,
        lon=case.lon,
        lat=case.lat,
        community=case.community.name,
        district_code=case.district_code,
        component_ident=case.component.ident if case.component else None,
        reporter=str(case.reporter) if case.reporter else None,
        contact_name=case.contact_name,
        contact_phone=queries.contact_phone_for(user, case),
        department_id=case.department_id,
        suggested_department={"id": suggested.pk, "name": suggested.name} if suggested else None,
        assignee=str(case.assignee) if case.assignee else None,
        stage_started_at=case.stage_started_at,
        stage_light_label=queries.Light(light).label if light else None,
        pending_request=case.pending_request or {},
        result=case.result,
        rework_count=case.rework_count,
        return_count=case.return_count,
        extension_count=case.extension_count,
        registered_at=case.registered_at,
        dispatched_at=case.dispatched_at,
        handled_at=case.handled_at,
        closed_at=case.closed_at,
        handle_due_at=case.handle_due_at,
        photos=[_photo_out(case, p) for p in case.photos.order_by("phase", "id")],
        merged_cases=[c.number for c in queries.merged_cases(user, case)],
        allowed_transitions=[t.name for t in engine.allowed_transitions(user, case)],
    )
    return body


def _amount(seconds: float, unit: str, cal: WorkCalendar) -> str:
    per_unit = cal.work_seconds_per_day if unit == TimeUnit.WORK_DAYS else 3600
    value = Decimal(seconds / per_unit).quantize(Decimal("0.01")).normalize()
    return f"{value:f} {TimeUnit(unit).label}"


def _event_out(event: CaseEvent) -> dict[str, Any]:
    t = TRANSITIONS.get(event.transition)
    actor = event.actor
    return {
        "at": event.at,
        "actor": str(actor) if actor else None,
        "role_label": actor.role_label if actor else "",
        "transition": event.transition,
        "transition_label": t.label if t else EVENT_LABELS.get(event.transition, event.transition),
        "from_state": event.from_state,
        "from_state_label": _label(State, event.from_state),
        "to_state": event.to_state,
        "to_state_label": _label(State, event.to_state),
        "note": event.note,
        "data": event.data or {},
        "version": event.version,
    }


def _stage_out(record: Any, cal: WorkCalendar, now: datetime) -> dict[str, Any]:
    unit = record.limit_unit
    # A suspended stage is judged where its clock stopped.
    judged = record.finished_at or record.paused_at or now
    elapsed, allowed = queries.record_times(record, judged, cal)
    light = queries.record_light(record, judged, cal=cal)
    return {
        "stage": record.stage,
        "stage_label": _label(Stage, record.stage),
        "started_at": record.started_at,
        "due_at": record.due_at,
        "finished_at": record.finished_at,
        "limit": deadlines.Limit(record.limit_amount, unit).label,
        "limit_seconds": allowed,
        "elapsed_seconds": elapsed,
        "elapsed": _amount(elapsed, unit, cal),
        "suspended_seconds": record.suspended_seconds,
        "on_time": record.on_time,
        "light": light.value,
        "light_label": light.label,
    }


def _choices(spec: Input) -> list[dict[str, str]]:
    labels = {u.value: str(u.label) for u in TimeUnit}
    return [{"value": c, "label": labels.get(c, c)} for c in spec.choices]


def _input_out(case: Case, spec: Input) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": spec.name,
        "label": spec.label,
        "kind": spec.kind,
        "required": spec.required,
        "choices": _choices(spec),
    }
    if spec.kind == "department":
        suggested = case.suggested_department
        body["suggestion"] = {"id": suggested.pk, "name": suggested.name} if suggested else None
        body["departments"] = [
            {"id": d.pk, "name": d.name} for d in queries.department_candidates(case)
        ]
    elif spec.kind == "user":
        body["users"] = [
            {"id": u.pk, "name": str(u), "division": u.division.name if u.division else ""}
            for u in queries.inspector_candidates(case)
        ]
    return body


def _transition_out(case: Case, t: Transition) -> dict[str, Any]:
    return {"name": t.name, "label": t.label, "inputs": [_input_out(case, i) for i in t.inputs]}


# ---- endpoints ------------------------------------------------------------------------------


@router.post("", response={201: CaseDetail, **WRITE_ERRORS, 422: ErrorOut}, summary="登记案卷")
def create_case(
    request: HttpRequest,
    response: HttpResponse,
    body: CaseIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        # What clean_key accepts, declared so that clients (and the contract test) know it.
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=KEY_PATTERN,
        description="幂等键（1–255 个可打印 ASCII 字符，24 小时内有效）：重试同一请求只登记一件"
        "案卷，并返回该案卷（201，响应头 Idempotent-Replayed: true）；同一键配不同请求体为 422，"
        "格式不对为 400。",
    ),
) -> Status[dict[str, Any]]:
    """`crs`: wgs84 | cgcs2000 | gcj02 | bd09 (converted to WGS84 before locating)."""
    user = _user(request)
    fields = {k: v for k, v in body.model_dump().items() if v is not None}
    if idempotency_key is None:
        case = actions.report_case(user, **fields)
    else:
        reported = actions.report_case_once(user, idempotency_key, **fields)
        case = reported.case
        if reported.replayed:
            response["Idempotent-Replayed"] = "true"
    return Status(201, _detail(user, queries.case_detail(user, case.number)))


@router.get("/worklists", response={200: list[WorklistOut], **ERRORS}, summary="我的工作清单")
def worklists(request: HttpRequest) -> list[dict[str, Any]]:
    user = _user(request)
    counts = queries.worklist_counts(user)
    return [
        {"key": w.key, "label": w.label, "count": counts[w.key]}
        for w in queries.worklists_for(user)
    ]


def _filtered(user: User, f: CaseQuery) -> QuerySet[Case]:
    filters = queries.SearchFilters(
        number=f.number,
        type_code=f.type,
        kind=f.kind,
        state=f.state,
        grid=f.grid,
        street=f.street,
        department=f.department,
        source=f.source,
        date_from=f.date_from,
        date_to=f.date_to,
        overdue=f.overdue,
        q=f.q,
        sort=f.sort or "reported",
    )
    qs = queries.search(user, filters)
    if not f.worklist:
        return qs
    listed = queries.worklist(user, f.worklist)
    # A worklist is read most urgent first unless the caller asked for another order.
    return (qs & listed).order_by(*(listed.query.order_by if f.sort is None else qs.query.order_by))


@router.get("", response={200: CasePage, **ERRORS}, summary="案卷查询（分页）")
def list_cases(request: HttpRequest, filters: Query[CaseQuery]) -> dict[str, Any]:
    user = _user(request)
    qs = _filtered(user, filters)
    count = queries.capped_count(qs)
    start = (filters.page - 1) * filters.page_size
    rows = list(qs[start : start + filters.page_size])
    cal, now = deadlines.calendar(), timezone.now()
    targets = queries.merge_targets(rows)
    return {
        "items": [_item(c, cal, now, targets) for c in rows],
        "count": min(count, queries.COUNT_CAP),
        "count_capped": count > queries.COUNT_CAP,
        "page": filters.page,
        "page_size": filters.page_size,
    }


@router.get("/{number}", response={200: CaseDetail, **ERRORS}, summary="案卷详情")
def case_detail(request: HttpRequest, number: CaseNumber) -> dict[str, Any]:
    user = _user(request)
    return _detail(user, queries.case_detail(user, number))


@router.get("/{number}/timeline", response={200: TimelineOut, **ERRORS}, summary="案卷流程记录")
def timeline(request: HttpRequest, number: CaseNumber) -> dict[str, Any]:
    user = _user(request)
    events = queries.timeline(user, number)
    case = events[0].case if events else queries.case_detail(user, number)
    cal, now = deadlines.calendar(), timezone.now()
    return {
        "number": number,
        "events": [_event_out(e) for e in events],
        "stages": [_stage_out(r, cal, now) for r in queries.stage_records(case)],
    }


@router.get(
    "/{number}/duplicates",
    response={200: DuplicatesOut, **ERRORS},
    summary="疑似重复案卷（同类型、半径与时间窗内的在办案卷）",
)
def duplicate_candidates(request: HttpRequest, number: CaseNumber) -> dict[str, Any]:
    """Nearest first, at most 20; merge with `POST /{number}/transitions/merge`
    (`{"version": …, "into": "案卷号"}`), undo with `unmerge` (`{"version": …, "note": 理由}`)."""
    user = _user(request)
    case = queries.case_detail(user, number)
    window = duplicates.window_for(case.type)
    found = duplicates.candidates(user, case)
    return {
        "number": case.number,
        "radius_m": window.radius_m,
        "window_days": window.window_days,
        "mergeable": case.state in MERGE_SOURCES,
        "candidates": [
            {
                "number": c.case.number,
                "title": c.case.title,
                "type_code": case.type.code,
                "state": c.case.state,
                "state_label": _label(State, c.case.state),
                "reported_at": c.case.reported_at,
                "distance_m": round(c.distance_m, 1),
                "lon": c.case.lon,
                "lat": c.case.lat,
            }
            for c in found
        ],
    }


@router.get(
    "/{number}/transitions",
    response={200: list[TransitionOut], **ERRORS},
    summary="当前用户可办理的操作",
)
def transitions(request: HttpRequest, number: CaseNumber) -> list[dict[str, Any]]:
    user = _user(request)
    case = queries.case_detail(user, number)
    return [_transition_out(case, t) for t in engine.allowed_transitions(user, case)]


@router.post(
    "/{number}/transitions/{name}",
    response={200: CaseDetail, **WRITE_ERRORS},
    summary="办理：执行一个流转操作",
)
def apply(
    request: HttpRequest, number: CaseNumber, name: TransitionName, payload: TransitionIn
) -> dict[str, Any]:
    """Body: `{"version": 当前版本号, ...该操作的输入}`; a stale version gives 409."""
    user = _user(request)
    inputs = payload.model_dump(exclude_none=True)
    version = inputs.pop("version")
    actions.transition(user, number, name, version=version, inputs=inputs)
    return _detail(user, queries.case_detail(user, number))


@router.post(
    "/{number}/photos",
    response={201: PhotoOut, **WRITE_ERRORS},
    summary="上传处置前/后照片",
    # An empty file part is dropped by the multipart parser, i.e. it counts as missing.
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {"schema": {"properties": {"file": {"minLength": 1}}}}
            }
        }
    },
)
def upload_photo(
    request: HttpRequest, number: CaseNumber, phase: Form[CasePhoto.Phase], file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    """`phase`: before | after; JPEG / PNG / WebP up to 10 MB, decoded and stored re-encoded
    without EXIF / GPS / XMP (`sha256` and `size` are of the stored file). Refusals (400):
    `bad_file_type`, `bad_image` (damaged or truncated), `bad_image_content` (markup
    inside), `image_too_large` (over 50 megapixels), `file_too_large`, `empty_file`."""
    user = _user(request)
    # One byte past the limit is enough for the action to refuse the file.
    content = file.read(MAX_PHOTO_BYTES + 1)
    photo = add_photo(
        user,
        number,
        phase=phase,
        filename=file.name or "",
        content=content,
        content_type=file.content_type or "",
    )
    return Status(201, _photo_out(photo.case, photo))


@router.get(
    "/{number}/photos/{photo_id}",
    response={200: None, **ERRORS},
    url_name="case_photo",
    summary="照片文件（仅限管辖范围内）",
)
def photo_file(request: HttpRequest, number: CaseNumber, photo_id: Id) -> FileResponse:
    case = queries.case_detail(_user(request), number)
    photo = case.photos.filter(pk=photo_id).first()
    if photo is None:
        raise NotFound("photo_not_found", "照片不存在。", "photo_id")
    try:
        stream = photo.file.open("rb")
    except OSError as exc:
        # The row outlived its file (a restore without the media): not found, not a crash.
        raise NotFound("photo_file_missing", "照片文件缺失。", "photo_id") from exc
    response = FileResponse(stream, content_type=photo.content_type)
    response["Content-Disposition"] = f'inline; filename="{photo.sha256[:16]}"'
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.delete(
    "/{number}/photos/{photo_id}",
    response={204: None, **WRITE_ERRORS},
    summary="删除照片（上传者本人、受理员或值班长；案卷办结前）",
)
def delete_photo(request: HttpRequest, number: CaseNumber, photo_id: Id) -> Status[None]:
    """The stored file is deleted once no other photo row shares its content."""
    remove_photo(_user(request), number, photo_id)
    return Status(204, None)
