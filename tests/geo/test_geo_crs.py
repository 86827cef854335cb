"""CRS conversions against the eviltransform-derived corpus (../shared/corpora/coords)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from pyproj import Geod

from shared_data import shared_file
from yiwang.core.errors import InvalidInput
from yiwang.geo import crs

CORPUS = shared_file("corpora", "coords", "transform-vectors.json")
VECTORS: list[dict[str, Any]] = json.loads(CORPUS.read_text())
GEOD = Geod(ellps="WGS84")


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def by_name(name: str) -> dict[str, Any]:
    return next(v for v in VECTORS if v["name"] == name)


GCJ_VECTORS = [v for v in VECTORS if v["wgs84"] and v["gcj02"]]
BD_VARIANTS = [v for v in VECTORS if v.get("caveat")]


def test_corpus_is_the_one_described_in_provenance() -> None:
    assert len(VECTORS) == 9
    assert len(GCJ_VECTORS) == 6
    assert len(BD_VARIANTS) == 2


@pytest.mark.parametrize("vector", GCJ_VECTORS, ids=lambda v: v["name"])
def test_wgs84_to_gcj02(vector: dict[str, Any]) -> None:
    (lat, lon), (g_lat, g_lon) = vector["wgs84"], vector["gcj02"]
    tolerance = vector["tolerance_deg"]["wgs84_to_gcj02"]
    got_lon, got_lat = crs.wgs84_to_gcj02(lon, lat)
    assert abs(got_lon - g_lon) < tolerance
    assert abs(got_lat - g_lat) < tolerance
    assert crs.from_wgs84(lon, lat, "gcj02") == (got_lon, got_lat)


@pytest.mark.parametrize("vector", GCJ_VECTORS, ids=lambda v: v["name"])
def test_gcj02_to_wgs84_is_exact(vector: dict[str, Any]) -> None:
    (lat, lon), (g_lat, g_lon) = vector["wgs84"], vector["gcj02"]
    got = crs.gcj02_to_wgs84(g_lon, g_lat)
    assert metres(got, (lon, lat)) < vector["tolerance_m"]["gcj02_to_wgs84_exact"]
    assert metres(crs.to_wgs84(g_lon, g_lat, "gcj02"), (lon, lat)) < 0.5


def test_outside_china_is_identity() -> None:
    for name in ("denver-outside-china", "brisbane-outside-china", "rio-de-janeiro-outside-china"):
        lat, lon = by_name(name)["wgs84"]
        assert crs.wgs84_to_gcj02(lon, lat) == (lon, lat)
        assert crs.gcj02_to_wgs84(lon, lat) == (lon, lat)


def test_beijing_gcj02_bd09_both_ways() -> None:
    vector = by_name("beijing-gcj02-bd09")
    (g_lat, g_lon), (b_lat, b_lon) = vector["gcj02"], vector["bd09"]
    tol_to, tol_from = (
        vector["tolerance_deg"]["gcj02_to_bd09"],
        vector["tolerance_deg"]["bd09_to_gcj02"],
    )
    lon, lat = crs.gcj02_to_bd09(g_lon, g_lat)
    assert abs(lon - b_lon) < tol_to and abs(lat - b_lat) < tol_to
    lon, lat = crs.bd09_to_gcj02(b_lon, b_lat)
    assert abs(lon - g_lon) < tol_from and abs(lat - g_lat) < tol_from


@pytest.mark.parametrize("vector", BD_VARIANTS, ids=lambda v: v["name"])
def test_eviltransform_bd09_variant_is_only_roughly_compatible(vector: dict[str, Any]) -> None:
    # PROVENANCE.md: these two reproduce only eviltransform's own BD-09 variant plus its
    # one-step inverse; with the common formula and an exact inverse they lie 10.5 m and
    # 41.5 m away. They are not ground truth, so only closeness is checked.
    (lat, lon), (b_lat, b_lon) = vector["wgs84"], vector["bd09"]
    assert metres(crs.to_wgs84(b_lon, b_lat, "bd09"), (lon, lat)) < 50


def bd09_shift_bound(lon: float, lat: float) -> float:
    """How far the GCJ-02 → BD-09 shift may differ between two points, in degrees.

    The common formula adds (0.0065, 0.006) after nudging the radius by 2e-5·sin(…) and the
    angle by 3e-6·cos(…) rad; across any two points the nudges differ by at most twice
    their amplitudes, the angular one scaled by the radius |(lon, lat)|.
    """
    return 2 * (2e-5 + 3e-6 * math.hypot(lon, lat))


@pytest.mark.parametrize("name", ["shanghai", "shenzhen", "beijing"])
def test_round_trips_through_every_crs(name: str) -> None:
    vector = by_name(name)
    (lat, lon), (g_lat, g_lon) = vector["wgs84"], vector["gcj02"]
    for target in ("wgs84", "cgcs2000", "gcj02", "bd09"):
        there = crs.from_wgs84(lon, lat, target)
        assert metres(crs.to_wgs84(*there, target), (lon, lat)) < 0.5
    # The round trips above would also close with conversions that do nothing, so each
    # conversion must move the point by what the corpus says (CGCS2000 = WGS84 here).
    assert crs.from_wgs84(lon, lat, "cgcs2000") == (lon, lat)
    tolerance = vector["tolerance_deg"]["wgs84_to_gcj02"]
    gcj = crs.from_wgs84(lon, lat, "gcj02")
    assert abs(gcj[0] - g_lon) < tolerance and abs(gcj[1] - g_lat) < tolerance
    assert metres(crs.to_wgs84(g_lon, g_lat, "gcj02"), (lon, lat)) < 0.5
    # BD-09 = GCJ-02 + the shift the corpus's Beijing GCJ-02/BD-09 pair shows.
    pair = by_name("beijing-gcj02-bd09")
    (pg_lat, pg_lon), (pb_lat, pb_lon) = pair["gcj02"], pair["bd09"]
    bd = crs.from_wgs84(lon, lat, "bd09")
    bound = bd09_shift_bound(g_lon, g_lat) + pair["tolerance_deg"]["gcj02_to_bd09"]
    assert abs((bd[0] - g_lon) - (pb_lon - pg_lon)) < bound
    assert abs((bd[1] - g_lat) - (pb_lat - pg_lat)) < bound
    assert metres(bd, (lon, lat)) > 500


@pytest.mark.parametrize("vector", BD_VARIANTS, ids=lambda v: v["name"])
def test_wgs84_to_bd09_lands_near_the_eviltransform_points(vector: dict[str, Any]) -> None:
    # Not ground truth (PROVENANCE.md): the common formula lies 10.5 m and 41.5 m from them,
    # but an identity or GCJ-02-only conversion would miss by hundreds of metres.
    (lat, lon), (b_lat, b_lon) = vector["wgs84"], vector["bd09"]
    assert metres(crs.from_wgs84(lon, lat, "bd09"), (b_lon, b_lat)) < 50


def test_gcj02_shift_in_shenzhen_is_hundreds_of_metres() -> None:
    # Guards against a "conversion" that silently does nothing inside China.
    lat, lon = by_name("shenzhen")["wgs84"]
    assert 300 < metres(crs.wgs84_to_gcj02(lon, lat), (lon, lat)) < 700


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("WGS84", "wgs84"),
        ("EPSG:4326", "wgs84"),
        ("urn:ogc:def:crs:OGC:1.3:CRS84", "wgs84"),
        ("EPSG:4490", "cgcs2000"),
        ("CGCS2000", "cgcs2000"),
        ("GCJ02", "gcj02"),
        (" gcj-02 ", "gcj02"),
        ("BD09", "bd09"),
        ("bd09ll", "bd09"),
    ],
)
def test_parse_crs_accepts_aliases(alias: str, name: str) -> None:
    assert crs.parse_crs(alias) == name


@pytest.mark.parametrize("bad", ["", "EPSG:3857", "utm50", "EPSG:4547"])
def test_parse_crs_refuses_unknown_names_in_chinese(bad: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        crs.parse_crs(bad, field="coord_crs")
    assert exc.value.code == "unknown_crs"
    assert exc.value.field == "coord_crs"
    assert "坐标系" in exc.value.message
