"""The inspector's phone (城管通): reports filed once per client id, photos, verify/check tasks.

A report made on the phone gets a UUID there, before it is sent; it may be sent again and
again (no network, a lost answer, a reload, two tabs). The first arrival files the case as
the inspector (source 监督员上报) and records a `Submission` (channel inspector, sender = the
user's id, external id = the UUID) in the same transaction; every later arrival answers with
that case. The unique (channel, sender, external_id) constraint makes two concurrent first
arrivals file one case: the second insert fails, its transaction (case included) is rolled
back, and it answers with the first.

Photos follow once the case exists, one request each, also safe to repeat: the same picture
again is the photo already stored. Tasks (核实, 核查) are done with their photos and the
move in one transaction (`complete_task`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from yiwang.cases import actions as case_actions
from yiwang.cases import queries as case_queries
from yiwang.cases.actions.photos import Upload, add_photo, release_file
from yiwang.cases.models import Case, CasePhoto, Source, State, Urgency
from yiwang.catalog import queries as catalog_queries
from yiwang.core import audit
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.intake.actions.submissions import find_resend, record_submission
from yiwang.intake.models import Channel, Submission
from yiwang.org.models import User
from yiwang.org.permissions import has_role
from yiwang.org.roles import Role

# Photos one phone report may carry, and one task move.
MAX_REPORT_PHOTOS = 5
MAX_TASK_PHOTOS = 5

# The moves an inspector makes from the phone, and the phase of the photos they bring:
# a verification shows the problem (处置前), a check shows the result of the handling (处置后).
TASK_MOVES: dict[str, str] = {
    "verify_confirm": CasePhoto.Phase.BEFORE,
    "verify_reject": CasePhoto.Phase.BEFORE,
    "check_pass": CasePhoto.Phase.AFTER,
    "check_fail": CasePhoto.Phase.AFTER,
}
TASK_STATES = {
    "verify_confirm": State.VERIFYING,
    "verify_reject": State.VERIFYING,
    "check_pass": State.CHECKING,
    "check_fail": State.CHECKING,
}


@dataclass(frozen=True)
class Filed:
    case: Case
    submission: Submission
    replayed: bool  # True when an earlier arrival of the same report filed the case


@dataclass(frozen=True)
class StoredPhoto:
    photo: CasePhoto
    duplicate: bool  # the same picture was already stored: nothing new was written


def require_inspector(actor: User) -> None:
    if not has_role(actor, {Role.INSPECTOR}):
        raise PermissionDenied("forbidden_role", "城管通仅供监督员使用。")


def clean_report_id(raw: str | uuid.UUID) -> str:
    """The client's id as a canonical lower-case UUID."""
    try:
        return str(raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw).strip()))
    except ValueError:
        raise InvalidInput("bad_report_id", "上报编号应为 UUID。", "id") from None


def _sender(actor: User) -> str:
    return str(actor.pk)


def _type_name(kind: str, type_code: str) -> str:
    if kind not in ("component", "matter"):
        raise InvalidInput("bad_kind", "类型应为 部件 或 事件。", "kind")
    name = (
        catalog_queries.types(None, kind=kind, active=True)
        .filter(code=type_code)
        .values_list("name", flat=True)
        .first()
    )
    if name is None:
        raise InvalidInput("unknown_type", f"未知的类型代码：{type_code}", "type_code")
    return name


def _same_report(case: Case, kind: str, type_code: str, description: str) -> bool:
    return (
        case.kind == kind
        and case.type.code == type_code
        and case.description == description.strip()
    )


def file_report(
    actor: User,
    report_id: str | uuid.UUID,
    *,
    kind: str,
    type_code: str,
    lon: float,
    lat: float,
    crs: str = "wgs84",
    description: str = "",
    title: str = "",
    address: str = "",
    urgent: bool = False,
    accuracy_m: float | None = None,
    captured_at: datetime | None = None,
    user_id: int | None = None,
    now: datetime | None = None,
) -> Filed:
    """File the phone's report `report_id`, or answer with the case it already filed.

    `user_id` is the account the phone recorded the report under: a report queued by one
    inspector is never filed as another who signed in on the same phone later.
    `captured_at` and `accuracy_m` (what the phone said) go to the audit row; the case is
    reported when it arrives, which is when its clock can start.
    """
    require_inspector(actor)
    rid = clean_report_id(report_id)
    if user_id is not None and user_id != actor.pk:
        raise Conflict(
            "other_user",
            "这条上报是另一个账号在本机记录的，请用该账号登录后发送。",
            "user_id",
        )
    earlier = find_resend(Channel.INSPECTOR, _sender(actor), rid)
    if earlier is not None:
        return _replayed(earlier, kind, type_code, description)
    name = _type_name(kind, type_code)
    now = now or timezone.now()
    report = case_actions.Report(
        kind=kind,
        type_code=type_code,
        title=title.strip() or name,
        lon=lon,
        lat=lat,
        crs=crs,
        source=Source.INSPECTOR,
        urgency=Urgency.URGENT if urgent else Urgency.NORMAL,
        description=description,
        address=address,
    )
    try:
        with transaction.atomic():
            case = case_actions.report_cases(actor, [report], now=now)[0]
            submission = record_submission(
                channel=Channel.INSPECTOR,
                case=case,
                sender=_sender(actor),
                external_id=rid,
                created_by=actor,
                now=now,
            )
            audit.record(
                actor,
                "intake.inspector_report",
                submission,
                f"城管通上报 {case.number}",
                report_id=rid,
                case=case.number,
                captured_at=captured_at.isoformat() if captured_at else None,
                accuracy_m=accuracy_m,
            )
    except IntegrityError:
        # The same report arrived twice at once and the other arrival committed first.
        earlier = find_resend(Channel.INSPECTOR, _sender(actor), rid)
        if earlier is None:
            raise
        return _replayed(earlier, kind, type_code, description)
    return Filed(case, submission, replayed=False)


def _replayed(earlier: Submission, kind: str, type_code: str, description: str) -> Filed:
    case = earlier.case
    assert case is not None  # an inspector's submission is recorded with its case
    if not _same_report(case, kind, type_code, description):
        raise Conflict(
            "report_id_reused",
            f"该上报编号已用于另一份不同的上报（案卷 {case.number}），新的上报请使用新的编号。",
            "id",
            number=case.number,
        )
    return Filed(case, earlier, replayed=True)


def report_submission(actor: User, report_id: str | uuid.UUID) -> Submission:
    """The actor's own phone report (what its photos are attached to)."""
    require_inspector(actor)
    found = find_resend(Channel.INSPECTOR, _sender(actor), clean_report_id(report_id))
    if found is None or found.case is None:
        raise NotFound("report_not_found", "没有这条上报，请先发送上报本身。", "id")
    return found


def add_report_photo(
    actor: User,
    report_id: str | uuid.UUID,
    upload: Upload,
    *,
    now: datetime | None = None,
) -> StoredPhoto:
    """Attach one "before" photo to the case of a phone report; the same picture again
    is the photo already stored (a resend after a lost answer), not a refusal."""
    submission = report_submission(actor, report_id)
    case = submission.case
    assert case is not None
    existing = _photo_with_content(case, upload.content)
    if existing is not None:
        return StoredPhoto(existing, duplicate=True)
    count = CasePhoto.objects.filter(
        case=case, phase=CasePhoto.Phase.BEFORE, uploaded_by=actor
    ).count()
    if count >= MAX_REPORT_PHOTOS:
        raise InvalidInput(
            "too_many_photos", f"一条上报最多附带 {MAX_REPORT_PHOTOS} 张照片。", "file"
        )
    try:
        photo = add_photo(
            actor,
            case.number,
            phase=CasePhoto.Phase.BEFORE,
            filename=upload.filename,
            content=upload.content,
            content_type=upload.content_type,
            now=now,
        )
    except Conflict as exc:
        # The same picture sent twice at once: the other request stored it.
        existing = _photo_with_content(case, upload.content)
        if exc.code != "duplicate_photo" or existing is None:
            raise
        return StoredPhoto(existing, duplicate=True)
    return StoredPhoto(photo, duplicate=False)


def _photo_with_content(case: Case, content: bytes) -> CasePhoto | None:
    if not content:
        return None
    digest = hashlib.sha256(content).hexdigest()
    return CasePhoto.objects.filter(case=case, sha256=digest).first()


def complete_task(
    actor: User,
    number: str,
    name: str,
    *,
    version: int,
    note: str = "",
    photos: Sequence[Upload] = (),
    now: datetime | None = None,
) -> Case:
    """Do one verify or check task: its photos and the move, stored together or not at all.

    The version is the one the phone showed: if someone moved the case meanwhile, nothing
    is stored and the inspector is told (409).
    """
    require_inspector(actor)
    phase = TASK_MOVES.get(name)
    if phase is None:
        raise InvalidInput("bad_transition", "城管通只能办理核实和核查任务。", "name")
    if len(photos) > MAX_TASK_PHOTOS:
        raise InvalidInput("too_many_photos", f"一次最多附带 {MAX_TASK_PHOTOS} 张照片。", "photos")
    case = case_queries.case_detail(actor, number)
    # Refused before any photo is written (the move checks both again under the row lock).
    if case.version != version:
        raise Conflict(
            "stale_version",
            f"案卷 {number} 已被他人修改（当前版本 {case.version}，您提交的是 {version}），"
            "请刷新后重试。",
            "version",
            current_version=case.version,
        )
    if case.state != TASK_STATES[name] or case.assignee_id != actor.pk:
        raise Conflict(
            "task_gone",
            f"案卷 {number} 已不在您的任务清单中（当前状态：{case.get_state_display()}）。",
            None,
        )
    now = now or timezone.now()
    stored: list[str] = []
    inputs: dict[str, Any] = {"note": note} if note.strip() else {}
    try:
        with transaction.atomic():
            # Photos first: a check photo may be added only while the check is the
            # inspector's; the move then checks the version again under the row lock.
            for upload in photos:
                try:
                    photo = add_photo(
                        actor,
                        number,
                        phase=phase,
                        filename=upload.filename,
                        content=upload.content,
                        content_type=upload.content_type,
                        now=now,
                    )
                except Conflict as exc:
                    if exc.code == "duplicate_photo":
                        continue  # the same picture twice in one post is one photo
                    raise
                stored.append(photo.file.name)
            moved = case_actions.transition(
                actor, number, name, version=version, inputs=inputs, now=now
            )
    except BaseException:
        # The rows are rolled back; the files written before the failure go too, unless
        # another case's photo shares one (photos are stored once per content).
        for name_on_disk in stored:
            release_file(name_on_disk)
        raise
    return moved
