"""Locating points in grids: inside, on a shared border, outside, after changes."""

from __future__ import annotations

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


CRS_NAMES = ["wgs84", "cgcs2000", "gcj02", "bd09"]

# A 2 × 2 block of grids sharing the vertex (114.072, 22.552), codes not in creation order:
#   NW …014 | NE …012
#   SW …013 | SE …011
BLOCK = {
    "440304001001012": (114.072, 22.552),
    "440304001001014": (114.070, 22.552),
    "440304001001011": (114.072, 22.550),
    "440304001001013": (114.070, 22.550),
}
# docs/geo.md: a point on an edge or vertex several grids share goes to the smallest code.
BLOCK_POINTS = [
    ((114.072, 22.552), "440304001001011"),  # the vertex all four share
    ((114.072, 22.551), "440304001001011"),  # SW | SE edge
    ((114.072, 22.553), "440304001001012"),  # NW | NE edge
    ((114.071, 22.552), "440304001001013"),  # SW / NW edge
    ((114.073, 22.552), "440304001001011"),  # SE / NE edge
    ((114.070, 22.552), "440304001001013"),  # west vertex SW and NW share
    ((114.072, 22.554), "440304001001012"),  # north vertex NW and NE share
    ((114.070, 22.550), "440304001001013"),  # an outer corner: its only grid
    ((114.070, 22.553), "440304001001014"),  # an outer edge: its only grid
    ((114.0720001, 22.551), "440304001001011"),  # 1 cm inside SE, off the border
    ((114.0719999, 22.551), "440304001001013"),  # 1 cm inside SW
]


@pytest.mark.parametrize("name", CRS_NAMES)
def test_border_point_in_each_crs_goes_to_the_smallest_code(name: str) -> None:
    # A1 < A2 although A2 was created first; the same in every CRS the point is given in.
    for point in (BORDER, CORNER):
        given = crs.from_wgs84(*point, name)
        assert {getattr(locate(*given, crs=name), "grid_code", None) for _ in range(5)} == {A1[0]}


@pytest.mark.parametrize("name", CRS_NAMES)
def test_edges_and_shared_vertices_of_a_block(
    name: str, make_grid: Callable[..., UnitGrid]
) -> None:
    for code, (lon, lat) in BLOCK.items():
        make_grid(code, lon, lat)
    given = [crs.from_wgs84(*point, name) for point, _ in BLOCK_POINTS]
    expected = [code for _, code in BLOCK_POINTS]
    assert [getattr(locate(*g, crs=name), "grid_code", None) for g in given] == expected
    if name == "wgs84":
        assert [getattr(f, "grid_code", None) for f in locate_many(given)] == expected


@pytest.mark.parametrize("name", ["gcj02", "bd09"])
def test_interior_point_in_other_crs(name: str) -> None:
    given = crs.from_wgs84(114.0531, 22.5411, name)
    found = locate(*given, crs=name)
    assert found is not None and found.grid_code == A2[0]
    # Both inverses are iterated until the round trip closes (docs/geo.md).
    assert (found.lon, found.lat) == pytest.approx((114.0531, 22.5411), abs=1e-9)


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


def test_locate_many_is_one_lookup_and_aligned(django_assert_max_num_queries: Any) -> None:
    # Its speed is measured by bench/bench_geo.py; here, that 10,000 points cost one small
    # query (the grids' generation) once the index is built, not one per point.
    points = [(114.050 + (i % 100) * 0.0001, 22.5405 + (i // 100) * 0.00001) for i in range(10_000)]
    locate(114.051, 22.541)  # builds the index
    with django_assert_max_num_queries(1):
        results = locate_many(points)
    assert len(results) == len(points)
    for (lon, _lat), found in zip(points, results, strict=True):
        if 114.050 < lon < 114.052:
            assert found is not None and found.grid_code == A1[0]
        elif 114.052 < lon < 114.054:
            assert found is not None and found.grid_code == A2[0]
        elif lon > 114.054:
            assert found is None
    assert locate_many([]) == []
