"""Public reporting (公众上报): the public lists, reports near a point, the photo review queue."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from yiwang.cases import queries as case_queries
from yiwang.cases.models import Case, CaseEvent, CasePhoto, State
from yiwang.intake import following
from yiwang.intake.models import (
    Channel,
    PublicCategory,
    PublicPhotoReview,
    PublicService,
    Submission,
)
from yiwang.intake.queries.common import EARTH_RADIUS_M, submission_by_tracking_code
from yiwang.intake.queries.open311 import OPEN_SERVICE
from yiwang.org.models import User

# ---- public reporting (公众上报) ----------------------------------------------------------
# Public pages read as the public channel's account (`channel_actor(Channel.PUBLIC)`, the
# node's whole division), passed in as `viewer`, so every case read still goes through the
# case scope. Nothing here returns a name, a phone number or a member of staff.


@dataclass(frozen=True)
class TypeChoice:
    id: int  # the PublicService row
    name: str
    code: str
    keywords: str = ""


@dataclass(frozen=True)
class CategoryChoice:
    id: int
    name: str
    icon: str
    types: list[TypeChoice]


def public_categories() -> list[CategoryChoice]:
    """The tiles of the report page with the types under each: the open entries of the one
    public list (`PublicService`), the same Open311 offers."""
    types = (
        PublicService.objects.filter(OPEN_SERVICE)
        .select_related("type")
        .only("id", "category_id", "name", "keywords", "type__name", "type__code")
        .order_by("category__position", "category_id", "order", "id")
    )
    by_category: dict[int, list[TypeChoice]] = {}
    for t in types:
        by_category.setdefault(t.category_id, []).append(
            TypeChoice(t.pk, t.display_name, t.type.code, t.keywords)
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
    # Merged with other reports of the same problem: the progress and result shown are those
    # of the case carrying the result (nothing else of it: no number, text or person).
    merged: bool = False


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
    """A submission's progress for whoever holds its code; None for an unknown code.

    A report merged into another case follows that one (`cases.queries.final_case`): its
    steps, state and result are the final case's; what was reported (type, place, date,
    photos) stays the reporter's own.
    """
    submission = submission_by_tracking_code(code)
    if submission is None or submission.case_id is None:
        return None
    case = case_queries.cases(viewer).select_related("community").filter(pk=submission.case_id)
    own = case.first()
    if own is None:
        return None
    final = following.final_of(own)
    found = final or own
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
        type_name=own.title or own.type.name,
        place=place_of(own),
        received_at=submission.received_at,
        status=public_status(found),
        steps=steps,
        closed=closed,
        voided=voided,
        ended_at=found.closed_at if closed else (voided_at[-1] if voided_at else None),
        result=found.result if closed else "",
        photo_count=PublicPhotoReview.objects.filter(submission=submission).count(),
        merged=final is not None,
    )


# ---- reports near a point -------------------------------------------------------------------

METRES_PER_DEGREE_LAT = 111_320.0
# Points on the public map are rounded to 0.001° (about 100 m): the report's place, not a door.
COARSE_DECIMALS = 3
NEARBY_MAX_ROWS = 500
NEARBY_FIELDS = (
    "title",
    "merged_into",
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

    Set-aside (作废) reports are left out. A report merged into another case shows the state
    of the case carrying its result (every reporter follows the one case).
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
    finals = following.finals(
        {c.pk: c.merged_into_id for c, _ in near if c.state == State.MERGED and c.merged_into_id}
    )
    return [
        NearbyReport(
            type_name=c.title or c.type.name,
            place=place_of(c),
            status=public_status(finals.get(c.pk, c)),
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
