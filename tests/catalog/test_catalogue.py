"""The GB/T 47678.5-2026 catalogue as loaded by the migrations, its search and local types."""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from shared_data import shared_file
from yiwang.catalog import actions, queries
from yiwang.catalog.models import ObjectType
from yiwang.core.errors import InvalidInput, PermissionDenied
from yiwang.core.models import AuditEntry
from yiwang.org.models import User


def test_migrations_load_153_component_and_250_matter_types(db: Any) -> None:
    assert ObjectType.objects.filter(kind="component").count() == 153
    assert ObjectType.objects.filter(kind="matter").count() == 250
    assert not ObjectType.objects.filter(is_local=True).exists()


def test_spot_checks_keep_leading_zeros_and_source_spelling(db: Any) -> None:
    water = ObjectType.objects.get(kind="component", code="01001")
    assert (water.name, water.major_code, water.major_name) == ("供水井盖", "01", "市政公用设施")
    assert ObjectType.objects.get(kind="matter", code="01001").name == "供水井盖异常"
    # The one matter whose name is not component name + 异常.
    assert ObjectType.objects.get(kind="component", code="01066").name == "紧急报警点SOS"
    assert ObjectType.objects.get(kind="matter", code="01066").name == "紧急报警点异常SOS"
    assert ObjectType.objects.get(kind="matter", code="06001").major_name == "市容环境类"
    # Codes have gaps: nothing is invented to fill them.
    assert not ObjectType.objects.filter(code="01016").exists()


def test_loaded_catalogue_equals_the_reference_file(db: Any) -> None:
    reference = shared_file("reference", "gbt47678-5-2026-catalog.csv")
    with reference.open(encoding="utf-8") as f:
        expected = {
            (r["kind"], r["code"], r["major_code"], r["major_name"], r["name"])
            for r in csv.DictReader(f)
        }
    loaded = set(ObjectType.objects.values_list("kind", "code", "major_code", "major_name", "name"))
    assert loaded == expected


def _login(client: Client, user: User) -> None:
    client.force_login(user)


def test_types_api_filters_by_kind_and_searches(
    client: Client, org_tree: Any, make_user: Callable[..., User]
) -> None:
    _login(client, make_user("inspector", "440304001"))

    components = client.get("/api/catalog/types", {"kind": "component"}).json()
    assert components["count"] == 153
    assert len(components["items"]) == 100  # default page size
    assert components["items"][0]["code"] == "01001"

    everything = client.get("/api/catalog/types", {"page_size": 500}).json()
    assert everything["count"] == 403
    assert len(everything["items"]) == 403

    by_name = client.get("/api/catalog/types", {"q": "井盖", "kind": "component"}).json()
    assert by_name["count"] > 0
    assert all("井盖" in item["name"] for item in by_name["items"])

    by_prefix = client.get("/api/catalog/types", {"q": "0106", "kind": "matter"}).json()
    assert {item["code"][:4] for item in by_prefix["items"]} == {"0106"}
    assert "01066" in {item["code"] for item in by_prefix["items"]}

    # Case-insensitive: lower-case "sos" finds 紧急报警点SOS.
    sos = client.get("/api/catalog/types", {"q": "sos", "kind": "component"}).json()
    assert [item["name"] for item in sos["items"]] == ["紧急报警点SOS"]

    by_major = client.get("/api/catalog/types", {"q": "街面秩序", "kind": "matter"}).json()
    assert by_major["count"] > 0
    assert {item["major_code"] for item in by_major["items"]} == {"09"}

    item = by_name["items"][0]
    assert set(item) >= {
        "kind",
        "code",
        "major_code",
        "major_name",
        "name",
        "is_local",
        "self_handle",
    }


def test_types_api_rejects_an_unknown_kind(
    client: Client, org_tree: Any, make_user: Callable[..., User]
) -> None:
    _login(client, make_user("inspector", "440304001"))
    response = client.get("/api/catalog/types", {"kind": "thing"})
    assert response.status_code == 400
    assert response.json()["field"] == "kind"


def test_types_api_needs_a_signed_in_user(client: Client, db: Any) -> None:
    assert client.get("/api/catalog/types").status_code == 401


def test_local_type_is_marked_and_searchable(root: User) -> None:
    local = actions.create_local_type(
        root, kind="matter", code="10901", major_code="10", name="电动车飞线充电"
    )
    assert local.is_local
    assert local.major_name == "其他事项类"  # taken from the existing major class
    assert AuditEntry.objects.filter(action="catalog.create_local_type").count() == 1
    found = queries.types(root, q="飞线充电")
    assert [(t.kind, t.code, t.is_local) for t in found] == [("matter", "10901", True)]


def test_local_type_may_not_clash_with_an_existing_code(root: User) -> None:
    with pytest.raises(InvalidInput) as exc:
        actions.create_local_type(
            root, kind="component", code="01001", major_code="01", name="我的井盖"
        )
    assert exc.value.code == "duplicate_type_code"
    assert ObjectType.objects.get(kind="component", code="01001").name == "供水井盖"
    # The same code under the other kind is a different type and is fine.
    actions.create_local_type(
        root, kind="component", code="01901", major_code="01", name="智能井盖"
    )
    with pytest.raises(InvalidInput) as again:
        actions.create_local_type(
            root, kind="component", code="01901", major_code="01", name="重复"
        )
    assert again.value.code == "duplicate_type_code"


@pytest.mark.parametrize(
    ("code", "major", "error"),
    [
        ("1901", "01", "type_code_format"),
        ("02901", "01", "type_code_major"),
        ("0a901", "01", "type_code_format"),
    ],
)
def test_local_type_code_format(root: User, code: str, major: str, error: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        actions.create_local_type(root, kind="component", code=code, major_code=major, name="x")
    assert exc.value.code == error
    assert not ObjectType.objects.filter(is_local=True).exists()


def test_new_major_class_needs_a_name(root: User) -> None:
    with pytest.raises(InvalidInput) as exc:
        actions.create_local_type(root, kind="matter", code="11001", major_code="11", name="x")
    assert exc.value.field == "major_name"
    created = actions.create_local_type(
        root,
        kind="matter",
        code="11001",
        major_code="11",
        name="无人机巡查发现",
        major_name="智慧巡查类",
    )
    assert created.major_name == "智慧巡查类"


def test_only_admins_add_types(org_tree: Any, make_user: Callable[..., User]) -> None:
    with pytest.raises(PermissionDenied):
        actions.create_local_type(
            make_user("dispatcher", "440304"),
            kind="matter",
            code="10901",
            major_code="10",
            name="x",
        )


def test_standard_type_names_are_fixed_but_switches_change(root: User) -> None:
    with pytest.raises(InvalidInput) as exc:
        actions.update_type(root, "component", "01001", name="井盖")
    assert exc.value.code == "standard_type_readonly"
    updated = actions.update_type(root, "matter", "06001", self_handle=True, is_active=False)
    assert (updated.self_handle, updated.is_active) == (True, False)
    assert ObjectType.objects.get(kind="matter", code="06001").name == "私搭乱建"
    local = actions.create_local_type(
        root, kind="matter", code="10901", major_code="10", name="旧名"
    )
    assert actions.update_type(root, "matter", local.code, name="新名").name == "新名"
    assert AuditEntry.objects.filter(action="catalog.update_type").count() == 2


def test_catalog_endpoints_are_documented(client: Client, db: Any) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/catalog/types",
        "/api/catalog/components",
        "/api/catalog/components.geojson",
        "/api/catalog/components/{ident}",
        "/api/catalog/components/import",
    ):
        assert path in paths
