"""Open311 GeoReport v2: services, requests and their updates as the public interface shows them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from yiwang.cases import queries as case_queries
from yiwang.cases.models import FINAL_STATES, Case, CaseEvent, State
from yiwang.cases.numbers import KIND_LETTER
from yiwang.catalog.models import ObjectType
from yiwang.core.textinput import is_ascii_digits
from yiwang.intake import following
from yiwang.intake.actions.channels import channel_actor, node_division
from yiwang.intake.models import (
    Channel,
    PublicService,
    Submission,
)
from yiwang.org.models import Division, User

# ---- Open311 GeoReport v2 ------------------------------------------------------------------
# Public reads: no personal data leaves here (no reporter, contact or note text), only what
# Open311 shows of a request. They run as the channel's own account, whose scope is the
# node's division, through the case loop's scoped queries.

OPEN311_MAX_ROWS = 1000  # GeoReport v2: "first 1000 requests returned"
OPEN311_WINDOW = timedelta(days=90)  # GeoReport v2: a date window of at most 90 days
# Updates are polled in short windows (FixMyStreet asks for the last two hours); a busy
# city changes more than 1000 cases in that time.
OPEN311_MAX_UPDATES = 10_000
# 结案 and 作废 are `closed` in Open311; every other state is `open`. A merged request (已合并)
# is what the case carrying its result is (`following`).
OPEN311_CLOSED_STATES = tuple(sorted(FINAL_STATES - {State.MERGED}))
# Merged requests whose final case changed in an `updated_after/before` window, at most.
OPEN311_MAX_MERGED = 1000


def service_code(kind: str, code: str) -> str:
    """The Open311 service_code of a type: the case number's kind letter + the 5-digit code
    (B01001 供水井盖, S06001 …): component and matter types share codes."""
    return f"{KIND_LETTER[kind]}{code}"


def parse_service_code(value: str) -> tuple[str, str] | None:
    """(kind, code) for a service_code, or None when it is not one."""
    value = value.strip().upper()
    kind = _KIND_OF_LETTER.get(value[:1])
    code = value[1:]
    if kind is None or len(code) != 5 or not is_ascii_digits(code):
        return None
    return kind, code


def open311_actor() -> User:
    return channel_actor(Channel.OPEN311)


def open311_jurisdiction(code: str) -> Division | None:
    """The division a jurisdiction_id names: the node's own or one inside it; None if unknown.
    An empty id means the node itself (GeoReport v2: optional when one jurisdiction is served)."""
    node = node_division()
    code = code.strip()
    if not code or code == node.code:
        return node
    if len(code) > 12 or not is_ascii_digits(code):
        return None
    found = Division.objects.filter(code=code, path__startswith=node.path).first()
    return found


# What the public may report: the one list, read by the report page and by Open311. An entry
# is open when it, its tile and its catalogue type are all enabled.
_KIND_OF_LETTER = {letter: kind for kind, letter in KIND_LETTER.items()}
OPEN_SERVICE = Q(is_active=True, category__is_active=True, type__is_active=True)


def public_services() -> list[PublicService]:
    return list(
        PublicService.objects.filter(OPEN_SERVICE)
        .select_related("type")
        .order_by("order", "type__kind", "type__code")
    )


def public_service(code: str) -> PublicService | None:
    parsed = parse_service_code(code)
    if parsed is None:
        return None
    kind, type_code = parsed
    return (
        PublicService.objects.filter(OPEN_SERVICE, type__kind=kind, type__code=type_code)
        .select_related("type")
        .first()
    )


def services_changed_at() -> datetime | None:
    """When the service list last changed (discovery's `changeset`)."""
    latest = PublicService.objects.order_by("-updated_at").values_list("updated_at", flat=True)
    return latest.first()


@dataclass
class RequestFilters:
    """GET requests: every filter already parsed and checked by the view."""

    ids: list[str] | None = None  # service_request_id: overrides every other filter
    start: datetime | None = None
    end: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    statuses: set[str] = field(default_factory=set)  # {"open", "closed"}; empty = both
    service_codes: list[str] = field(default_factory=list)
    page: int = 1
    page_size: int = OPEN311_MAX_ROWS


# What a request shows, read as plain values (no model instances: up to 1000 rows a call).
REQUEST_COLUMNS = (
    "id",
    "number",
    "state",
    "stage",
    "stage_due_at",
    "source",
    "type_id",
    "type__kind",
    "type__code",
    "type__name",
    "title",
    "description",
    "department__name",
    "reported_at",
    "updated_at",
    "handle_due_at",
    "address",
    "lat",
    "lon",
    "merged_into_id",
)


def _open311_cases(actor: User, division: Division) -> QuerySet[Case]:
    qs = case_queries.cases(actor).select_related(None)
    # The channel's account is bound to the node's division: its scope already limits rows
    # to the node; a jurisdiction inside it narrows them further.
    if division.pk != actor.division_id:
        qs = qs.filter(division_path__startswith=division.path)
    return qs


def open311_requests(
    actor: User, division: Division, f: RequestFilters, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The rows of GET requests, newest first; at most `page_size` (≤ 1000) of them."""
    qs = _open311_cases(actor, division)
    if f.ids is not None:
        # GeoReport v2: service_request_id "overrides all other arguments".
        return list(
            qs.filter(number__in=f.ids).order_by("-reported_at", "-id").values(*REQUEST_COLUMNS)
        )
    now = now or timezone.now()
    by_update = f.start is None and f.end is None and (f.updated_after or f.updated_before)
    if by_update:
        # A client syncing changes: the 90-day window applies to the update time instead.
        before = f.updated_before or now
        after = f.updated_after or before - OPEN311_WINDOW
        qs = qs.filter(_updated_between(qs, after, before))
        order: tuple[str, ...] = ("-updated_at", "-id")
    else:
        end = f.end or ((f.start + OPEN311_WINDOW) if f.start else now)
        start = f.start or end - OPEN311_WINDOW
        qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
        if f.updated_after or f.updated_before:
            qs = qs.filter(_updated_between(qs, f.updated_after, f.updated_before))
        order = ("-reported_at", "-id")
    if f.statuses == {"closed"}:
        qs = qs.filter(_closed())
    elif f.statuses == {"open"}:
        qs = qs.exclude(_closed())
    if f.service_codes:
        # Resolved to ids first, so the planner sees the values and walks (type, reported_at).
        wanted = [p for p in map(parse_service_code, f.service_codes) if p is not None]
        q = Q(pk__in=[])
        for kind, code in wanted:
            q |= Q(kind=kind, code=code)
        type_ids = list(ObjectType.objects.filter(q).values_list("pk", flat=True))
        qs = qs.filter(type_id__in=type_ids)
    size = min(f.page_size, OPEN311_MAX_ROWS)
    first = (f.page - 1) * size
    return list(qs.order_by(*order).values(*REQUEST_COLUMNS)[first : first + size])


def _closed() -> Q:
    """Requests Open311 calls `closed`: 结案 or 作废, or merged into a case that is."""
    return following.done_or_merged_into_done(OPEN311_CLOSED_STATES)


def _updated_between(qs: QuerySet[Case], after: datetime | None, before: datetime | None) -> Q:
    """Requests changed in the window: the case, or the case carrying a merged one's result."""
    return following.changed_between(qs, after, before, limit=OPEN311_MAX_MERGED)


def open311_final(rows: list[dict[str, Any]]) -> dict[int, Case]:
    """For the merged requests among `rows`: case id → the case carrying the result, whose
    state, department and deadlines the request reports (`cases.queries.final_case`)."""
    return following.finals(
        {
            r["id"]: r["merged_into_id"]
            for r in rows
            if r["state"] == State.MERGED and r["merged_into_id"]
        }
    )


def open311_request(actor: User, division: Division, number: str) -> dict[str, Any] | None:
    rows = list(_open311_cases(actor, division).filter(number=number).values(*REQUEST_COLUMNS))
    return rows[0] if rows else None


def service_names() -> dict[int, str]:
    """type id → the name the public service list shows, for the types opened to the public."""
    rows = PublicService.objects.exclude(name="").values_list("type_id", "name")
    return dict(rows)


@dataclass(frozen=True)
class TimelineNote:
    at: datetime
    transition: str
    to_state: str


def timeline_notes(
    case_ids: list[int], finals: Mapping[int, Case] | None = None
) -> dict[int, list[TimelineNote]]:
    """Each case's moves in order, for `extensions=true`: one query for all the rows shown.
    Only the move and the state it led to: who made it and their notes stay inside.

    A merged request (`finals`: case id → the case carrying its result) goes on with the
    moves that case made after the merge: the reporter's one timeline."""
    notes: dict[int, list[TimelineNote]] = {i: [] for i in case_ids}
    if not case_ids:
        return notes
    finals = finals or {}
    wanted = set(case_ids) | {final.pk for final in finals.values()}
    rows = (
        CaseEvent.objects.filter(case_id__in=wanted)
        .order_by("case_id", "at", "id")
        .values_list("case_id", "id", "at", "transition", "to_state")
    )
    moves: dict[int, list[tuple[int, TimelineNote]]] = {}
    for case_id, event_id, at, name, to_state in rows:
        moves.setdefault(case_id, []).append((event_id, TimelineNote(at, name, to_state)))
    for case_id in case_ids:
        notes[case_id] = [note for _, note in moves.get(case_id, [])]
    for case_id, final in finals.items():
        merges = [i for i, note in moves.get(case_id, []) if note.transition == following.MERGE]
        if case_id in notes and merges:
            notes[case_id] += [
                note
                for i, note in moves.get(final.pk, [])
                if i > merges[-1] and note.transition not in following.ABOUT_OTHERS
            ]
    return notes


def open311_updates(
    actor: User, division: Division, start: datetime, end: datetime, *, page: int = 1
) -> list[dict[str, Any]]:
    """The case moves between `start` and `end`, oldest first (servicerequestupdates).

    A move of a case that others were merged into is also an update of each of them (made
    after their merge): it follows the move, with the merged request's id, `update_id`
    "<move>-<request>" and `merged` true. Pages count the moves; these ride along."""
    cases = _open311_cases(actor, division)
    qs = CaseEvent.objects.filter(at__gte=start, at__lte=end, case__in=cases.values("pk"))
    first = (page - 1) * OPEN311_MAX_UPDATES
    rows = qs.order_by("at", "id").values(
        "id", "at", "transition", "to_state", "case_id", "case__number"
    )
    updates = [
        {**r, "update_id": str(r["id"]), "merged": False}
        for r in rows[first : first + OPEN311_MAX_UPDATES]
    ]
    return following.with_followers(cases, updates)


def open311_token(token: str) -> Submission | None:
    """The Open311 submission a token (its tracking code) names."""
    token = token.strip().upper()
    if not token or len(token) > 16:
        return None
    return (
        Submission.objects.filter(tracking_code=token, channel=Channel.OPEN311)
        .select_related("case")
        .first()
    )
