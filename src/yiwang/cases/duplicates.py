"""Duplicates (重复案卷), the read side: which open cases a report may be a duplicate of.

A candidate is an open case of the same type within the type's radius (default 50 m)
whose report time lies within the type's time window (default 7 days) of this case's, in
the user's scope, neither this case nor one that was merged away, and not one an operator
already said to keep separate from this case (a 保持独立 row on its timeline). Radius and
window come from the editable 查重规则 table (`DuplicateRule`), the most specific row
winning (type > major category > kind > all), cached per process like the time limits.

The query is two steps: a bounding box on lat/lon over the partial index of open cases by
type and place (`case_open_type_place`), then the exact great-circle distance in Python
over the few rows in the box. Merging itself is a move of the workflow (`merge`, `unmerge`
in `cases.workflow`); `keep_separate` is an action in `cases.actions.duplicates`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q

from yiwang.cases import scope
from yiwang.cases.models import OPEN_EXCLUDED, Case, CaseEvent, DuplicateRule
from yiwang.catalog.models import ObjectType
from yiwang.core import generations
from yiwang.org.models import User

GENERATION = "duplicate_rules"
DEFAULT_RADIUS_M = 50
DEFAULT_WINDOW_DAYS = 7
# What an administrator may set: beyond these a "duplicate" is no longer the same problem.
MAX_RADIUS_M = 2000
MAX_WINDOW_DAYS = 365
# Mean Earth radius (IUGG), metres: the sphere's error against the ellipsoid is < 0.5 %.
EARTH_RADIUS_M = 6_371_008.8
# The most candidates a page or the API shows, nearest first.
MAX_CANDIDATES = 20
# Rows read from the box at most (a spot reported hundreds of times stays cheap).
MAX_BOX_ROWS = 500
KEEP_SEPARATE = "keep_separate"  # the timeline row of 保持独立

# The open cases, written exactly as the partial index's condition (see Case.Meta).
OPEN = ~Q(state__in=OPEN_EXCLUDED)


@dataclass(frozen=True)
class Window:
    radius_m: int
    window_days: int


@dataclass(frozen=True)
class Candidate:
    case: Case
    distance_m: float


_cache: tuple[int, dict[tuple[int | None, str, str], Window]] | None = None


def _table() -> dict[tuple[int | None, str, str], Window]:
    global _cache
    gen = generations.current(GENERATION)
    if _cache is None or _cache[0] != gen:
        table = {
            (r.type_id, r.kind, r.major_code): Window(r.radius_m, r.window_days)
            for r in DuplicateRule.objects.all()
        }
        _cache = (gen, table)
    return _cache[1]


def window_for(obj_type: ObjectType) -> Window:
    """The radius and time window for cases of this type."""
    table = _table()
    for key in (
        (obj_type.pk, "", ""),
        (None, obj_type.kind, obj_type.major_code),
        (None, obj_type.kind, ""),
        (None, "", ""),
    ):
        found = table.get(key)
        if found is not None:
            return found
    return Window(DEFAULT_RADIUS_M, DEFAULT_WINDOW_DAYS)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def box(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) enclosing every point within `radius_m`, with a
    small margin; the exact distance decides afterwards."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M) * 1.01
    # Longitude degrees shrink towards the poles: take the box's edge nearest to one.
    widest = min(abs(lat) + dlat, 89.9)
    dlon = math.degrees(radius_m / (EARTH_RADIUS_M * math.cos(math.radians(widest)))) * 1.01
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def kept_separate(case: Case) -> set[str]:
    """Numbers of the cases an operator said this case is not a duplicate of."""
    rows = CaseEvent.objects.filter(case_id=case.pk, transition=KEEP_SEPARATE).values_list(
        "data", flat=True
    )
    return {str(d.get("other", "")) for d in rows if isinstance(d, dict)}


def candidates(user: User, case: Case, *, limit: int = MAX_CANDIDATES) -> list[Candidate]:
    """Open cases of the case's type near it in place and time, nearest first."""
    window = window_for(case.type)
    min_lon, min_lat, max_lon, max_lat = box(case.lon, case.lat, window.radius_m)
    span = timedelta(days=window.window_days)
    rows = (
        scope.in_scope(Case.objects.all(), user)
        .filter(
            OPEN,
            type_id=case.type_id,
            lat__gte=min_lat,
            lat__lte=max_lat,
            lon__gte=min_lon,
            lon__lte=max_lon,
            reported_at__gte=case.reported_at - span,
            reported_at__lte=case.reported_at + span,
        )
        .exclude(pk=case.pk)
        .only("pk", "number", "title", "state", "reported_at", "lon", "lat", "type_id")
        .order_by("-reported_at", "-id")[:MAX_BOX_ROWS]
    )
    skip = kept_separate(case)
    found = []
    for row in rows:
        d = distance_m(case.lon, case.lat, row.lon, row.lat)
        if d <= window.radius_m and row.number not in skip:
            found.append(Candidate(row, d))
    found.sort(key=lambda c: (c.distance_m, -c.case.reported_at.timestamp()))
    return found[:limit]
