"""The hotspot API: GeoJSON cells with counts and Gi*, recurring problems, in scope."""

from __future__ import annotations

from typing import Any

import h3
import pytest
from django.test import Client
from hotspot_support import RESOLUTION, add_big_grid, centre, grid_cells, report_at

from case_support import City

PERIOD = {"start": "2026-11-01", "end": "2026-11-30", "resolution": RESOLUTION}


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def clustered(city: City) -> str:
    add_big_grid(city)
    middle = h3.latlng_to_cell(22.615, 114.115, RESOLUTION)
    report_at(city, [centre(c) for c in h3.grid_disk(middle, 1) for _ in range(4)], "2026-11-03")
    report_at(city, [centre(c) for c in sorted(grid_cells())[1::25]], "2026-11-04")
    return middle


def test_cells_geojson_marks_the_cluster_hot(city: City, clustered: str) -> None:
    response = signed_in(city.users["leader"]).get("/api/reports/hotspots/cells", PERIOD)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["type"] == "FeatureCollection"
    by_cell = {f["id"]: f for f in body["features"]}
    middle = by_cell[clustered]
    assert middle["properties"]["kind"] == "hot"
    assert middle["properties"]["confidence"] == 99
    assert middle["properties"]["count"] >= 4
    # The outline is the cell's own hexagon, closed, lon/lat order.
    ring = middle["geometry"]["coordinates"][0]
    assert len(ring) == 7 and ring[0] == ring[-1]
    lat, lon = h3.cell_to_latlng(clustered)
    assert min(p[0] for p in ring) < lon < max(p[0] for p in ring)
    assert min(p[1] for p in ring) < lat < max(p[1] for p in ring)
    assert body["cases"] == 28 + len(sorted(grid_cells())[1::25])
    assert body["cells"] >= len(grid_cells())


def test_cells_are_scoped(city: City, clustered: str) -> None:
    # Street A's inspector has no case in street A: no cell has cases.
    response = signed_in(city.users["inspector"]).get("/api/reports/hotspots/cells", PERIOD)
    assert response.status_code == 200
    assert response.json()["cases"] == 0
    assert clustered not in {f["id"] for f in response.json()["features"]}


def test_recurrences_are_ranked(city: City) -> None:
    add_big_grid(city)
    cells = sorted(grid_cells())
    for day in ("2026-11-02", "2026-11-03", "2026-11-04"):
        report_at(city, [centre(cells[7])] * 2, day)
    for day in ("2026-11-10", "2026-11-12", "2026-11-14"):
        report_at(city, [centre(cells[50])], day)
    response = signed_in(city.users["leader"]).get(
        "/api/reports/hotspots/recurrences", {**PERIOD, "min_count": 3, "days": 7}
    )
    assert response.status_code == 200, response.content
    rows = response.json()
    assert [(r["cell"], r["count"], r["type_code"]) for r in rows] == [
        (cells[7], 6, "06001"),
        (cells[50], 3, "06001"),
    ]
    assert rows[0]["type_name"] == "私搭乱建"
    assert rows[1]["window_start"].startswith("2026-11-10T12:00:00+08:00")


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"start": "2026-11-30", "end": "2026-11-01"}, "bad_date_range", "end"),
        ({"resolution": 3}, "invalid", None),
        ({"type_code": "060"}, "invalid", None),
    ],
)
def test_bad_requests_are_refused(
    city: City, params: dict[str, Any], code: str, field: str | None
) -> None:
    response = signed_in(city.users["leader"]).get("/api/reports/hotspots/cells", params)
    assert response.status_code == 400
    body = response.json()
    assert set(body) >= {"code", "message", "field"}
    if code != "invalid":
        assert (body["code"], body["field"]) == (code, field)


def test_anonymous_is_refused(db: Any) -> None:
    assert Client().get("/api/reports/hotspots/cells").status_code == 401
