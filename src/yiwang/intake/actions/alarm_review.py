"""The operator's review of low-confidence alarms: accept (a case) or reject (a false alarm).

A review group is a pending alarm (its lead) and the low-confidence repeats that joined it;
the operator decides the group at once. Accepting files the case as the channel's account,
exactly as a confident alarm would have — or, when the camera (flight) has meanwhile got an
open case of the type within the window (radius), adds the group to that case — and leaves
the operator's confirmation on the case's timeline. Rejecting records the reason and counts
every alarm of the group as a false alarm of its camera (the registry's 误报率).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from yiwang.cases.actions import report_cases
from yiwang.cases.actions.notes import add_note
from yiwang.cases.actions.photos import add_photo
from yiwang.cases.models import FINAL_STATES, Case, CasePhoto
from yiwang.core import audit
from yiwang.core.errors import Conflict, InvalidInput, NotFound
from yiwang.core.scope import path_in_scope
from yiwang.core.textinput import text_problem
from yiwang.intake.actions.alarms import case_report, distance_m
from yiwang.intake.actions.channels import channel_actor
from yiwang.intake.actions.submissions import NewSubmission, record_submissions
from yiwang.intake.models import Alarm, AlarmStatus, AlarmTrack, Channel
from yiwang.org.models import User
from yiwang.org.permissions import require_role
from yiwang.org.roles import Role

REVIEW_ROLES = (Role.OPERATOR, Role.SHIFT_LEAD, Role.ADMIN)
REASON_MAX_LENGTH = 200


@dataclass(frozen=True)
class Accepted:
    case: Case
    created: bool  # False: the group joined the camera's open case
    alarms: int


def _locked_group(actor: User, alarm_id: int) -> tuple[Alarm, list[Alarm], AlarmTrack]:
    require_role(actor, REVIEW_ROLES, "审核告警")
    alarm = (
        Alarm.objects.select_related("event_type__matter_type", "camera")
        .filter(pk=alarm_id)
        .first()
    )
    if alarm is None or not path_in_scope(actor, alarm.division_path):
        raise NotFound("alarm_not_found", "告警不存在或不在您的管辖范围内。", "alarm_id")
    # The track lock orders this decision with the alarms arriving for the same pair.
    track = AlarmTrack.objects.select_for_update().get(
        channel=alarm.channel, sender=alarm.sender, event_type_id=alarm.event_type_id
    )
    alarm.refresh_from_db(fields=["status", "lead", "case"])
    if alarm.lead_id is not None:
        raise Conflict("not_group_lead", "请审核该告警所在组的首条告警。", "alarm_id")
    if alarm.status != AlarmStatus.PENDING:
        raise Conflict(
            "already_decided",
            f"该告警已审核：{AlarmStatus(alarm.status).label}。",
            "alarm_id",
        )
    members = list(alarm.group.filter(status=AlarmStatus.PENDING).order_by("occurred_at", "pk"))
    return alarm, [alarm, *members], track


def _open_case(alarm: Alarm, group: list[Alarm], track: AlarmTrack) -> Case | None:
    """The open case of the same camera (flight) and type this group belongs to, if any."""
    et = alarm.event_type
    if alarm.channel == Channel.VIDEO:
        if track.case_id is None or track.last_at is None:
            return None
        case = Case.objects.filter(pk=track.case_id).exclude(state__in=FINAL_STATES).first()
        window = et.window_minutes * 60
        if case is not None and any(
            abs((a.occurred_at - track.last_at).total_seconds()) <= window for a in group
        ):
            return case
        return None
    firsts = (
        Alarm.objects.filter(
            channel=Channel.DRONE,
            sender=alarm.sender,
            event_type_id=alarm.event_type_id,
            lead=None,
            status__in=(AlarmStatus.FILED, AlarmStatus.ACCEPTED),
        )
        .exclude(case__state__in=FINAL_STATES)
        .select_related("case")
    )
    near = [
        (distance_m(alarm.lon, alarm.lat, a.lon, a.lat), a.case)
        for a in firsts
        if a.case is not None
    ]
    near = [(d, c) for d, c in near if d <= et.radius_m]
    return min(near, key=lambda dc: dc[0])[1] if near else None


def _release(track: AlarmTrack, alarm: Alarm, count: int) -> None:
    track.pending_count = max(0, track.pending_count - count)
    if track.pending_lead_id == alarm.pk:
        track.pending_lead = None
        track.pending_last_at = None


def accept_alarm(
    actor: User, alarm_id: int, *, note: str = "", now: datetime | None = None
) -> Accepted:
    """Accept a pending alarm's group: a case (new or the camera's open one) takes it."""
    now = now or timezone.now()
    note = _check_text(note, "note", "审核意见", REASON_MAX_LENGTH)
    stored: list[str] = []
    try:
        with transaction.atomic():
            return _accept(actor, alarm_id, note, now, stored)
    except BaseException:
        # The rows are rolled back; the before photo written on the way goes too.
        for name in stored:
            CasePhoto.file.field.storage.delete(name)
        raise


def _accept(actor: User, alarm_id: int, note: str, now: datetime, stored: list[str]) -> Accepted:
    alarm, group, track = _locked_group(actor, alarm_id)
    machine = channel_actor(alarm.channel)
    case = _open_case(alarm, group, track)
    created = case is None
    if case is None:
        case = report_cases(machine, [case_report(alarm)], now=now)[0]
        if alarm.snapshot:
            with alarm.snapshot.open("rb") as f:
                content = f.read()
            photo = add_photo(
                machine,
                case.number,
                phase=CasePhoto.Phase.BEFORE,
                filename=f"{alarm.event_id}.{alarm.snapshot.name.rsplit('.', 1)[-1]}",
                content=content,
                now=now,
            )
            stored.append(photo.file.name)
    latest = max(a.occurred_at for a in group)
    if alarm.channel == Channel.VIDEO and (
        created or track.last_at is None or latest > track.last_at
    ):
        track.case = case
        track.last_at = latest if created or track.last_at is None else max(latest, track.last_at)
    for a in group:
        a.status = AlarmStatus.ACCEPTED
        a.case = case
        a.decided_by = actor
        a.decided_at = now
    Alarm.objects.bulk_update(group, ["status", "case", "decided_by", "decided_at"])
    record_submissions(
        alarm.channel,
        [NewSubmission(a.sender, a.event_id, case) for a in group],
        created_by=machine,
        now=now,
    )
    _release(track, alarm, len(group))
    track.save(
        update_fields=["case", "last_at", "pending_lead", "pending_last_at", "pending_count"]
    )
    label = Channel(alarm.channel).label
    text = f"审核确认{label}告警“{alarm.event_type.name}” {len(group)} 条" + (
        "，立案。" if created else "，并入本案卷。"
    )
    add_note(
        actor,
        case.number,
        text + (f"审核意见：{note}" if note else ""),
        {"alarms": [a.pk for a in group], "sender": alarm.sender, "reviewed": True},
        now=now,
    )
    audit.record(
        actor,
        "intake.accept_alarm",
        alarm,
        f"审核通过告警 {alarm.sender}/{alarm.event_id}（{len(group)} 条）→ 案卷 {case.number}",
        case=case.number,
        alarms=len(group),
    )
    return Accepted(case=case, created=created, alarms=len(group))


@transaction.atomic
def reject_alarm(actor: User, alarm_id: int, *, reason: str, now: datetime | None = None) -> int:
    """Reject a pending alarm's group as a false alarm; returns how many alarms it held."""
    now = now or timezone.now()
    reason = _check_text(reason, "reason", "驳回原因", REASON_MAX_LENGTH)
    if not reason:
        raise InvalidInput("required", "请填写驳回原因。", "reason")
    alarm, group, track = _locked_group(actor, alarm_id)
    for a in group:
        a.status = AlarmStatus.REJECTED
        a.reason = reason
        a.decided_by = actor
        a.decided_at = now
    Alarm.objects.bulk_update(group, ["status", "reason", "decided_by", "decided_at"])
    track.rejected_count += len(group)
    _release(track, alarm, len(group))
    track.save(update_fields=["rejected_count", "pending_lead", "pending_last_at", "pending_count"])
    audit.record(
        actor,
        "intake.reject_alarm",
        alarm,
        f"驳回告警 {alarm.sender}/{alarm.event_id}（{len(group)} 条）：{reason}",
        reason=reason,
        alarms=len(group),
    )
    return len(group)


def _check_text(value: str, field: str, label: str, limit: int) -> str:
    value = value.strip()
    problem = text_problem(value)
    if problem is not None:
        raise InvalidInput(problem[0], f"{label}{problem[1]}", field)
    if len(value) > limit:
        raise InvalidInput("too_long", f"{label}不能超过 {limit} 个字符。", field)
    return value
