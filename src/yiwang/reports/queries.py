"""The read side of the reports app: hotspots of the cases in the acting user's scope.

Cases are read through `yiwang.cases.queries.cases(user)` (division subtree, a handler's
department) and the study area from `yiwang.geo.queries.grids(user)`; the computations are in
`reports.hotspots`. The 重点监管 check tasks are read here too: `open_checks` and `spot_check`
are what the inspector's phone (`intake.views.inspector`) shows, so intake depends on reports
through this module and `reports.actions` only, never the other way round.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from yiwang.cases import queries as case_queries
from yiwang.cases.models import Case, State
from yiwang.catalog.models import ObjectType
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.scope import scoped
from yiwang.geo import queries as geo_queries
from yiwang.org.models import User
from yiwang.reports import hotspots as hs
from yiwang.reports.models import SpotCheck, SupervisedSpot

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Reports that were not real problems (作废) or repeat another case (合并) are not counted.
NOT_COUNTED = (State.VOIDED, State.MERGED)
MAX_PERIOD_DAYS = 366
# Gi* over more cells than this takes seconds and draws an unreadable map: ask for a
# coarser resolution instead (a city of 2,000 km² has about 20,000 cells at resolution 9).
MAX_CELLS = 40_000


@dataclass(frozen=True)
class Filters:
    """Which cases a hotspot counts: reported from `start` to `end` (Asia/Shanghai days,
    both included), of one type or major class, aggregated at `resolution`."""

    start: date
    end: date
    resolution: int = hs.DEFAULT_RESOLUTION
    kind: str = ""  # "component" / "matter" / "" (both)
    type_code: str = ""  # 5 digits: one type; 2 digits: a major class; "": every type

    def checked(self) -> Filters:
        if self.end < self.start:
            raise InvalidInput("bad_date_range", "结束日期不能早于开始日期。", "end")
        if (self.end - self.start).days >= MAX_PERIOD_DAYS:
            raise InvalidInput("bad_date_range", "统计期不能超过一年。", "start")
        if not hs.MIN_RESOLUTION <= self.resolution <= hs.MAX_RESOLUTION:
            raise InvalidInput(
                "bad_resolution",
                f"分辨率应在 {hs.MIN_RESOLUTION} 到 {hs.MAX_RESOLUTION} 之间。",
                "resolution",
            )
        if self.kind not in ("", "component", "matter"):
            raise InvalidInput("bad_kind", "类型应为 部件 或 事件。", "kind")
        if self.type_code and not (
            self.type_code.isascii() and self.type_code.isdigit() and len(self.type_code) in (2, 5)
        ):
            raise InvalidInput(
                "bad_type_code", "类型代码应为 5 位小类代码或 2 位大类代码。", "type_code"
            )
        return self


def _bounds(filters: Filters) -> tuple[datetime, datetime]:
    start = datetime.combine(filters.start, time.min, SHANGHAI)
    end = datetime.combine(filters.end + timedelta(days=1), time.min, SHANGHAI)
    return start, end


def counted_cases(user: User, filters: Filters) -> QuerySet[Case]:
    start, end = _bounds(filters.checked())
    qs = case_queries.cases(user).filter(reported_at__gte=start, reported_at__lt=end)
    qs = qs.exclude(state__in=NOT_COUNTED)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if len(filters.type_code) == 5:
        qs = qs.filter(type__code=filters.type_code)
    elif len(filters.type_code) == 2:
        qs = qs.filter(type__major_code=filters.type_code)
    return qs


def case_rows(user: User, filters: Filters) -> list[hs.CaseRow]:
    values = counted_cases(user, filters).values_list(
        "number", "type_id", "lon", "lat", "reported_at"
    )
    return [hs.CaseRow(*row) for row in values.order_by()]


def cell_counts(user: User, filters: Filters) -> dict[str, int]:
    """Cases per H3 cell (cells without cases are left out)."""
    return hs.count_cells(case_rows(user, filters), filters.resolution)


def study_area(user: User, resolution: int) -> set[str]:
    outlines = geo_queries.grids(user).values_list("geometry", flat=True).order_by()
    return hs.area_cells(outlines, resolution)


def getis_ord(user: User, filters: Filters, *, seed: int = hs.SEED) -> list[hs.CellStat]:
    counts = cell_counts(user, filters)
    area = study_area(user, filters.resolution)
    if len(area | set(counts)) > MAX_CELLS:
        raise InvalidInput(
            "too_many_cells",
            f"该分辨率下统计范围超过 {MAX_CELLS} 个网格单元，请选择较低的分辨率。",
            "resolution",
        )
    return hs.getis_ord(counts, area, seed=seed)


def recurrences(
    user: User, filters: Filters, *, min_count: int, days: int, radius_m: int | None = None
) -> list[hs.Recurrence]:
    """Same type, same place, at least `min_count` times within `days` days. The same place
    is one H3 cell at the filters' resolution, or, with `radius_m`, a cluster of cases
    within that many metres of its first case (`hotspots.radius_clusters`)."""
    if not 2 <= min_count <= 1000:
        raise InvalidInput("bad_min_count", "重复次数应在 2 到 1000 之间。", "min_count")
    if not 1 <= days <= MAX_PERIOD_DAYS:
        raise InvalidInput("bad_days", "时间窗应在 1 到 366 天之间。", "days")
    rows = case_rows(user, filters)
    if radius_m is None:
        return hs.recurrences(rows, filters.resolution, min_count=min_count, days=days)
    if not hs.MIN_RADIUS_M <= radius_m <= hs.MAX_RADIUS_M:
        raise InvalidInput(
            "bad_radius",
            f"同地点范围应在 {hs.MIN_RADIUS_M} 到 {hs.MAX_RADIUS_M} 米之间。",
            "radius",
        )
    return hs.recurrences_within(rows, radius_m, filters.resolution, min_count=min_count, days=days)


def type_names(type_ids: set[int]) -> dict[int, tuple[str, str]]:
    """type id → (code, name), for labelling a list."""
    rows = ObjectType.objects.filter(pk__in=type_ids).values_list("pk", "code", "name")
    return {pk: (code, name) for pk, code, name in rows}


def supervised_spots(user: User) -> QuerySet[SupervisedSpot]:
    """Spots under supervision in the user's division subtree, newest first."""
    qs = SupervisedSpot.objects.filter(status=SupervisedSpot.Status.ACTIVE)
    return scoped(qs, user, "division_path").order_by("-started_at", "-id")


def spot_checks(user: User, limit: int = 50) -> list[SpotCheck]:
    """The latest check tasks of the spots in scope (what inspectors go to check), open or
    done, with who did them."""
    qs = SpotCheck.objects.filter(spot__status=SupervisedSpot.Status.ACTIVE)
    qs = scoped(qs, user, "spot__division_path").select_related("spot", "done_by")
    return list(qs.order_by("-created_at", "-id")[:limit])


def overdue_checks(user: User, now: datetime) -> int:
    """Open check tasks in scope past their due time (flagged on the supervision page)."""
    qs = SpotCheck.objects.filter(
        spot__status=SupervisedSpot.Status.ACTIVE, done_at__isnull=True, due_at__lt=now
    )
    return scoped(qs, user, "spot__division_path").count()


# ---- the inspector's phone: open check tasks, nearest first -------------------------------------

# What a check can find, for the forms of other apps (the phone) without the models.
CHECK_RESULTS = SpotCheck.Result.choices
PROBLEM_FOUND = SpotCheck.Result.PROBLEM.value
# An inspector's community has a handful of supervised spots; this caps a broken setup.
OPEN_CHECKS_LIMIT = 200
EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)


@dataclass(frozen=True)
class OpenCheck:
    check: SpotCheck
    distance_m: float | None  # from the phone's position, when it gave one
    overdue: bool


def _haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def open_checks(
    user: User,
    lon: float | None = None,
    lat: float | None = None,
    *,
    now: datetime | None = None,
) -> list[OpenCheck]:
    """The open check tasks of active spots in the user's scope: nearest first from (lon,
    lat), else (and on ties) earliest due first. Used by the inspector's phone (intake)."""
    now = now or datetime.now(UTC)
    qs = SpotCheck.objects.filter(spot__status=SupervisedSpot.Status.ACTIVE, done_at__isnull=True)
    qs = scoped(qs, user, "spot__division_path").select_related("spot")
    rows = [
        OpenCheck(
            check=c,
            distance_m=None
            if lon is None or lat is None
            else _haversine_m(lon, lat, c.spot.lon, c.spot.lat),
            overdue=c.due_at < now,
        )
        for c in qs.order_by("due_at", "id")[:OPEN_CHECKS_LIMIT]
    ]
    far = float("inf")
    rows.sort(
        key=lambda r: (far if r.distance_m is None else r.distance_m, r.check.due_at, r.check.pk)
    )
    return rows


def spot_check(user: User, check_id: int) -> SpotCheck:
    """One check task of a spot in scope (open or done), else NotFound."""
    qs = scoped(SpotCheck.objects.all(), user, "spot__division_path")
    found = qs.select_related("spot", "done_by").filter(pk=check_id).first()
    if found is None:
        raise NotFound("check_not_found", "该核查任务不存在。", "check_id")
    return found
