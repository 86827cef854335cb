"""The geo API: locate, grid lists and details, import — and the scope of each."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from grid_shapes import A1, A2, B1, collection, feature, square_geometry
from pyproj import Geod

from shared_data import shared_file
from yiwang.geo import queries
from yiwang.geo.models import UnitGrid
from yiwang.org.models import User

pytestmark = pytest.mark.usefixtures("three_grids")

GEOD = Geod(ellps="WGS84")


def bearer(client: Client, user: User) -> dict[str, str]:
    response = client.post(
        "/api/auth/token",
        {"username": user.username, "password": "test-pass-123"},
        content_type="application/json",
    )
    assert response.status_code == 200
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


@pytest.fixture
def street_a(client: Client, make_user: Callable[..., User]) -> User:
    user = make_user("inspector", "440304001")
    client.force_login(user)
    return user


def codes(body: dict[str, Any]) -> list[str]:
    return [f["properties"]["code"] for f in body["features"]]


def test_locate_with_a_bearer_token(client: Client, make_user: Callable[..., User]) -> None:
    headers = bearer(client, make_user("operator", "440304"))
    response = client.get("/api/geo/locate", {"lon": 114.051, "lat": 22.541}, **headers)
    assert response.status_code == 200
    assert response.json() == {
        "grid": {"code": A1[0], "name": "网格001"},
        "community": {"code": "440304001001", "name": "南华社区"},
        "street": {"code": "440304001", "name": "南园街道"},
        "district": {"code": "440304", "name": "福田区"},
        "point": {"lon": 114.051, "lat": 22.541, "crs": "wgs84"},
    }
    assert client.get("/api/geo/locate", {"lon": 114.051, "lat": 22.541}).status_code == 401


def shenzhen_vector() -> dict[str, Any]:
    """The corpus's Shenzhen pair: GCJ-02 exact to 5e-7° (PROVENANCE.md), about 500 m apart."""
    vectors = json.loads(shared_file("corpora", "coords", "transform-vectors.json").read_text())
    return next(v for v in vectors if v["name"] == "shenzhen")


def test_locate_in_gcj02_answers_the_wgs84_point(
    client: Client, street_a: User, make_grid: Callable[..., UnitGrid]
) -> None:
    vector = shenzhen_vector()
    (w_lat, w_lon), (g_lat, g_lon) = vector["wgs84"], vector["gcj02"]
    # A 200 m grid around the WGS84 point; the GCJ-02 point itself lies ~500 m outside it,
    # so only a real conversion finds the grid.
    make_grid("440304001001005", 113.9113, 22.5428)
    response = client.get("/api/geo/locate", {"lon": g_lon, "lat": g_lat, "crs": "GCJ02"})
    assert response.status_code == 200
    body = response.json()
    assert body["grid"]["code"] == "440304001001005"
    point = (body["point"]["lon"], body["point"]["lat"])
    assert GEOD.inv(*point, w_lon, w_lat)[2] < vector["tolerance_m"]["gcj02_to_wgs84_exact"]
    assert client.get("/api/geo/locate", {"lon": g_lon, "lat": g_lat}).status_code == 404


def test_locate_outside_every_grid(client: Client, street_a: User) -> None:
    response = client.get("/api/geo/locate", {"lon": 114.0, "lat": 22.0})
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_in_grid",
        "message": "该点不在任何单元网格内。",
        "field": None,
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lon": 200, "lat": 22.5}, "lon"),
        ({"lon": 114, "lat": -95}, "lat"),
        ({"lon": "abc", "lat": 22.5}, "lon"),
        ({"lat": 22.5}, "lon"),
        ({"lon": 114, "lat": 22.5, "crs": "EPSG:3857"}, "crs"),
    ],
)
def test_locate_bad_input(
    client: Client, street_a: User, params: dict[str, Any], field: str
) -> None:
    response = client.get("/api/geo/locate", params)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_street_a_sees_none_of_street_b(client: Client, street_a: User) -> None:
    listed = client.get("/api/geo/grids")
    assert listed.status_code == 200
    body = listed.json()
    assert body["type"] == "FeatureCollection"
    assert codes(body) == [A1[0], A2[0]]
    assert (body["count"], body["total"], body["truncated"]) == (2, 2, False)
    assert queries.grid_count(street_a) == 2
    assert queries.grids(street_a).filter(code=B1[0]).count() == 0

    detail = client.get(f"/api/geo/grids/{B1[0]}")
    assert detail.status_code == 404
    assert detail.json()["code"] == "grid_not_found"
    # Indistinguishable from a grid that does not exist.
    missing = client.get("/api/geo/grids/440304001001999")
    assert missing.json()["message"].replace("440304001001999", B1[0]) == detail.json()["message"]

    located = client.get("/api/geo/locate", {"lon": 114.061, "lat": 22.541})
    assert located.status_code == 404
    assert located.json()["code"] == "out_of_scope"
    assert "园东" not in located.content.decode() and B1[0] not in located.content.decode()

    other_division = client.get("/api/geo/grids", {"division": "440304002"})
    assert other_division.status_code == 404
    in_bbox = client.get("/api/geo/grids", {"bbox": "114.059,22.539,114.063,22.543"})
    assert codes(in_bbox.json()) == []


def test_district_user_sees_all_and_filters(client: Client, make_user: Callable[..., User]) -> None:
    client.force_login(make_user("leader", "440304"))
    assert codes(client.get("/api/geo/grids").json()) == [A1[0], A2[0], B1[0]]
    assert codes(client.get("/api/geo/grids", {"division": "440304002"}).json()) == [B1[0]]
    assert codes(client.get("/api/geo/grids", {"division": "440304001001"}).json()) == [
        A1[0],
        A2[0],
    ]
    inside_a1 = client.get("/api/geo/grids", {"bbox": "114.0505,22.5405,114.0515,22.5415"})
    assert codes(inside_a1.json()) == [A1[0]]
    detail = client.get(f"/api/geo/grids/{B1[0]}").json()
    assert detail["type"] == "Feature"
    assert detail["properties"]["community_name"] == "园东社区"
    assert detail["geometry"]["coordinates"][0][0] == [114.06, 22.54]


def test_grid_list_in_gcj02(
    client: Client, street_a: User, make_grid: Callable[..., UnitGrid]
) -> None:
    vector = shenzhen_vector()
    (w_lat, w_lon), (g_lat, g_lon) = vector["wgs84"], vector["gcj02"]
    tolerance = vector["tolerance_deg"]["wgs84_to_gcj02"]
    # The grid's south-west corner is the corpus's WGS84 point; in GCJ-02 it must be the
    # corpus's GCJ-02 point, and a GCJ-02 bbox just inside that corner must find the grid.
    make_grid("440304001001005", w_lon, w_lat)
    bbox = f"{g_lon + 0.0001},{g_lat + 0.0001},{g_lon + 0.0002},{g_lat + 0.0002}"
    body = client.get("/api/geo/grids", {"crs": "gcj02", "bbox": bbox}).json()
    assert codes(body) == ["440304001001005"]
    lon, lat = body["features"][0]["geometry"]["coordinates"][0][0]
    assert abs(lon - g_lon) < tolerance and abs(lat - g_lat) < tolerance
    # The same numbers read as WGS84 are ~500 m away from the grid.
    assert codes(client.get("/api/geo/grids", {"bbox": bbox}).json()) == []


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "114.06,22.5,114.05,22.6", "0,0,200,10"])
def test_bad_bbox(client: Client, street_a: User, bbox: str) -> None:
    response = client.get("/api/geo/grids", {"bbox": bbox})
    assert response.status_code == 400
    assert response.json()["field"] == "bbox"


def test_grid_list_has_no_n_plus_one(
    client: Client, root: User, django_assert_max_num_queries: Any
) -> None:
    from yiwang.geo.actions import import_grids

    import_grids(
        root,
        collection(
            *[
                feature(
                    f"440304001001{100 + i}", square_geometry(round(114.1 + i * 0.002, 9), 22.54)
                )
                for i in range(30)
            ]
        ),
    )
    client.force_login(root)
    with django_assert_max_num_queries(5):
        body = client.get("/api/geo/grids").json()
    assert body["count"] == 33


def test_import_over_the_api(client: Client, make_user: Callable[..., User]) -> None:
    admin = make_user("admin", "440304")
    headers = bearer(client, admin)
    good = collection(feature("440304001001005", square_geometry(114.090, 22.540)))
    created = client.post(
        "/api/geo/grids/import?crs=wgs84", good, content_type="application/json", **headers
    )
    assert created.status_code == 201
    assert created.json() == {"created": 1, "total": 1}
    assert (
        client.get("/api/geo/locate", {"lon": 114.091, "lat": 22.541}, **headers).json()["grid"][
            "code"
        ]
        == "440304001001005"
    )

    overlapping = collection(feature("440304001001006", square_geometry(114.0905, 22.540)))
    refused = client.post(
        "/api/geo/grids/import", overlapping, content_type="application/json", **headers
    )
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "import_rejected"
    assert [(e["index"], e["code"]) for e in body["details"]["errors"]] == [(1, "overlap")]
    assert not UnitGrid.objects.filter(code="440304001001006").exists()

    inspector_headers = bearer(client, make_user("inspector", "440304"))
    forbidden = client.post(
        "/api/geo/grids/import", good, content_type="application/json", **inspector_headers
    )
    assert forbidden.status_code == 403


def test_import_larger_than_the_upload_limit_is_refused_clearly(
    client: Client, root: User, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
    features = [feature("440304001001000", square_geometry(114.2, 22.54))]
    client.force_login(root)
    response = client.post(
        "/api/geo/grids/import",
        collection(*features) | {"padding": "x" * 1_000_000},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "file_too_large"
    assert not UnitGrid.objects.filter(code="440304001001000").exists()
