"""Scoped reads of unit grids."""

from __future__ import annotations

from django.db.models import Max, Min, QuerySet

from yiwang.core.errors import NotFound
from yiwang.core.scope import scoped
from yiwang.geo.models import UnitGrid
from yiwang.org.models import User
from yiwang.org.queries import division_by_code

BBox = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat (WGS84)


def grids(user: User) -> QuerySet[UnitGrid]:
    return scoped(UnitGrid.objects.select_related("community"), user, "division_path")


def grid_count(user: User) -> int:
    return grids(user).count()


def scope_bounds(user: User) -> list[list[float]] | None:
    """[[south, west], [north, east]] around the user's grids, or None when there are none."""
    box = grids(user).aggregate(
        west=Min("min_lon"), south=Min("min_lat"), east=Max("max_lon"), north=Max("max_lat")
    )
    if box["west"] is None:
        return None
    return [[box["south"], box["west"]], [box["north"], box["east"]]]


def grid_detail(user: User, code: str) -> UnitGrid:
    """One grid in the user's scope; absent and out-of-scope look the same (no existence leak)."""
    grid = grids(user).filter(code=code.strip().upper()).first()
    if grid is None:
        raise NotFound("grid_not_found", f"单元网格 {code} 不存在。", "code")
    return grid


def filter_grids(
    user: User, *, bbox: BBox | None = None, division_code: str | None = None
) -> QuerySet[UnitGrid]:
    """Grids in scope whose bounding box meets ``bbox``, within the division subtree given.

    Raises NotFound ("division_not_found", field "division") for a division that does
    not exist or lies outside the user's scope.
    """
    qs = grids(user)
    if division_code:
        division = division_by_code(user, division_code.strip())
        if division is None:
            raise NotFound(
                "division_not_found",
                f"区划 {division_code} 不存在或不在您的管辖范围内。",
                "division",
            )
        qs = qs.filter(division_path__startswith=division.path)
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        qs = qs.filter(
            min_lon__lte=max_lon, max_lon__gte=min_lon, min_lat__lte=max_lat, max_lat__gte=min_lat
        )
    return qs
