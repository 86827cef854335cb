"""The Django admin of the catalogue writes through the actions."""

from __future__ import annotations

from typing import Any

from django.test import Client

from yiwang.catalog.models import ObjectType
from yiwang.core.models import AuditEntry
from yiwang.geo.models import UnitGrid
from yiwang.org.models import User


def test_admin_lists_types_and_components(
    client: Client, root: User, grids: dict[str, UnitGrid]
) -> None:
    client.force_login(root)
    types = client.get("/admin/catalog/objecttype/", {"q": "井盖"})
    assert types.status_code == 200
    assert "供水井盖" in types.content.decode()
    assert client.get("/admin/catalog/component/").status_code == 200


def test_admin_adds_a_local_type_through_the_action(client: Client, root: User) -> None:
    client.force_login(root)
    form = {
        "kind": "matter",
        "code": "10901",
        "major_code": "10",
        "major_name": "",
        "name": "电动车飞线充电",
        "is_active": "on",
    }
    response = client.post("/admin/catalog/objecttype/add/", form)
    assert response.status_code == 302
    created = ObjectType.objects.get(kind="matter", code="10901")
    assert created.is_local
    assert created.major_name == "其他事项类"
    assert AuditEntry.objects.filter(action="catalog.create_local_type").count() == 1

    clash = client.post(
        "/admin/catalog/objecttype/add/", {**form, "code": "06001", "major_code": "06"}
    )
    assert clash.status_code == 200
    assert "已存在" in clash.content.decode()
    assert ObjectType.objects.get(kind="matter", code="06001").name == "私搭乱建"


def test_admin_cannot_rename_a_standard_type(client: Client, root: User, db: Any) -> None:
    client.force_login(root)
    water = ObjectType.objects.get(kind="component", code="01001")
    response = client.post(
        f"/admin/catalog/objecttype/{water.pk}/change/",
        {"name": "井盖", "self_handle": "on", "is_active": "on"},
    )
    assert response.status_code == 302
    water.refresh_from_db()
    assert (water.name, water.self_handle) == ("供水井盖", True)


def test_a_system_administrator_who_is_not_a_superuser_uses_the_reference_pages(
    client: Client, make_user: Any, grids: dict[str, UnitGrid]
) -> None:
    street_admin = make_user("admin", "440304001")
    client.force_login(street_admin)
    index = client.get("/admin/").content.decode()
    for page in ("/admin/geo/unitgrid/", "/admin/catalog/objecttype/", "/admin/catalog/component/"):
        assert page in index
        assert client.get(page).status_code == 200
    # Their own street's grid opens and its name changes through the action; street B's
    # grid is not theirs.
    own, other = grids["a"], grids["b"]
    listing = client.get("/admin/geo/unitgrid/").content.decode()
    assert own.code in listing and other.code not in listing
    response = client.post(
        f"/admin/geo/unitgrid/{own.pk}/change/", {"name": "南华第一网格", "region_class": "1"}
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.name == "南华第一网格"
    assert AuditEntry.objects.filter(action="geo.update_grid", actor=street_admin).exists()
    assert client.get(f"/admin/geo/unitgrid/{other.pk}/change/").status_code in (302, 404)

    # Any other role has no admin at all.
    client.force_login(make_user("inspector", "440304001"))
    assert client.get("/admin/geo/unitgrid/").status_code == 302
