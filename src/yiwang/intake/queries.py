"""The read side of intake."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Max, Min, Q, QuerySet
from django.utils import timezone

from yiwang.cases import queries as case_queries
from yiwang.cases.models import FINAL_STATES, Case, CaseEvent
from yiwang.cases.numbers import KIND_LETTER
from yiwang.catalog.models import ObjectType
from yiwang.core.errors import NotFound
from yiwang.core.scope import scoped
from yiwang.geo import queries as geo_queries
from yiwang.intake.actions.channels import channel_actor, node_division
from yiwang.intake.models import (
    Channel,
    HotlineMessage,
    HotlineOrder,
    HotlineSystem,
    PublicService,
    Submission,
)
from yiwang.org.models import Division, User
from yiwang.org.permissions import has_role
from yiwang.org.roles import Role

_KIND_OF_LETTER = {letter: kind for kind, letter in KIND_LETTER.items()}


SHANGHAI = ZoneInfo("Asia/Shanghai")


def submission_by_tracking_code(code: str) -> Submission | None:
    """A submission for its reporter (no login: the code is the secret)."""
    code = code.strip().upper()
    if not code or len(code) > 16:
        return None
    return (
        Submission.objects.select_related("case", "case__type").filter(tracking_code=code).first()
    )


# ---- Open311 GeoReport v2 ------------------------------------------------------------------
# Public reads: no personal data leaves here (no reporter, contact or note text), only what
# Open311 shows of a request. They run as the channel's own account, whose scope is the
# node's division, through the case loop's scoped queries.

OPEN311_MAX_ROWS = 1000  # GeoReport v2: "first 1000 requests returned"
OPEN311_WINDOW = timedelta(days=90)  # GeoReport v2: a date window of at most 90 days
# Updates are polled in short windows (FixMyStreet asks for the last two hours); a busy
# city changes more than 1000 cases in that time.
OPEN311_MAX_UPDATES = 10_000
# Final states are `closed` in Open311 (结案 and 作废 alike); every other state is `open`.
OPEN311_CLOSED_STATES = tuple(sorted(FINAL_STATES))


def service_code(kind: str, code: str) -> str:
    """The Open311 service_code of a type: the case number's kind letter + the 5-digit code
    (B01001 供水井盖, S06001 …): component and matter types share codes."""
    return f"{KIND_LETTER[kind]}{code}"


def parse_service_code(value: str) -> tuple[str, str] | None:
    """(kind, code) for a service_code, or None when it is not one."""
    value = value.strip().upper()
    kind = _KIND_OF_LETTER.get(value[:1])
    code = value[1:]
    if kind is None or len(code) != 5 or not code.isdigit():
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
    if len(code) > 12 or not code.isdigit():
        return None
    found = Division.objects.filter(code=code, path__startswith=node.path).first()
    return found


def public_services() -> list[PublicService]:
    return list(
        PublicService.objects.filter(is_active=True, type__is_active=True)
        .select_related("type")
        .order_by("order", "type__kind", "type__code")
    )


def public_service(code: str) -> PublicService | None:
    parsed = parse_service_code(code)
    if parsed is None:
        return None
    kind, type_code = parsed
    return (
        PublicService.objects.filter(
            is_active=True, type__is_active=True, type__kind=kind, type__code=type_code
        )
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
        qs = qs.filter(updated_at__gte=after, updated_at__lte=before)
        order: tuple[str, ...] = ("-updated_at", "-id")
    else:
        end = f.end or ((f.start + OPEN311_WINDOW) if f.start else now)
        start = f.start or end - OPEN311_WINDOW
        qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
        if f.updated_after:
            qs = qs.filter(updated_at__gte=f.updated_after)
        if f.updated_before:
            qs = qs.filter(updated_at__lte=f.updated_before)
        order = ("-reported_at", "-id")
    if f.statuses == {"closed"}:
        qs = qs.filter(state__in=OPEN311_CLOSED_STATES)
    elif f.statuses == {"open"}:
        qs = qs.exclude(state__in=OPEN311_CLOSED_STATES)
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


def timeline_notes(case_ids: list[int]) -> dict[int, list[TimelineNote]]:
    """Each case's moves in order, for `extensions=true`: one query for all the rows shown.
    Only the move and the state it led to: who made it and their notes stay inside."""
    notes: dict[int, list[TimelineNote]] = {i: [] for i in case_ids}
    if not case_ids:
        return notes
    rows = (
        CaseEvent.objects.filter(case_id__in=case_ids)
        .order_by("case_id", "at", "id")
        .values_list("case_id", "at", "transition", "to_state")
    )
    for case_id, at, name, to_state in rows:
        notes[case_id].append(TimelineNote(at, name, to_state))
    return notes


def open311_updates(
    actor: User, division: Division, start: datetime, end: datetime, *, page: int = 1
) -> list[dict[str, Any]]:
    """The case moves between `start` and `end`, oldest first (servicerequestupdates)."""
    cases = _open311_cases(actor, division)
    qs = CaseEvent.objects.filter(at__gte=start, at__lte=end, case__in=cases.values("pk"))
    first = (page - 1) * OPEN311_MAX_UPDATES
    rows = qs.order_by("at", "id").values("id", "at", "transition", "to_state", "case__number")
    return [dict(r) for r in rows[first : first + OPEN311_MAX_UPDATES]]


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


# ---- the inspector's phone (城管通) --------------------------------------------------------

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG), metres
# The tasks one phone list shows; an inspector has tens, not hundreds.
TASK_LIST_LIMIT = 200


@dataclass(frozen=True)
class Task:
    case: Case
    kind: str  # "verify" | "check"
    distance_m: float | None  # from the phone's position, when it gave one


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (good to about 0.5 % against the ellipsoid)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def inspector_tasks(user: User, lon: float | None = None, lat: float | None = None) -> list[Task]:
    """The user's 核实 and 核查 tasks: nearest first from (lon, lat), else earliest due first.

    The worklists of the case loop decide what is a task (state, assignee, scope); the
    distance is computed here for the few rows, which keeps the database portable.
    """
    tasks: list[Task] = []
    for key, kind in (("verify_tasks", "verify"), ("check_tasks", "check")):
        for case in case_queries.worklist(user, key)[:TASK_LIST_LIMIT]:
            distance = (
                None if lon is None or lat is None else haversine_m(lon, lat, case.lon, case.lat)
            )
            tasks.append(Task(case, kind, distance))
    far = float("inf")
    no_due = datetime.max.replace(tzinfo=UTC)
    tasks.sort(
        key=lambda t: (
            far if t.distance_m is None else t.distance_m,
            t.case.stage_due_at or no_due,
            t.case.pk,
        )
    )
    return tasks[:TASK_LIST_LIMIT]


# =============================================================================================
# 12345 hotline work orders: the operators' queue, the delivery log, a street's daily list


def hotline_orders(user: User, status: str | None = None) -> QuerySet[HotlineOrder]:
    """Orders of the user's area (the resolved division, or the node for unresolved text)."""
    qs = scoped(HotlineOrder.objects.all(), user, "division_path").select_related(
        "system", "case", "resolved_division"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-received_at", "-id")


def hotline_order(user: User, pk: int) -> HotlineOrder:
    row = hotline_orders(user).filter(pk=pk).first()
    if row is None:
        raise NotFound("order_not_found", "该热线工单不存在或不在您的管辖范围内。", None)
    return row


def hotline_messages(user: User, status: str | None = None) -> QuerySet[HotlineMessage]:
    """The outbound webhook log (administrators): messages with their attempts."""
    if not has_role(user, [Role.ADMIN]):
        return HotlineMessage.objects.none()
    qs = scoped(HotlineMessage.objects.all(), user, "order__division_path")
    if status:
        qs = qs.filter(status=status)
    return (
        qs.select_related("system", "order")
        .prefetch_related("deliveries")
        .order_by("-created_at", "-id")
    )


def hotline_systems() -> QuerySet[HotlineSystem]:
    return HotlineSystem.objects.filter(is_active=True).order_by("code")


def street_daily_cases(user: User, street_code: str, day: date) -> QuerySet[Case]:
    """The cases reported in one street on one day (Shanghai calendar day), oldest first."""
    start = datetime.combine(day, time.min, tzinfo=SHANGHAI)
    end = start + timedelta(days=1)
    return (
        case_queries.cases(user)
        .filter(street__code=street_code, reported_at__gte=start, reported_at__lt=end)
        .select_related("community")
        .order_by("reported_at", "id")
    )


def streets(user: User) -> QuerySet[Division]:
    """The streets a user may export the daily list of."""
    return scoped(Division.objects.filter(level=Division.Level.STREET), user, "path").order_by(
        "code"
    )


def hotline_map_bounds(user: User, row: HotlineOrder) -> list[list[float]] | None:
    """Where to open the map for placing an order: around the grids of the division its
    address resolved to, else around all the user's grids."""
    qs = geo_queries.grids(user)
    if row.resolved_division is not None:
        qs = qs.filter(division_path__startswith=row.resolved_division.path)
    box = qs.aggregate(
        west=Min("min_lon"), south=Min("min_lat"), east=Max("max_lon"), north=Max("max_lat")
    )
    if box["west"] is None:
        return geo_queries.scope_bounds(user)
    return [[box["south"], box["west"]], [box["north"], box["east"]]]
