"""Locating points in grids: inside, on a shared border, outside, after changes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from grid_shapes import A1, A2, B1

from yiwang.core.errors import InvalidInput
from yiwang.geo import crs
from yiwang.geo.locate import Located, locate, locate_many
from yiwang.geo.models import UnitGrid
from yiwang.org.models import Division

pytestmark = pytest.mark.usefixtures("three_grids")

BORDER = (114.052, 22.541)  # on the edge A1 and A2 share
CORNER = (114.052, 22.540)  # the south corner A1 and A2 share


def test_inside_gives_grid_community_street_district() -> None:
    found = locate(114.051, 22.541)
    assert found == Located(
        grid_id=UnitGrid.objects.get(code=A1[0]).pk,
        grid_code=A1[0],
        grid_name="网格001",
        community_code="440304001001",
        community_name="南华社区",
        street_code="440304001",
        street_name="南园街道",
        district_code="440304",
        district_name=Division.objects.get(code="440304").name,
        lon=114.051,
        lat=22.541,
        division_path="440000/440300/440304/440304001/440304001001/",
    )
    b = locate(114.061, 22.541)
    assert b is not None and (b.grid_code, b.street_name) == (B1[0], "园岭街道")


@pytest.mark.parametrize("point", [BORDER, CORNER, (114.052, 22.542)])
def test_shared_border_always_gets_the_smallest_code(point: tuple[float, float]) -> None:
    # A2 was created first (see the three_grids fixture); the answer is still A1.
    answers = {getattr(locate(*point), "grid_code", None) for _ in range(20)}
    assert answers == {A1[0]}
    assert locate_many([point] * 5) == [locate(*point)] * 5


@pytest.mark.parametrize("name", ["wgs84", "cgcs2000", "gcj02", "bd09"])
def test_border_point_in_each_crs_is_deterministic(name: str) -> None:
    given = crs.from_wgs84(*BORDER, name)
    answers = {getattr(locate(*given, crs=name), "grid_code", None) for _ in range(10)}
    assert len(answers) == 1
    assert answers <= {A1[0], A2[0]}


@pytest.mark.parametrize("name", ["gcj02", "bd09"])
def test_interior_point_in_other_crs(name: str) -> None:
    given = crs.from_wgs84(114.0531, 22.5411, name)
    found = locate(*given, crs=name)
    assert found is not None and found.grid_code == A2[0]
    # The common BD-09 inverse is approximate (~1e-7°, about a centimetre).
    assert (found.lon, found.lat) == pytest.approx((114.0531, 22.5411), abs=1e-6)


@pytest.mark.parametrize(
    "point", [(114.0, 22.0), (114.0545, 22.541), (114.051, 22.5425), (-70.0, 40.0)]
)
def test_outside_every_grid_is_none(point: tuple[float, float]) -> None:
    assert locate(*point) is None


def test_gap_between_grids_is_not_rounded_to_the_nearest() -> None:
    # 114.0541 is 10 m east of A2; a nearest-grid answer would be wrong.
    assert locate(114.0541, 22.541) is None


@pytest.mark.parametrize(("lon", "lat", "field"), [(181.0, 22.5, "lon"), (114.0, 91.0, "lat")])
def test_out_of_range_coordinates_are_refused(lon: float, lat: float, field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        locate(lon, lat)
    assert exc.value.field == field


def test_index_is_rebuilt_when_grids_change(make_grid: Callable[..., UnitGrid], root: Any) -> None:
    new_point = (114.071, 22.541)
    assert locate(*new_point) is None  # builds the index
    make_grid("440304001001009", 114.070, 22.540)
    found = locate(*new_point)
    assert found is not None and found.grid_code == "440304001001009"
    from yiwang.geo.actions import update_grid

    update_grid(root, "440304001001009", name="新名称")
    found = locate(*new_point)
    assert found is not None and found.grid_name == "新名称"


def test_change_by_another_process_is_seen(make_grid: Callable[..., UnitGrid]) -> None:
    """Another process bumps the generation in the database; this process's index follows."""
    from django.db.models import F

    from yiwang.core.models import Generation

    assert locate(114.081, 22.541) is None
    grid = make_grid("440304001001008", 114.080, 22.540)
    assert locate(114.081, 22.541) is not None
    # Simulate the other process: rename directly and bump, as its action would.
    UnitGrid.objects.filter(pk=grid.pk).update(name="他处修改")
    Generation.objects.filter(name="grids").update(value=F("value") + 1)
    found = locate(114.081, 22.541)
    assert found is not None and found.grid_name == "他处修改"


def test_locate_many_is_fast_and_aligned(make_grid: Callable[..., UnitGrid]) -> None:
    points = [(114.050 + (i % 100) * 0.0001, 22.5405 + (i // 100) * 0.00001) for i in range(10_000)]
    started = time.perf_counter()
    results = locate_many(points)
    elapsed = time.perf_counter() - started
    assert len(results) == len(points)
    for (lon, _lat), found in zip(points, results, strict=True):
        if 114.050 < lon < 114.052:
            assert found is not None and found.grid_code == A1[0]
        elif 114.052 < lon < 114.054:
            assert found is not None and found.grid_code == A2[0]
        elif lon > 114.054:
            assert found is None
    assert elapsed < 3.0, f"10,000 points took {elapsed:.2f} s"
    assert locate_many([]) == []
