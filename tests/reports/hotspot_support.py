"""A larger grid for hotspot tests and a helper that reports cases on given days."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import h3

from case_support import City, square
from yiwang.cases import actions as case_actions
from yiwang.cases.models import Case
from yiwang.geo import actions as geo_actions

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A 0.03° (≈3 km) square grid in street B, far from the fixture's two small grids.
BIG_WEST, BIG_SOUTH, BIG_SIZE = 114.10, 22.60, 0.03
BIG_GRID = square(BIG_WEST, BIG_SOUTH, BIG_SIZE)
RESOLUTION = 9


def add_big_grid(city: City) -> None:
    geo_actions.create_grid(
        city.root,
        code="440304002001002",
        name="园东二号网格",
        community_code="440304002001",
        geometry=BIG_GRID,
    )


def grid_cells(resolution: int = RESOLUTION) -> set[str]:
    """The cells centred in the big grid, by h3 directly (the study area of the tests)."""
    ring = BIG_GRID["coordinates"][0]
    return set(h3.polygon_to_cells(h3.LatLngPoly([(lat, lon) for lon, lat in ring]), resolution))


def report_at(
    city: City, points: list[tuple[float, float]], day: str, *, type_code: str = "06001"
) -> list[Case]:
    """Report one case per (lon, lat) point, at noon of `day` (Asia/Shanghai)."""
    when = datetime.combine(datetime.fromisoformat(day).date(), time(12), SHANGHAI)
    reports = [
        case_actions.Report(
            kind="matter",
            type_code=type_code,
            title="测试问题",
            lon=lon,
            lat=lat,
            source="hotline",
        )
        for lon, lat in points
    ]
    return case_actions.report_cases(city.users["operator"], reports, now=when)


def centre(cell: str) -> tuple[float, float]:
    lat, lon = h3.cell_to_latlng(cell)
    return lon, lat
