"""The read side of intake."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Max, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from yiwang.cases import queries as case_queries
from yiwang.cases.models import FINAL_STATES, Case, CaseEvent, CasePhoto, State
from yiwang.cases.numbers import KIND_LETTER
from yiwang.catalog.models import ObjectType
from yiwang.core.errors import NotFound
from yiwang.core.scope import scoped
from yiwang.geo import queries as geo_queries
from yiwang.intake.actions.channels import channel_actor, node_division
from yiwang.intake.models import (
    Channel,
    HotlineImportJob,
    HotlineMessage,
    HotlineOrder,
    HotlineSystem,
    PublicCategory,
    PublicPhotoReview,
    PublicService,
    PublicType,
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


def hotline_import_jobs(user: User) -> QuerySet[HotlineImportJob]:
    """The background imports ``user`` uploaded, newest first: nobody else's (the files
    hold callers' numbers; an administrator reads the audit log)."""
    return (
        HotlineImportJob.objects.filter(user=user)
        .select_related("system")
        .defer("data", "result", "errors")
        .order_by("-created_at", "-id")
    )


def hotline_import_job(user: User, pk: int) -> HotlineImportJob:
    """One of ``user``'s background imports; anyone else's is "not found"."""
    job = HotlineImportJob.objects.filter(user=user, pk=pk).select_related("system").defer("data")
    found = job.first()
    if found is None:
        raise NotFound("import_not_found", "该导入任务不存在。", None)
    return found


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


# ---- public reporting (公众上报) ----------------------------------------------------------
# Public pages read as the public channel's account (`channel_actor(Channel.PUBLIC)`, the
# node's whole division), passed in as `viewer`, so every case read still goes through the
# case scope. Nothing here returns a name, a phone number or a member of staff.


@dataclass(frozen=True)
class TypeChoice:
    id: int
    name: str
    code: str


@dataclass(frozen=True)
class CategoryChoice:
    id: int
    name: str
    icon: str
    types: list[TypeChoice]


def public_categories() -> list[CategoryChoice]:
    """The tiles of the report page with the types under each (enabled ones only)."""
    types = (
        PublicType.objects.filter(
            is_active=True, category__is_active=True, object_type__is_active=True
        )
        .select_related("object_type")
        .order_by("category__position", "category_id", "position", "id")
    )
    by_category: dict[int, list[TypeChoice]] = {}
    for t in types:
        by_category.setdefault(t.category_id, []).append(
            TypeChoice(t.pk, t.display_name, t.object_type.code)
        )
    return [
        CategoryChoice(c.pk, c.name, c.icon, by_category[c.pk])
        for c in PublicCategory.objects.filter(is_active=True).order_by("position", "id")
        if c.pk in by_category
    ]


# The reporter's view of the loop: six steps, each done (with its date), current or to come.
STEPS = (
    ("received", gettext_noop("已受理")),
    ("verify", gettext_noop("核实")),
    ("register", gettext_noop("立案")),
    ("dispatch", gettext_noop("派遣")),
    ("handle", gettext_noop("处置")),
    ("close", gettext_noop("结案")),
)
# The step a case in each state is at (index into STEPS); CLOSED: all done.
STATE_STEP: dict[str, int] = {
    State.REPORTED: 1,
    State.PENDING_VERIFY: 1,
    State.VERIFYING: 1,
    State.PENDING_REGISTER: 2,
    State.PENDING_DISPATCH: 3,
    State.DISPATCHED: 4,
    State.HANDLING: 4,
    State.RETURN_REQUESTED: 4,
    State.EXTENSION_REQUESTED: 4,
    State.SUSPEND_REQUESTED: 4,
    State.SUSPENDED: 4,
    State.HANDLED: 5,
    State.CHECKING: 5,
    State.PENDING_CLOSE: 5,
    State.CLOSED: len(STEPS),
}
# What the public reads as the state, by the step the case is at.
STEP_STATUS = {
    1: gettext_noop("待核实"),
    2: gettext_noop("待立案"),
    3: gettext_noop("待派遣"),
    4: gettext_noop("处置中"),
    5: gettext_noop("待结案"),
    len(STEPS): gettext_noop("已结案"),
}
VOIDED_STATUS = gettext_noop("未立案")


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    done: bool
    current: bool
    at: datetime | None


@dataclass(frozen=True)
class Tracking:
    code: str
    type_name: str
    place: str  # street and community: coarse, never the typed address
    received_at: datetime
    status: str  # untranslated (gettext_noop): the page translates it
    steps: list[Step]
    closed: bool
    voided: bool
    ended_at: datetime | None  # closed or voided
    result: str  # the result text, once closed
    photo_count: int


def _step_of(case: Case) -> int:
    state = case.resume_state if case.state == State.VOID_REQUESTED else case.state
    return STATE_STEP.get(state, 1)


def public_status(case: Case) -> str:
    if case.state == State.VOIDED:
        return VOIDED_STATUS
    return STEP_STATUS[_step_of(case)]


def place_of(case: Case) -> str:
    """Street and community names: where, to a few hundred metres, without an address."""
    return " ".join(name for name in (case.street.name, case.community.name) if name)


def tracking(viewer: User, code: str) -> Tracking | None:
    """A submission's progress for whoever holds its code; None for an unknown code."""
    submission = submission_by_tracking_code(code)
    if submission is None or submission.case_id is None:
        return None
    case = case_queries.cases(viewer).select_related("community").filter(pk=submission.case_id)
    found = case.first()
    if found is None:
        return None
    events = list(
        CaseEvent.objects.filter(
            case=found, transition__in=("verify_confirm", "approve_void", "void")
        )
        .order_by("at", "id")
        .values_list("transition", "at")
    )
    verified = [at for name, at in events if name == "verify_confirm"]
    voided_at = [at for name, at in events if name in ("approve_void", "void")]
    dates: list[datetime | None] = [
        submission.received_at,
        verified[-1] if verified else None,
        found.registered_at,
        found.dispatched_at,
        found.handled_at,
        found.closed_at,
    ]
    voided = found.state == State.VOIDED
    if voided:
        # Only what happened before the case was set aside; nothing is "current".
        reached = 1 + sum(1 for at in dates[1:] if at is not None)
        current = -1
    else:
        reached = current = _step_of(found)
    steps = [
        Step(
            key,
            label,
            done=i < reached or found.state == State.CLOSED,
            current=i == current and found.state != State.CLOSED,
            at=dates[i] if i < reached or found.state == State.CLOSED else None,
        )
        for i, (key, label) in enumerate(STEPS)
    ]
    closed = found.state == State.CLOSED
    return Tracking(
        code=submission.tracking_code,
        type_name=found.title or found.type.name,
        place=place_of(found),
        received_at=submission.received_at,
        status=public_status(found),
        steps=steps,
        closed=closed,
        voided=voided,
        ended_at=found.closed_at if closed else (voided_at[-1] if voided_at else None),
        result=found.result if closed else "",
        photo_count=PublicPhotoReview.objects.filter(submission=submission).count(),
    )


# ---- reports near a point -------------------------------------------------------------------

EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG)
METRES_PER_DEGREE_LAT = 111_320.0
# Points on the public map are rounded to 0.001° (about 100 m): the report's place, not a door.
COARSE_DECIMALS = 3
NEARBY_MAX_ROWS = 500
NEARBY_FIELDS = (
    "title",
    "lon",
    "lat",
    "state",
    "resume_state",
    "reported_at",
    "type__name",
    "street__name",
    "community__name",
)


@dataclass(frozen=True)
class NearbyReport:
    type_name: str
    place: str
    status: str  # untranslated (gettext_noop)
    reported_at: datetime
    distance_m: int
    lon: float  # coarse
    lat: float
    photo_ids: list[int]  # approved public photos (PublicPhotoReview ids)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def nearby_reports(
    viewer: User,
    lon: float,
    lat: float,
    *,
    radius_m: float,
    days: int,
    now: datetime | None = None,
) -> list[NearbyReport]:
    """Public reports of the last `days` days within `radius_m` of the point, newest first.

    Set-aside (作废) reports are left out. A report merged into another case shows that
    case (every reporter follows the one case).
    """
    now = now or timezone.now()
    since = now - timedelta(days=days)
    dlat = radius_m / METRES_PER_DEGREE_LAT
    dlon = radius_m / (METRES_PER_DEGREE_LAT * max(0.01, math.cos(math.radians(lat))))
    recent = Submission.objects.filter(
        channel=Channel.PUBLIC, received_at__gte=since, case__isnull=False
    ).values("case_id")
    rows = (
        case_queries.cases(viewer)
        # Only what a row shows: building full cases with four joins was most of the time.
        .select_related(None)
        .select_related("type", "street", "community")
        .only(*NEARBY_FIELDS)
        .filter(
            pk__in=recent,
            lon__gte=lon - dlon,
            lon__lte=lon + dlon,
            lat__gte=lat - dlat,
            lat__lte=lat + dlat,
        )
        .exclude(state=State.VOIDED)
        .order_by("-reported_at", "-id")[:NEARBY_MAX_ROWS]
    )
    near = [(c, distance_m(lon, lat, c.lon, c.lat)) for c in rows]
    near = [(c, d) for c, d in near if d <= radius_m]
    photos: dict[int, list[int]] = {}
    approved = PublicPhotoReview.objects.filter(
        status=PublicPhotoReview.Status.APPROVED, photo__case_id__in=[c.pk for c, _ in near]
    ).order_by("id")
    for review_id, case_id in approved.values_list("id", "photo__case_id"):
        photos.setdefault(case_id, []).append(review_id)
    return [
        NearbyReport(
            type_name=c.title or c.type.name,
            place=place_of(c),
            status=public_status(c),
            reported_at=c.reported_at,
            distance_m=round(d),
            lon=round(c.lon, COARSE_DECIMALS),
            lat=round(c.lat, COARSE_DECIMALS),
            photo_ids=photos.get(c.pk, []),
        )
        for c, d in near
    ]


def approved_photo(viewer: User, review_id: int) -> CasePhoto | None:
    """A public photo an operator approved, of a case the public pages may show; else None."""
    review = (
        PublicPhotoReview.objects.filter(
            pk=review_id,
            status=PublicPhotoReview.Status.APPROVED,
            photo__case_id__in=case_queries.cases(viewer).values("pk"),
        )
        .select_related("photo")
        .first()
    )
    return review.photo if review is not None else None


# ---- the operators' review queue ------------------------------------------------------------


def photo_reviews(user: User, status: str) -> QuerySet[PublicPhotoReview]:
    """Public photos of the cases in the user's scope with this review status, oldest first."""
    if status not in PublicPhotoReview.Status.values:
        status = PublicPhotoReview.Status.PENDING
    return (
        PublicPhotoReview.objects.filter(
            status=status, photo__case_id__in=case_queries.cases(user).values("pk")
        )
        .select_related("photo__case__type", "photo__case__street", "reviewed_by")
        .order_by("id" if status == PublicPhotoReview.Status.PENDING else "-reviewed_at")
    )


def pending_photo_count(user: User) -> int:
    return photo_reviews(user, PublicPhotoReview.Status.PENDING).count()
