"""Grid import: all or nothing, with one report line per bad feature."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from grid_shapes import A1, A2, B1, collection, feature, square_geometry

from concurrency import run_together
from yiwang.core import generations
from yiwang.core.importing import ImportRejected
from yiwang.core.models import AuditEntry
from yiwang.geo import actions
from yiwang.geo.locate import locate
from yiwang.geo.models import UnitGrid
from yiwang.org.models import Division, User

pytestmark = pytest.mark.usefixtures("org_tree")


def good(code: str, lon: float, lat: float, **props: Any) -> dict[str, Any]:
    return feature(code, square_geometry(lon, lat), name=f"网格{code[-3:]}", **props)


@contextmanager
def nothing_written() -> Iterator[None]:
    grids = list(UnitGrid.objects.values_list("code", flat=True))
    audits = AuditEntry.objects.count()
    generation = generations.current("grids")
    yield
    assert list(UnitGrid.objects.values_list("code", flat=True)) == grids
    assert AuditEntry.objects.count() == audits
    assert generations.current("grids") == generation


def rejected(actor: User, data: Any, **kw: Any) -> list[dict[str, Any]]:
    with nothing_written(), pytest.raises(ImportRejected) as exc:
        actions.import_grids(actor, data, **kw)
    assert exc.value.code == "import_rejected"
    return [e.__dict__ for e in exc.value.errors]


def test_clean_file_is_imported_with_area_and_division(root: User) -> None:
    data = collection(
        good(*A1, region_class="二类"),
        good(*A2, community="440304001001"),
        good(*B1, region_class=1),
    )
    summary = actions.import_grids(root, json.dumps(data))
    assert (summary.created, summary.total) == (3, 3)
    a1 = UnitGrid.objects.get(code=A1[0])
    assert a1.region_class == 2
    assert a1.division_path == "440000/440300/440304/440304001/440304001001/"
    assert a1.community.name == "南华社区"
    # 0.002° × 0.002° at 22.54° N: 0.002·111320·cos(22.54°) m by 0.002·110574 m ≈ 45,470 m².
    assert a1.area_m2 == pytest.approx(45_470, rel=0.01)
    assert (a1.min_lon, a1.min_lat, a1.max_lon, a1.max_lat) == pytest.approx(
        (114.050, 22.540, 114.052, 22.542)
    )
    assert AuditEntry.objects.filter(action="geo.import_grids").count() == 1


def test_unclosed_ring(root: User) -> None:
    geometry = square_geometry(*A1[1:])
    geometry["coordinates"][0].pop()  # drop the closing point; 4 points remain
    errors = rejected(root, collection(good(*A2), feature(A1[0], geometry)))
    assert [(e["index"], e["ref"], e["code"], e["field"]) for e in errors] == [
        (2, A1[0], "unclosed_ring", "geometry")
    ]


def test_too_few_points(root: User) -> None:
    geometry = {
        "type": "Polygon",
        "coordinates": [[[114.05, 22.54], [114.051, 22.54], [114.05, 22.54]]],
    }
    errors = rejected(root, collection(feature(A1[0], geometry)))
    assert [e["code"] for e in errors] == ["too_few_points"]


def test_self_intersecting_polygon(root: User) -> None:
    bow_tie = [
        [114.05, 22.54],
        [114.052, 22.542],
        [114.052, 22.54],
        [114.05, 22.542],
        [114.05, 22.54],
    ]
    errors = rejected(
        root, collection(feature(A1[0], {"type": "Polygon", "coordinates": [bow_tie]}))
    )
    assert [e["code"] for e in errors] == ["self_intersection"]
    assert "自相交" in errors[0]["message"]


def test_projected_coordinates_are_refused(root: User) -> None:
    metres = [[500000, 2493000], [500200, 2493000], [500200, 2493200], [500000, 2493000]]
    errors = rejected(
        root, collection(feature(A1[0], {"type": "Polygon", "coordinates": [metres]}))
    )
    assert [e["code"] for e in errors] == ["bad_coordinates"]


def test_overlap_with_an_existing_grid(root: User, make_grid: Callable[..., UnitGrid]) -> None:
    make_grid(*A1)
    shifted = good(A2[0], A2[1] - 0.0005, A2[2])  # 0.0005° into A1: about 5,700 m²
    errors = rejected(root, collection(shifted))
    assert [(e["index"], e["code"]) for e in errors] == [(1, "overlap")]
    assert A1[0] in errors[0]["message"]


def test_overlap_within_the_file(root: User) -> None:
    errors = rejected(root, collection(good(*A1), good(A2[0], A2[1] - 0.0005, A2[2])))
    assert [(e["index"], e["code"]) for e in errors] == [(2, "overlap_in_file")]
    assert "第 1 个要素" in errors[0]["message"]


def test_sliver_below_tolerance_is_accepted(root: User) -> None:
    # 1e-8° ≈ 1 mm wide along a 221 m edge ≈ 0.2 m², under the 1 m² default tolerance.
    summary = actions.import_grids(root, collection(good(*A1), good(A2[0], A2[1] - 1e-8, A2[2])))
    assert summary.created == 2


def test_duplicate_code_in_file(root: User) -> None:
    errors = rejected(root, collection(good(*A1), good(A1[0], *A2[1:])))
    assert [(e["index"], e["code"]) for e in errors] == [(2, "duplicate_in_file")]


def test_duplicate_of_an_existing_grid(root: User, make_grid: Callable[..., UnitGrid]) -> None:
    make_grid(*A1)
    errors = rejected(root, collection(good(A1[0], 114.070, 22.540)))
    assert [(e["index"], e["code"]) for e in errors] == [(1, "duplicate_code")]


def test_code_prefix_outside_the_named_community(root: User) -> None:
    errors = rejected(root, collection(good(B1[0], *B1[1:], community="440304001001")))
    assert [(e["code"], e["field"]) for e in errors] == [("grid_code_outside_division", "code")]


def test_malformed_code(root: User) -> None:
    errors = rejected(root, collection(good("4403040010010011", *A1[1:], community="440304001001")))
    assert [e["code"] for e in errors] == ["grid_code_format"]


def test_unknown_community(root: User) -> None:
    errors = rejected(root, collection(good("440304009001001", 114.07, 22.54)))
    assert [(e["code"], e["field"]) for e in errors] == [("community_not_found", "community")]


def test_community_outside_the_admins_scope(make_user: Callable[..., User]) -> None:
    street_a_admin = make_user("admin", "440304001")
    errors = rejected(street_a_admin, collection(good(*A1), good(*B1)))
    assert [(e["index"], e["code"]) for e in errors] == [(2, "community_not_found")]


def test_every_bad_feature_is_reported_at_once(root: User) -> None:
    unclosed = square_geometry(114.07, 22.54)
    unclosed["coordinates"][0].pop()
    errors = rejected(
        root,
        collection(
            good(*A1),
            feature("440304001001003", unclosed),
            good(A1[0], *B1[1:]),
            good("440304009001001", 114.08, 22.54, region_class="三类"),
        ),
    )
    assert sorted((e["index"], e["code"]) for e in errors) == [
        (2, "unclosed_ring"),
        (3, "duplicate_in_file"),
        (4, "community_not_found"),
        (4, "region_class"),
    ]


@pytest.mark.parametrize(
    "data",
    ["not json", {"type": "Feature"}, {"type": "FeatureCollection", "features": []}],
)
def test_not_a_feature_collection(root: User, data: Any) -> None:
    from yiwang.core.errors import InvalidInput

    with nothing_written(), pytest.raises(InvalidInput) as exc:
        actions.import_grids(root, data)
    assert exc.value.field == "file"


def test_non_admin_cannot_import(make_user: Callable[..., User]) -> None:
    from yiwang.core.errors import PermissionDenied

    inspector = make_user("inspector", "440304001")
    with nothing_written(), pytest.raises(PermissionDenied):
        actions.import_grids(inspector, collection(good(*A1)))


def test_gcj02_file_lands_at_the_right_wgs84_place(
    root: User, org_tree: dict[str, Division]
) -> None:
    # Corpus vector "shenzhen": WGS84 (22.543847, 113.912316) is GCJ-02 (22.540796…, 113.917176…).
    g_lat, g_lon = 22.540796131694766, 113.9171764808363
    w_lat, w_lon = 22.543847, 113.912316
    around_gcj = square_geometry(g_lon - 0.001, g_lat - 0.001)
    actions.import_grids(root, collection(feature(A1[0], around_gcj)), crs="GCJ-02")
    grid = UnitGrid.objects.get(code=A1[0])
    assert grid.min_lon < w_lon < grid.max_lon and grid.min_lat < w_lat < grid.max_lat
    found = locate(w_lon, w_lat)
    assert found is not None and found.grid_code == A1[0]
    # The GCJ-02 numbers read as WGS84 lie ~500 m off: no longer in the grid.
    assert locate(g_lon, g_lat) is None
    assert locate(g_lon, g_lat, crs="gcj02") is not None


def test_declared_crs_must_agree(root: User) -> None:
    from yiwang.core.errors import InvalidInput

    data = collection(good(*A1))
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}
    with nothing_written(), pytest.raises(InvalidInput) as exc:
        actions.import_grids(root, data, crs="gcj02")
    assert exc.value.code == "crs_mismatch"
    assert actions.import_grids(root, data).created == 1  # CGCS2000 file, WGS84 default: same


def test_multipolygon_with_one_part_is_accepted(root: User) -> None:
    polygon = square_geometry(*A1[1:])
    multi = {"type": "MultiPolygon", "coordinates": [polygon["coordinates"]]}
    two = {"type": "MultiPolygon", "coordinates": [polygon["coordinates"]] * 2}
    errors = rejected(root, collection(feature(A2[0], two)))
    assert [e["code"] for e in errors] == ["multipart_geometry"]
    actions.import_grids(root, collection(feature(A1[0], multi)))
    assert UnitGrid.objects.get(code=A1[0]).geometry["type"] == "Polygon"


def test_create_grid_applies_the_same_checks(
    root: User, make_grid: Callable[..., UnitGrid]
) -> None:
    from yiwang.core.errors import InvalidInput

    make_grid(*A1)
    with nothing_written(), pytest.raises(InvalidInput) as exc:
        make_grid(A2[0], A2[1] - 0.001, A2[2])
    assert exc.value.code == "overlap"
    with nothing_written(), pytest.raises(InvalidInput) as exc:
        make_grid(B1[0], *B1[1:], community_code="440304001001")
    assert exc.value.code == "grid_code_outside_division"


def test_delete_grid(root: User, make_grid: Callable[..., UnitGrid]) -> None:
    make_grid(*A1)
    assert locate(114.051, 22.541) is not None
    actions.delete_grid(root, A1[0])
    assert not UnitGrid.objects.filter(code=A1[0]).exists()
    assert locate(114.051, 22.541) is None


@pytest.mark.slow
def test_import_of_a_thousand_grids_is_written_in_bulk(
    root: User, django_assert_max_num_queries: Any
) -> None:
    # The time it takes is measured by bench/bench_geo.py; here, that 1,000 grids (checked
    # against each other for overlaps) cost a handful of queries, not one per grid.
    features = [
        good(
            f"440304001001{i:03d}",
            round(114.0 + (i % 40) * 0.002, 9),
            round(22.5 + (i // 40) * 0.002, 9),
        )
        for i in range(1000)
    ]
    with django_assert_max_num_queries(40):
        assert actions.import_grids(root, collection(*features)).created == 1000
    assert UnitGrid.objects.count() == 1000
    found = locate(114.0 + 39 * 0.002 + 0.001, 22.5 + 24 * 0.002 + 0.001)
    assert found is not None and found.grid_code == "440304001001999"


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_imports_at_once_leave_exactly_one(root: User) -> None:
    """Each import checks overlaps against what the other committed: never both written."""
    first = collection(good(*A1))
    second = collection(good(A2[0], A2[1] - 0.0005, A2[2]))  # overlaps A1 by ~5,700 m²
    for attempt in range(3):
        UnitGrid.objects.all().delete()
        results = run_together(
            [lambda: actions.import_grids(root, first), lambda: actions.import_grids(root, second)]
        )
        refused = [r for r in results if isinstance(r, ImportRejected)]
        assert len(refused) == 1, (attempt, results)
        assert [e.code for e in refused[0].errors] == ["overlap"]
        assert UnitGrid.objects.count() == 1
