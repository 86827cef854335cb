"""Recurrence by radius: "the same place" as cases within r metres of the cluster's first
case (greedy by the earliest case), instead of one H3 cell.

The points are placed with pyproj's geodesic on the WGS84 ellipsoid at known distances from
a base point, and the expected clusters are computed here with the same ellipsoid, by hand
and by an independent implementation of the documented rule."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hotspot_support import add_big_grid, report_at
from pyproj import Geod

from case_support import City
from yiwang.cases.models import Case

GEOD = Geod(ellps="WGS84")
BASE = (114.115, 22.615)  # inside the big grid of street B
RECUR = "/api/reports/hotspots/recurrences"
PERIOD = {"start": "2026-11-01", "end": "2026-11-30"}


def at(
    bearing_deg: float, metres: float, origin: tuple[float, float] = BASE
) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(origin[0], origin[1], bearing_deg, metres)
    return lon, lat


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def placed(city: City) -> dict[str, Any]:
    add_big_grid(city)
    a = [BASE, at(90, 60), at(0, 95), at(90, 150)]  # a3 is 150 m from a0, 90 m from a1
    cases = {
        "a0": report_at(city, [a[0]], "2026-11-02")[0],
        "a1": report_at(city, [a[1]], "2026-11-03")[0],
        "a2": report_at(city, [a[2]], "2026-11-04")[0],
        "a3": report_at(city, [a[3]], "2026-11-05")[0],
    }
    # 1 km away: three reports within 40 m, but spread over 11 days.
    far = at(180, 1000)
    b = [far, at(45, 30, far), at(270, 40, far)]
    for key, point, day in zip(
        ("b0", "b1", "b2"), b, ("2026-11-02", "2026-11-07", "2026-11-13"), strict=True
    ):
        cases[key] = report_at(city, [point], day)[0]
    # Another type at the a-place: two reports only.
    for key, day in (("c0", "2026-11-02"), ("c1", "2026-11-03")):
        cases[key] = report_at(city, [at(0, 10)], day, type_code="06002")[0]
    # The boundary: 98 m and 102 m from their cluster's first report (1 km north).
    edge = at(0, 1000)
    for key, point, day in (
        ("e0", edge, "2026-11-20"),
        ("e1", at(0, 98, edge), "2026-11-21"),
        ("e2", at(180, 98, edge), "2026-11-22"),
        ("e3", at(90, 102, edge), "2026-11-23"),
    ):
        cases[key] = report_at(city, [point], day)[0]
    return cases


def greedy_by_earliest(cases: list[Case], radius: float) -> list[list[str]]:
    """The documented rule, written again for the test with the ellipsoid's distances."""
    ordered = sorted(cases, key=lambda c: (c.reported_at, c.number))
    taken: set[str] = set()
    clusters = []
    for seed in ordered:
        if seed.number in taken:
            continue
        members = [
            c
            for c in ordered
            if c.number not in taken
            and (c is seed or metres((seed.lon, seed.lat), (c.lon, c.lat)) <= radius)
        ]
        taken.update(c.number for c in members)
        clusters.append([c.number for c in members])
    return clusters


def test_the_distances_are_as_placed(placed: dict[str, Any]) -> None:
    p = {k: (c.lon, c.lat) for k, c in placed.items()}
    assert metres(p["a0"], p["a1"]) == pytest.approx(60, abs=0.01)
    assert metres(p["a0"], p["a3"]) == pytest.approx(150, abs=0.01)
    assert metres(p["a1"], p["a3"]) == pytest.approx(90, abs=0.05)
    assert metres(p["e0"], p["e1"]) == pytest.approx(98, abs=0.01)
    assert metres(p["e0"], p["e3"]) == pytest.approx(102, abs=0.01)


def test_recurrence_within_100_metres(city: City, placed: dict[str, Any]) -> None:
    client = signed_in(city.users["leader"])
    query = {**PERIOD, "radius": 100, "min_count": 3, "days": 7}
    response = client.get(RECUR, query)
    assert response.status_code == 200, response.content
    rows = response.json()
    n = {k: c.number for k, c in placed.items()}
    # a0, a1, a2 within 100 m of a0 (a3 is 150 m from a0: not in, although 90 m from a1);
    # e0, e1, e2 (98 m) but not e3 (102 m). The b-place spans 11 days: no 7-day window of 3.
    assert sorted((r["count"], r["numbers"]) for r in rows) == sorted(
        [(3, [n["a0"], n["a1"], n["a2"]]), (3, [n["e0"], n["e1"], n["e2"]])]
    )
    a_row = next(r for r in rows if r["numbers"][0] == n["a0"])
    assert (a_row["lon"], a_row["lat"]) == pytest.approx(BASE, abs=1e-7)
    assert a_row["type_code"] == "06001" and a_row["total"] == 3
    # The independent rule on every 06001 case gives the same clusters.
    same_type = [c for c in placed.values() if c.type.code == "06001"]
    expected = [c for c in greedy_by_earliest(same_type, 100) if len(c) >= 3]
    b_cluster = [n["b0"], n["b1"], n["b2"]]
    assert sorted(expected) == sorted([r["numbers"] for r in rows] + [b_cluster])

    # A 14-day window takes in the b-place too.
    wide = client.get(RECUR, {**query, "days": 14}).json()
    assert sorted(r["numbers"] for r in wide) == sorted(expected)
    # 160 m takes a3 into the a-place; two of c's type are never enough.
    bigger = client.get(RECUR, {**query, "radius": 160}).json()
    assert [n["a0"], n["a1"], n["a2"], n["a3"]] in [r["numbers"] for r in bigger]
    assert all(r["type_code"] == "06001" for r in bigger)


def test_bad_radius_is_refused(city: City, placed: dict[str, Any]) -> None:
    client = signed_in(city.users["leader"])
    for bad in ("20", "501", "abc", "1e9"):
        response = client.get(RECUR, {**PERIOD, "radius": bad})
        assert response.status_code == 400, bad
        assert response.json()["field"] == "radius"
    page = client.get("/reports/hotspots/", {**PERIOD, "radius": "20"})
    assert page.status_code == 400
    assert "50" in page.content.decode()


def test_the_hotspot_page_filters_by_radius(city: City, placed: dict[str, Any]) -> None:
    client = signed_in(city.users["leader"])
    page = client.get(
        "/reports/hotspots/", {**PERIOD, "radius": 100, "min_count": 3, "days": 7}
    ).content.decode()
    assert "重复发生（100 米内，7 天内至少 3 次）" in page
    assert '<small id="recurrence-total">2</small>' in page
    by_cell = client.get("/reports/hotspots/", {**PERIOD, "min_count": 3, "days": 7})
    assert "100 米内" not in by_cell.content.decode()
