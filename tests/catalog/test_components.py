"""The component inventory: registering, importing, locating and scoped reading."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from catalog_support import IN_A, IN_B, OUTSIDE, ident
from django.test import Client

from yiwang.catalog import actions
from yiwang.catalog.models import Component
from yiwang.core.errors import InvalidInput, PermissionDenied
from yiwang.core.importing import ImportRejected
from yiwang.core.models import AuditEntry
from yiwang.geo.crs import from_wgs84
from yiwang.geo.models import UnitGrid
from yiwang.org.models import User

# Reads, locks and bulk inserts of one import; SQLite splits a 1,000-row insert into a few
# batches (its bound-parameter limit), so the bound leaves room for that, far below 1,000.
MAX_QUERIES_PER_IMPORT = 40

COLUMNS_CN = [
    "标识码",
    "类型代码",
    "名称",
    "经度",
    "纬度",
    "状态",
    "主管部门名称",
    "初始日期",
    "变更日期",
]


def record(
    serial: int,
    *,
    type_code: str = "01001",
    point: tuple[float, float] = IN_A,
    state: str = "完好",
    initial: str = "2024-03-01",
    changed: str = "",
    ident_: str | None = None,
) -> list[str]:
    return [
        ident_ if ident_ is not None else ident(type_code, serial),
        type_code,
        f"井盖{serial}",
        str(point[0]),
        str(point[1]),
        state,
        "福田区水务局",
        initial,
        changed,
    ]


def to_csv(rows: list[list[str]], header: list[str] = COLUMNS_CN, bom: bool = True) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode("utf-8")


def make_component(actor: User, serial: int, point: tuple[float, float] = IN_A) -> Component:
    return actions.create_component(
        actor,
        ident=ident("01001", serial),
        type_code="01001",
        name=f"供水井盖{serial}",
        lon=point[0],
        lat=point[1],
    )


# --- registering one component ------------------------------------------------------


def test_component_is_located_to_its_grid(root: User, grids: dict[str, UnitGrid]) -> None:
    component = actions.create_component(
        root,
        ident=ident("01001", 1),
        type_code="01001",
        name="供水井盖",
        lon=IN_B[0],
        lat=IN_B[1],
        state="破损",
        owner="深圳水务集团",
        initial_date="2020-05-01",
    )
    component.refresh_from_db()
    assert component.grid.code == "440304002001001"
    assert component.street.code == "440304002"
    assert component.community.code == "440304002001"
    assert component.division_path == component.community.path
    assert component.state == "damaged"
    assert component.initial_date == date(2020, 5, 1)
    assert component.owner == "深圳水务集团"
    assert AuditEntry.objects.filter(
        action="catalog.create_component", object_id=str(component.pk)
    ).exists()


def test_component_given_in_gcj02_is_stored_in_wgs84(
    root: User, grids: dict[str, UnitGrid]
) -> None:
    gcj = from_wgs84(IN_A[0], IN_A[1], "gcj02")
    component = actions.create_component(
        root,
        ident=ident("01001", 1),
        type_code="01001",
        name="井盖",
        lon=gcj[0],
        lat=gcj[1],
        crs="gcj02",
    )
    assert component.grid_id == grids["a"].pk
    assert abs(component.lon - IN_A[0]) < 1e-6 and abs(component.lat - IN_A[1]) < 1e-6


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"lon": OUTSIDE[0], "lat": OUTSIDE[1]}, "not_in_grid"),
        ({"ident": "44030501001000001"}, "component_ident_division"),
        ({"ident": "44030401002000001"}, "component_ident_type"),
        ({"ident": "4403040100100001"}, "component_ident_format"),
        ({"type_code": "06001", "ident": "44030406001000001"}, "unknown_type"),
        ({"state": "坏了"}, "invalid_state"),
        ({"initial_date": "2024-13-01"}, "invalid_date"),
        ({"name": " "}, "required"),
        ({"lon": 500000.0}, "bad_coordinates"),
    ],
)
def test_bad_component_is_refused(
    root: User, grids: dict[str, UnitGrid], changes: dict[str, Any], error: str
) -> None:
    values: dict[str, Any] = {
        "ident": ident("01001", 1),
        "type_code": "01001",
        "name": "井盖",
        "lon": IN_A[0],
        "lat": IN_A[1],
    }
    with pytest.raises(InvalidInput) as exc:
        actions.create_component(root, **{**values, **changes})
    assert exc.value.code == error
    assert not Component.objects.exists()


def test_duplicate_ident_is_refused(root: User, grids: dict[str, UnitGrid]) -> None:
    make_component(root, 1)
    with pytest.raises(InvalidInput) as exc:
        make_component(root, 1, point=IN_B)
    assert exc.value.code == "duplicate_ident"
    assert Component.objects.count() == 1


def test_component_outside_the_actors_scope_is_refused(
    grids: dict[str, UnitGrid], make_user: Callable[..., User]
) -> None:
    admin_a = make_user("admin", "440304001")
    make_component(admin_a, 1, point=IN_A)
    with pytest.raises(InvalidInput) as exc:
        make_component(admin_a, 2, point=IN_B)
    assert exc.value.code == "grid_out_of_scope"
    with pytest.raises(PermissionDenied):
        make_component(make_user("inspector", "440304001"), 3, point=IN_A)
    assert Component.objects.count() == 1


# --- importing --------------------------------------------------------------------


def test_csv_import_with_bom_and_chinese_headers(root: User, grids: dict[str, UnitGrid]) -> None:
    data = to_csv(
        [
            record(1),
            record(2, type_code="01066", point=IN_B, state="破损", changed="2025/6/30"),
            record(3, state="removed", initial=""),
        ]
    )
    summary = actions.import_components(root, data, fmt="csv")
    assert summary.created == 3
    by_ident = {c.ident: c for c in Component.objects.select_related("type", "grid")}
    sos = by_ident[ident("01066", 2)]
    assert sos.type.name == "紧急报警点SOS"
    assert sos.grid.code == "440304002001001"
    assert sos.state == "damaged"
    assert sos.change_date == date(2025, 6, 30)
    assert sos.authority_name == "福田区水务局"
    assert by_ident[ident("01001", 3)].state == "removed"
    assert by_ident[ident("01001", 3)].initial_date is None
    assert AuditEntry.objects.filter(action="catalog.import_components").count() == 1


def test_csv_import_with_english_headers_gbk_and_type_from_ident(
    root: User, grids: dict[str, UnitGrid]
) -> None:
    text = (
        "ident,name,lon,lat,state,note\r\n"
        + f"{ident('02001', 7)},停车场,{IN_A[0]},{IN_A[1]},intact,地下\r\n"
    )
    summary = actions.import_components(root, text.encode("gbk"), fmt="csv")
    assert summary.created == 1
    component = Component.objects.get()
    assert (component.type.code, component.name, component.note) == ("02001", "停车场", "地下")


@pytest.mark.parametrize(
    ("bad_row", "error", "field"),
    [
        (record(2, ident_="4403040100100002"), "component_ident_format", "ident"),
        (
            record(2, ident_=ident("01001", 2, district="440305")),
            "component_ident_division",
            "ident",
        ),
        (record(2, type_code="01016"), "unknown_type", "type_code"),
        (record(2, type_code="06001"), "unknown_type", "type_code"),  # a matter, not a component
        (record(1), "duplicate_ident_in_file", "ident"),
        (record(2, point=OUTSIDE), "not_in_grid", "lon"),
        (record(2, initial="2024-02-30"), "invalid_date", "initial_date"),
        (record(2, initial="2024-03-01", changed="2023-01-01"), "date_order", "change_date"),
        (record(2, state="坏了"), "invalid_state", "state"),
        (
            [ident("01001", 2), "01001", "井盖", "abc", "22.54", "", "", "", ""],
            "bad_coordinates",
            "lon",
        ),
        (
            [ident("01001", 2), "01001", "", str(IN_A[0]), str(IN_A[1]), "", "", "", ""],
            "required",
            "name",
        ),
    ],
)
def test_csv_import_refuses_a_bad_row_and_writes_nothing(
    root: User, grids: dict[str, UnitGrid], bad_row: list[str], error: str, field: str
) -> None:
    data = to_csv([record(1), bad_row, record(3)])
    with pytest.raises(ImportRejected) as exc:
        actions.import_components(root, data, fmt="csv")
    assert [(e.index, e.code, e.field) for e in exc.value.errors] == [(2, error, field)]
    assert exc.value.errors[0].ref == bad_row[0]
    assert not Component.objects.exists()
    assert not AuditEntry.objects.filter(action="catalog.import_components").exists()


def test_csv_import_refuses_an_ident_that_already_exists(
    root: User, grids: dict[str, UnitGrid]
) -> None:
    make_component(root, 2)
    with pytest.raises(ImportRejected) as exc:
        actions.import_components(root, to_csv([record(1), record(2)]), fmt="csv")
    assert [(e.index, e.code) for e in exc.value.errors] == [(2, "duplicate_ident")]
    assert Component.objects.count() == 1


def test_csv_import_refuses_rows_outside_the_actors_scope(
    grids: dict[str, UnitGrid], make_user: Callable[..., User]
) -> None:
    admin_a = make_user("admin", "440304001")
    with pytest.raises(ImportRejected) as exc:
        actions.import_components(admin_a, to_csv([record(1), record(2, point=IN_B)]), fmt="csv")
    assert [(e.index, e.code) for e in exc.value.errors] == [(2, "grid_out_of_scope")]
    assert not Component.objects.exists()


def test_csv_import_reports_every_bad_row(root: User, grids: dict[str, UnitGrid]) -> None:
    rows = [record(1, point=OUTSIDE), record(2), record(3, state="x"), record(3)]
    with pytest.raises(ImportRejected) as exc:
        actions.import_components(root, to_csv(rows), fmt="csv")
    assert [(e.index, e.code) for e in exc.value.errors] == [
        (1, "not_in_grid"),
        (3, "invalid_state"),
        (4, "duplicate_ident_in_file"),
    ]


def test_csv_without_required_columns_is_refused(root: User, grids: dict[str, UnitGrid]) -> None:
    with pytest.raises(InvalidInput) as exc:
        actions.import_components(root, "标识码,名称\r\n1,2\r\n", fmt="csv")
    assert exc.value.code == "import_missing_column"
    assert "lon" in exc.value.message


def _feature(serial: int, point: tuple[float, float], **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": list(point)},
        "properties": {"标识码": ident("03001", serial), "名称": f"公厕{serial}", **props},
    }


def test_geojson_import(root: User, grids: dict[str, UnitGrid]) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [_feature(1, IN_A, type_code="03001"), _feature(2, IN_B, 状态="丢失")],
    }
    summary = actions.import_components(root, json.dumps(doc, ensure_ascii=False), fmt="geojson")
    assert summary.created == 2
    lost = Component.objects.get(ident=ident("03001", 2))
    assert (lost.state, lost.type.name, lost.grid.code) == ("lost", "公共厕所", "440304002001001")


def test_geojson_import_refuses_non_points_and_writes_nothing(
    root: User, grids: dict[str, UnitGrid]
) -> None:
    polygon = _feature(2, IN_B)
    polygon["geometry"] = {"type": "LineString", "coordinates": [list(IN_A), list(IN_B)]}
    doc = {"type": "FeatureCollection", "features": [_feature(1, IN_A), polygon]}
    with pytest.raises(ImportRejected) as exc:
        actions.import_components(root, json.dumps(doc), fmt="geojson")
    assert [(e.index, e.code) for e in exc.value.errors] == [(2, "invalid_geometry")]
    assert not Component.objects.exists()


def test_import_of_1000_rows_is_written_in_bulk(
    root: User, grids: dict[str, UnitGrid], django_assert_max_num_queries: Any
) -> None:
    # The time it takes is measured by bench/bench_geo.py; here, that 1,000 rows cost a
    # handful of queries (bulk reads and inserts), not one or more per row.
    rows = [record(i, point=IN_A if i % 2 else IN_B) for i in range(1, 1001)]
    with django_assert_max_num_queries(MAX_QUERIES_PER_IMPORT):
        summary = actions.import_components(root, to_csv(rows), fmt="csv")
    assert summary.created == 1000
    assert Component.objects.filter(grid=grids["b"]).count() == 500
    assert Component.objects.filter(grid=grids["a"]).count() == 500


# --- API ----------------------------------------------------------------------------


def test_import_api(
    client: Client, root: User, grids: dict[str, UnitGrid], make_user: Callable[..., User]
) -> None:
    client.force_login(root)
    url = "/api/catalog/components/import?format=csv"
    good = client.post(url, to_csv([record(1), record(2)]), content_type="text/csv")
    assert good.status_code == 201
    assert good.json()["created"] == 2

    bad = client.post(url, to_csv([record(3), record(4, point=OUTSIDE)]), content_type="text/csv")
    assert bad.status_code == 400
    body = bad.json()
    assert body["code"] == "import_rejected"
    assert [(e["index"], e["ref"], e["code"]) for e in body["details"]["errors"]] == [
        (2, ident("01001", 4), "not_in_grid")
    ]
    assert Component.objects.count() == 2

    client.force_login(make_user("inspector", "440304001"))
    denied = client.post(url, to_csv([record(5)]), content_type="text/csv")
    assert denied.status_code == 403
    assert Component.objects.count() == 2


@pytest.fixture
def two_streets(root: User, grids: dict[str, UnitGrid]) -> dict[str, list[Component]]:
    return {
        "a": [make_component(root, i, IN_A) for i in range(1, 4)],
        "b": [make_component(root, i, IN_B) for i in range(11, 13)],
    }


def test_user_of_street_a_sees_nothing_of_street_b(
    client: Client, two_streets: dict[str, list[Component]], make_user: Callable[..., User]
) -> None:
    client.force_login(make_user("inspector", "440304001"))
    own = {c.ident for c in two_streets["a"]}
    other = two_streets["b"][0].ident

    listing = client.get("/api/catalog/components").json()
    assert listing["count"] == 3
    assert {item["ident"] for item in listing["items"]} == own
    assert client.get("/api/catalog/components", {"street": "440304002"}).json()["count"] == 0
    assert client.get("/api/catalog/components", {"grid": "440304002001001"}).json()["count"] == 0

    detail = client.get(f"/api/catalog/components/{other}")
    assert detail.status_code == 404
    assert detail.json()["code"] == "component_not_found"
    assert client.get(f"/api/catalog/components/{two_streets['a'][0].ident}").status_code == 200

    features = client.get("/api/catalog/components.geojson").json()
    assert {f["id"] for f in features["features"]} == own
    assert features["truncated"] is False


def test_district_user_sees_both_streets_and_filters(
    client: Client, two_streets: dict[str, list[Component]], make_user: Callable[..., User]
) -> None:
    client.force_login(make_user("leader", "440304"))
    assert client.get("/api/catalog/components").json()["count"] == 5
    street_b = client.get("/api/catalog/components", {"street": "440304002"}).json()
    assert street_b["count"] == 2
    item = street_b["items"][0]
    assert item["street_name"] == "园岭街道"
    assert item["community_name"] == "园东社区"
    assert item["type_name"] == "供水井盖"
    assert item["state_label"] == "完好"
    assert item["grid_code"] == "440304002001001"
    bbox_a = f"{IN_A[0] - 0.0004},{IN_A[1] - 0.0004},{IN_A[0] + 0.0004},{IN_A[1] + 0.0004}"
    assert client.get("/api/catalog/components", {"bbox": bbox_a}).json()["count"] == 3
    assert client.get("/api/catalog/components.geojson", {"bbox": bbox_a}).json()["count"] == 3
    assert (
        client.get("/api/catalog/components", {"q": "供水井盖1"}).json()["count"] == 3
    )  # 1, 11, 12
    assert client.get("/api/catalog/components", {"type": "01002"}).json()["count"] == 0
    bad_bbox = client.get("/api/catalog/components", {"bbox": "1,2,3"})
    assert (bad_bbox.status_code, bad_bbox.json()["field"]) == (400, "bbox")
    bad_state = client.get("/api/catalog/components", {"state": "broken"})
    assert (bad_state.status_code, bad_state.json()["field"]) == (400, "state")

    detail = client.get(f"/api/catalog/components/{two_streets['b'][0].ident}").json()
    assert detail["district_code"] == "440304"
    assert detail["type_major_name"] == "市政公用设施"
    assert detail["grid_name"] == "园东一格"


@pytest.mark.parametrize("count", [5, 50])
def test_component_list_query_count_is_constant(
    client: Client,
    root: User,
    grids: dict[str, UnitGrid],
    make_user: Callable[..., User],
    django_assert_max_num_queries: Any,
    count: int,
) -> None:
    rows = [record(i, point=IN_A if i % 2 else IN_B) for i in range(1, count + 1)]
    actions.import_components(root, to_csv(rows), fmt="csv")
    client.force_login(make_user("leader", "440304"))
    with django_assert_max_num_queries(6):
        response = client.get("/api/catalog/components", {"page_size": 100})
    assert len(response.json()["items"]) == count


def test_geojson_is_capped_and_says_so(
    client: Client,
    two_streets: dict[str, list[Component]],
    root: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from yiwang.catalog import api

    monkeypatch.setattr(api, "GEOJSON_CAP", 4)
    client.force_login(root)
    body = client.get("/api/catalog/components.geojson").json()
    assert (body["count"], body["truncated"]) == (4, True)
    assert body["features"][0]["geometry"]["type"] == "Point"
