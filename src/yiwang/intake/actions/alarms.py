"""Receiving video AI and drone alarms: one case per problem, however often it fires.

An alarm names a registered camera, or a drone flight and the point it saw; an event type
of the table (`AlarmEventType`); the time it happened; a confidence 0–1; optionally a
snapshot; and the sender's event id. What becomes of it, in this order:

1. **Resend.** The same (channel, camera or flight, event id) again is the alarm already
   stored: the answer is its outcome, nothing is written.
2. **Repeat.** A camera's open case of the same type whose latest alarm is within the type's
   window (the window slides with each repeat), or a flight's open case of the same type
   within the type's radius, takes the alarm: a Submission pointing at that case and one
   timeline note per case and batch (`cases.actions.notes`).
3. **Review.** Below the type's confidence it waits for an operator (`alarm_review`); a
   low-confidence repeat of a pending alarm (same window / radius rule) waits in its group.
4. **Case.** Otherwise a new case is filed through `report_cases` as the channel's account
   (`channel_actor`), source video or drone, with the snapshot as its before photo.

Concurrency: every alarm of a camera (or flight) and type locks that pair's `AlarmTrack` row
for the rest of its transaction, so two alarms at once are decided one after the other.
Throughput: `receive_alarms` takes a batch and does a fixed number of queries for it —
event types, cameras, tracks, resends, open cases, one `report_cases` for the batch's new
cases and one `add_photos` for their snapshots, and bulk inserts of alarms, submissions and
notes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from yiwang.cases.actions import Report, report_cases
from yiwang.cases.actions.notes import Note, add_notes
from yiwang.cases.actions.photos import (
    EXTENSIONS,
    PhotoItem,
    Upload,
    add_photos,
)
from yiwang.cases.models import FINAL_STATES, Case, CasePhoto
from yiwang.core import audit
from yiwang.core.errors import ActionError, InvalidInput
from yiwang.intake.actions.alarm_checks import AlarmIn, Valid, validate
from yiwang.intake.actions.channels import channel_actor
from yiwang.intake.actions.submissions import NewSubmission, record_submissions
from yiwang.intake.models import (
    Alarm,
    AlarmSource,
    AlarmStatus,
    AlarmTrack,
    Channel,
    Submission,
)

MAX_BATCH = 1000
# Repeats listed in one timeline note (the count is always complete).
NOTE_LISTED_ALARMS = 50
_EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class AlarmResult:
    alarm_id: int | None  # None: a repeat merged into an open case (kept as a Submission)
    status: str
    case_number: str | None
    replayed: bool = False


@dataclass
class _NewCase:
    """A case this batch files; `case` is set once `report_cases` has run."""

    lead: Valid
    case: Case | None = None


@dataclass
class _Decision:
    valid: Valid
    alarm: Alarm
    target: Case | _NewCase | None = None  # the case it belongs to
    lead: Alarm | None = None  # a pending group's lead
    new_case: _NewCase | None = None


@dataclass
class _Candidate:
    """An open case (or a pending lead) a drone's repeat may join: where it is."""

    lon: float
    lat: float
    case: Case | _NewCase | None = None
    lead: Alarm | None = None


@dataclass
class _Batch:
    decisions: list[_Decision] = field(default_factory=list)
    results: dict[int, AlarmResult | int] = field(default_factory=dict)  # int: same as index
    files: list[str] = field(default_factory=list)  # written, deleted if the batch fails
    # A camera track's case filed by this batch (the track's FK takes it once it exists).
    track_cases: dict[int, _NewCase] = field(default_factory=dict)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine); metres matter here, not millimetres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(math.sqrt(a))


# ---- the batch ------------------------------------------------------------------------------


def receive_alarms(
    source: AlarmSource, items: list[AlarmIn], *, now: datetime | None = None
) -> list[AlarmResult | ActionError]:
    """Take a batch of alarms; for each, its result or the error that refused it alone.

    A refused alarm leaves the others untouched; the accepted ones are written in one
    transaction (all of them or, on an unexpected failure, none).
    """
    if len(items) > MAX_BATCH:
        raise InvalidInput("batch_too_large", f"一次最多提交 {MAX_BATCH} 条告警。", "alarms")
    now = now or timezone.now()
    errors: dict[int, ActionError] = {}
    valid = validate(source, items, now, errors)
    batch = _Batch()
    if valid:
        track_ids = _ensure_tracks(valid)
        for attempt in range(3):
            batch = _Batch()
            try:
                with transaction.atomic():
                    _apply(source, valid, track_ids, now, batch)
                break
            except IntegrityError:
                # A concurrent batch stored one of these event ids (or a tracking code
                # collided): the next attempt answers it as a resend.
                _delete_files(batch)
                if attempt == 2:
                    raise
            except BaseException:
                _delete_files(batch)
                raise
    results: list[AlarmResult | ActionError] = []
    for index in range(len(items)):
        if index in errors:
            results.append(errors[index])
            continue
        result = batch.results[index]
        while isinstance(result, int):  # the same event twice in one batch
            first = batch.results[result]
            result = first if isinstance(first, int) else _replayed(first)
        results.append(result)
    return results


def _replayed(result: AlarmResult) -> AlarmResult:
    return AlarmResult(result.alarm_id, result.status, result.case_number, replayed=True)


def _delete_files(batch: _Batch) -> None:
    for name in batch.files:
        Alarm.snapshot.field.storage.delete(name)
    batch.files.clear()


def _ensure_tracks(valid: list[Valid]) -> dict[tuple[str, str, int], int]:
    """The track row of every (channel, sender, type) in the batch, created if new.

    Created in their own short transaction, before the batch locks them: an insert that
    waits on another batch's insert while holding locks could deadlock with it.
    """
    keys = {(v.channel, v.sender, v.event_type.pk): v.camera for v in valid}

    def existing() -> dict[tuple[str, str, int], int]:
        # All three columns named, so the unique (channel, sender, event type) index answers.
        rows = AlarmTrack.objects.filter(
            channel__in={k[0] for k in keys},
            sender__in={k[1] for k in keys},
            event_type_id__in={k[2] for k in keys},
        ).values_list("channel", "sender", "event_type_id", "pk")
        return {(c, s, t): pk for c, s, t, pk in rows if (c, s, t) in keys}

    found = existing()
    missing = sorted(set(keys) - set(found))
    if missing:
        with transaction.atomic():
            AlarmTrack.objects.bulk_create(
                [
                    AlarmTrack(channel=c, sender=s, event_type_id=t, camera=keys[(c, s, t)])
                    for c, s, t in missing
                ],
                ignore_conflicts=True,
            )
        found = existing()
    return found


def _within(a: datetime, b: datetime | None, minutes: int) -> bool:
    return b is not None and abs(a - b) <= timedelta(minutes=minutes)


def _nearest(
    candidates: list[_Candidate], lon: float, lat: float, radius: float
) -> _Candidate | None:
    best, best_d = None, radius
    for c in candidates:
        d = distance_m(lon, lat, c.lon, c.lat)
        if d <= best_d:
            best, best_d = c, d
    return best


def _apply(
    source: AlarmSource,
    valid: list[Valid],
    track_ids: dict[tuple[str, str, int], int],
    now: datetime,
    batch: _Batch,
) -> None:
    # Locked in one order (by id) by every batch: no two batches wait on each other in turn.
    tracks = {
        (t.channel, t.sender, t.event_type_id): t
        for t in AlarmTrack.objects.select_for_update()
        .filter(pk__in=track_ids.values())
        .order_by("pk")
    }
    # After the locks: a resend committed by a concurrent batch is visible now.
    stored = _stored(valid)
    # The pending leads, cached on their tracks (one query, not one per track).
    leads = Alarm.objects.in_bulk([t.pending_lead_id for t in tracks.values() if t.pending_lead_id])
    for t in tracks.values():
        t.pending_lead = leads.get(t.pending_lead_id) if t.pending_lead_id else None
    open_cases = {
        c.pk: c
        for c in Case.objects.filter(pk__in={t.case_id for t in tracks.values() if t.case_id})
        .exclude(state__in=FINAL_STATES)
        .only("id", "number", "state")
    }
    drone_cases, drone_leads = _drone_candidates(valid)

    seen: dict[tuple[str, str, str], int] = {}
    for v in valid:
        key = (v.channel, v.sender, v.item.event_id.strip())
        if key in stored:
            batch.results[v.index] = stored[key]
            continue
        if key in seen:
            batch.results[v.index] = seen[key]
            continue
        seen[key] = v.index
        track = tracks[(v.channel, v.sender, v.event_type.pk)]
        batch.decisions.append(
            _decide(v, track, open_cases, drone_cases, drone_leads, batch, source, now)
        )
    _write(source, tracks, now, batch)


def _stored(valid: list[Valid]) -> dict[tuple[str, str, str], AlarmResult]:
    """What became of the batch's event ids already received (resends), by key.

    A repeat merged into an open case is kept as its Submission (and in the case's note),
    not as an Alarm row; every other alarm has its row. Both lookups use the unique
    (channel, sender, event id) indexes.
    """
    channels = {v.channel for v in valid}
    senders = {v.sender for v in valid}
    event_ids = {v.item.event_id.strip() for v in valid}
    found: dict[tuple[str, str, str], AlarmResult] = {}
    merged = Submission.objects.filter(
        channel__in=channels, sender__in=senders, external_id__in=event_ids
    ).values_list("channel", "sender", "external_id", "case__number")
    for channel, sender, event_id, number in merged:
        found[(channel, sender, event_id)] = AlarmResult(
            None, AlarmStatus.MERGED.value, number, replayed=True
        )
    alarms = Alarm.objects.filter(
        channel__in=channels, sender__in=senders, event_id__in=event_ids
    ).values_list("pk", "channel", "sender", "event_id", "status", "case__number")
    for pk, channel, sender, event_id, status, number in alarms:
        found[(channel, sender, event_id)] = AlarmResult(pk, status, number, replayed=True)
    return found


def _drone_candidates(
    valid: list[Valid],
) -> tuple[dict[tuple[str, int], list[_Candidate]], dict[tuple[str, int], list[_Candidate]]]:
    """A drone flight's open cases and pending leads per type (one query each)."""
    flights = {v.sender for v in valid if v.channel == Channel.DRONE}
    cases: dict[tuple[str, int], list[_Candidate]] = defaultdict(list)
    leads: dict[tuple[str, int], list[_Candidate]] = defaultdict(list)
    if not flights:
        return cases, leads
    firsts = (
        Alarm.objects.filter(
            channel=Channel.DRONE,
            sender__in=flights,
            lead=None,
            status__in=(AlarmStatus.FILED, AlarmStatus.ACCEPTED),
        )
        .exclude(case__state__in=FINAL_STATES)
        .select_related("case")
        .only("sender", "event_type_id", "lon", "lat", "case__id", "case__number", "case__state")
    )
    for a in firsts:
        cases[(a.sender, a.event_type_id)].append(_Candidate(a.lon, a.lat, case=a.case))
    pending = Alarm.objects.filter(
        channel=Channel.DRONE, sender__in=flights, lead=None, status=AlarmStatus.PENDING
    ).only("id", "sender", "event_type_id", "lon", "lat", "occurred_at")
    for a in pending:
        leads[(a.sender, a.event_type_id)].append(_Candidate(a.lon, a.lat, lead=a))
    return cases, leads


def _decide(
    v: Valid,
    track: AlarmTrack,
    open_cases: dict[int, Case],
    drone_cases: dict[tuple[str, int], list[_Candidate]],
    drone_leads: dict[tuple[str, int], list[_Candidate]],
    batch: _Batch,
    source: AlarmSource,
    now: datetime,
) -> _Decision:
    et = v.event_type
    at = v.item.occurred_at
    alarm = Alarm(
        source=source,
        channel=v.channel,
        sender=v.sender,
        event_id=v.item.event_id.strip(),
        camera=v.camera,
        event_type=et,
        occurred_at=at,
        received_at=now,
        confidence=v.item.confidence,
        lon=v.lon,
        lat=v.lat,
        grid_id=v.grid_id,
        division_path=v.division_path,
        snapshot_sha256=v.snapshot_sha256,
    )
    decision = _Decision(valid=v, alarm=alarm)
    track.alarm_count += 1
    key = (v.sender, et.pk)

    # 2. a repeat joins the open case
    target: Case | _NewCase | None = None
    if v.channel == Channel.VIDEO:
        current: Case | _NewCase | None = batch.track_cases.get(track.pk)
        if current is None and track.case_id in open_cases:
            current = open_cases[track.case_id]
        if current is not None and _within(at, track.last_at, et.window_minutes):
            target = current
    else:
        near = _nearest(drone_cases[key], v.lon, v.lat, et.radius_m)
        target = near.case if near is not None else None
    if target is not None:
        alarm.status = AlarmStatus.MERGED
        decision.target = target
        if v.channel == Channel.VIDEO:
            track.last_at = max(at, track.last_at) if track.last_at else at
        return decision

    # 3. below the confidence: the review queue (with the pending group, if any)
    if v.item.confidence < float(et.min_confidence):
        alarm.status = AlarmStatus.PENDING
        track.pending_count += 1
        lead: Alarm | None = None
        if v.channel == Channel.VIDEO:
            if track.pending_lead is not None and _within(
                at, track.pending_last_at, et.window_minutes
            ):
                lead = track.pending_lead
        else:
            near = _nearest(drone_leads[key], v.lon, v.lat, et.radius_m)
            lead = near.lead if near is not None else None
        if lead is not None:
            decision.lead = lead
            if v.channel == Channel.VIDEO:
                track.pending_last_at = max(at, track.pending_last_at or at)
        else:
            track.pending_lead = alarm
            track.pending_last_at = at
            if v.channel == Channel.DRONE:
                drone_leads[key].append(_Candidate(v.lon, v.lat, lead=alarm))
        return decision

    # 4. a new case
    new_case = _NewCase(lead=v)
    alarm.status = AlarmStatus.FILED
    decision.new_case = new_case
    decision.target = new_case
    if v.channel == Channel.VIDEO:
        batch.track_cases[track.pk] = new_case
        track.last_at = at
    else:
        drone_cases[key].append(_Candidate(v.lon, v.lat, case=new_case))
    return decision


def case_report(alarm_like: Alarm | Valid) -> Report:
    """The case an alarm files: its event type's matter type at the camera or drone point."""
    if isinstance(alarm_like, Valid):
        et, camera, channel = alarm_like.event_type, alarm_like.camera, alarm_like.channel
        sender, event_id = alarm_like.sender, alarm_like.item.event_id.strip()
        at, confidence = alarm_like.item.occurred_at, alarm_like.item.confidence
        lon, lat = alarm_like.lon, alarm_like.lat
    else:
        et, camera, channel = alarm_like.event_type, alarm_like.camera, alarm_like.channel
        sender, event_id = alarm_like.sender, alarm_like.event_id
        at, confidence = alarm_like.occurred_at, alarm_like.confidence
        lon, lat = alarm_like.lon, alarm_like.lat
    local = timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")
    if camera is not None:
        where = f"摄像机 {camera.name}（{camera.device_id}）"
        title = f"{et.name}（视频发现：{camera.name}）"
    else:
        where = f"无人机架次 {sender}"
        title = f"{et.name}（无人机巡查）"
    label = Channel(channel).label
    return Report(
        kind="matter",
        type_code=et.matter_type.code,
        title=title[:200],
        lon=lon,
        lat=lat,
        source=channel,  # the case sources video / drone have the channels' values
        description=(
            f"{label}告警：{where}，发生时间 {local}，置信度 {confidence:.2f}，"
            f"事件类型 {et.name}（{et.code}），事件编号 {event_id}。"
        ),
        address=camera.address if camera is not None else "",
    )


def _write(
    source: AlarmSource,
    tracks: dict[tuple[str, str, int], AlarmTrack],
    now: datetime,
    batch: _Batch,
) -> None:
    decisions = batch.decisions
    actors = {ch: channel_actor(ch) for ch in {d.valid.channel for d in decisions}}

    # New cases, one report_cases per channel, then their snapshots as before photos.
    for channel, actor in actors.items():
        planned = [
            d.new_case for d in decisions if d.new_case is not None and d.valid.channel == channel
        ]
        if not planned:
            continue
        cases = report_cases(actor, [case_report(p.lead) for p in planned], now=now)
        photos = []
        for new_case, case in zip(planned, cases, strict=True):
            new_case.case = case
            lead = new_case.lead
            if lead.item.snapshot and lead.snapshot_type:
                name = f"{lead.item.event_id.strip()}.{EXTENSIONS[lead.snapshot_type]}"
                photos.append(
                    PhotoItem(
                        case.number,
                        CasePhoto.Phase.BEFORE,
                        Upload(name, lead.item.snapshot, lead.snapshot_type),
                    )
                )
        # The snapshots become the new cases' before photos, all in one go.
        batch.files.extend(p.file.name for p in add_photos(actor, photos, now=now))

    def resolved(target: Case | _NewCase | None) -> Case | None:
        if isinstance(target, _NewCase):
            return target.case
        return target

    for d in decisions:
        d.alarm.case = resolved(d.target)
        v = d.valid
        if d.alarm.status == AlarmStatus.PENDING and d.lead is None and v.snapshot_type:
            # The lead of a review group keeps its snapshot for the operator.
            d.alarm.snapshot.save(
                f"{v.snapshot_sha256}.{EXTENSIONS[v.snapshot_type]}",
                ContentFile(v.item.snapshot),
                save=False,
            )
            batch.files.append(d.alarm.snapshot.name)
    # Alarms whose group lead is in this batch go after it (the lead needs its id first).
    # A merged repeat is stored as its Submission and in the case's note, not as an Alarm
    # row: the bulk of a busy camera's alarms costs one row, not two.
    kept = [d for d in decisions if d.alarm.status != AlarmStatus.MERGED]
    waiting = [d.lead is not None and d.lead.pk is None for d in kept]
    for d in kept:
        if d.lead is not None:
            d.alarm.lead = d.lead
    Alarm.objects.bulk_create([d.alarm for d, w in zip(kept, waiting, strict=True) if not w])
    Alarm.objects.bulk_create([d.alarm for d, w in zip(kept, waiting, strict=True) if w])

    for channel, actor in actors.items():
        in_cases = [
            NewSubmission(d.valid.sender, d.alarm.event_id, d.alarm.case)
            for d in decisions
            if d.valid.channel == channel and d.alarm.case is not None
        ]
        record_submissions(channel, in_cases, created_by=actor, now=now)
        add_notes(actor, _repeat_notes(d for d in decisions if d.valid.channel == channel), now=now)

    for track in tracks.values():
        filed = batch.track_cases.get(track.pk)
        if filed is not None and filed.case is not None:
            track.case = filed.case
    _save_tracks(list(tracks.values()))

    for d in decisions:
        owner = d.alarm.case
        batch.results[d.valid.index] = AlarmResult(
            d.alarm.pk if d.alarm.status != AlarmStatus.MERGED else None,
            str(d.alarm.status),
            owner.number if owner is not None else None,
        )
    counts: dict[str, int] = defaultdict(int)
    for d in decisions:
        counts[d.alarm.status] += 1
    audit.record(
        next(iter(actors.values())) if actors else None,
        "intake.receive_alarms",
        ("intake.alarm", "batch"),
        f"{source.name} 告警 {len(decisions)} 条：新立案 {counts[AlarmStatus.FILED]}，"
        f"并入 {counts[AlarmStatus.MERGED]}，待审核 {counts[AlarmStatus.PENDING]}",
        source=source.pk,
        **{status: counts[status] for status in counts},
    )


def _save_tracks(tracks: list[AlarmTrack]) -> None:
    """Write the batch's locked tracks back: one plain UPDATE per row, sent with
    executemany (`bulk_update` builds a CASE expression per row and field, which cost more
    than all the rest of a batch)."""
    ops = connection.ops
    table = AlarmTrack._meta.db_table
    rows = [
        (
            t.case_id,
            ops.adapt_datetimefield_value(t.last_at),
            t.pending_lead.pk if t.pending_lead is not None else None,  # cached in _apply
            ops.adapt_datetimefield_value(t.pending_last_at),
            t.alarm_count,
            t.pending_count,
            t.pk,
        )
        for t in tracks
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET case_id = %s, last_at = %s, pending_lead_id = %s, "
            "pending_last_at = %s, alarm_count = %s, pending_count = %s WHERE id = %s",
            rows,
        )


def _repeat_notes(decisions: Any) -> list[Note]:
    """One timeline note per case for the repeats this batch added to it."""
    by_case: dict[str, list[_Decision]] = defaultdict(list)
    for d in decisions:
        if d.alarm.status == AlarmStatus.MERGED and d.alarm.case is not None:
            by_case[d.alarm.case.number].append(d)
    notes = []
    for number, repeats in by_case.items():
        first = repeats[0].valid
        where = (
            f"摄像机 {first.camera.name}（{first.camera.device_id}）"
            if first.camera is not None
            else f"无人机架次 {first.sender}"
        )
        notes.append(
            Note(
                number,
                f"{where}再次告警“{first.event_type.name}” {len(repeats)} 次，已并入本案卷。",
                {
                    "alarms": len(repeats),
                    "sender": first.sender,
                    "event_type": first.event_type.code,
                    "events": [
                        {
                            "event_id": d.alarm.event_id,
                            "at": d.alarm.occurred_at.isoformat(),
                            "confidence": round(d.alarm.confidence, 3),
                            "sha256": d.alarm.snapshot_sha256,
                        }
                        for d in repeats[:NOTE_LISTED_ALARMS]
                    ],
                },
            )
        )
    return notes
