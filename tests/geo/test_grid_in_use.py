"""A grid that cases or components point at cannot be deleted: action, API and admin.

Cases and components keep the grid they were located to (their foreign keys protect it),
so deleting such a grid is refused with ``grid_in_use`` and nothing changes; a grid nothing
references can be deleted. (Grids are never replaced in place: re-importing a code is
refused as ``duplicate_code``, see test_geo_import.py.)
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from grid_shapes import A1, A2, B1

from yiwang.cases import actions as case_actions
from yiwang.catalog import actions as catalog_actions
from yiwang.core.errors import Conflict
from yiwang.core.models import AuditEntry
from yiwang.geo import actions
from yiwang.geo.locate import locate
from yiwang.geo.models import UnitGrid
from yiwang.org.models import User

pytestmark = pytest.mark.usefixtures("three_grids")

IN_A1 = (114.051, 22.541)
IN_A2 = (114.053, 22.541)
IN_B1 = (114.061, 22.541)


@pytest.fixture
def referenced(
    root: User, make_user: Callable[..., User], three_grids: dict[str, UnitGrid]
) -> None:
    """A case located in A1 and a component located in A2; B1 is referenced by nothing."""
    case_actions.report_case(
        make_user("inspector", "440304001"),
        kind="matter",
        type_code="06001",
        title="占道经营",
        lon=IN_A1[0],
        lat=IN_A1[1],
    )
    catalog_actions.create_component(
        root,
        ident="44030401001000001",
        type_code="01001",
        name="供水井盖",
        lon=IN_A2[0],
        lat=IN_A2[1],
    )


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user("admin", "440304")


def grid_codes() -> set[str]:
    return set(UnitGrid.objects.values_list("code", flat=True))


def deletions() -> int:
    return AuditEntry.objects.filter(action="geo.delete_grid").count()


@pytest.mark.usefixtures("referenced")
@pytest.mark.parametrize(("code", "point"), [(A1[0], IN_A1), (A2[0], IN_A2)])
def test_the_action_refuses_a_grid_in_use(
    admin: User, code: str, point: tuple[float, float]
) -> None:
    with pytest.raises(Conflict) as exc:
        actions.delete_grid(admin, code)
    assert (exc.value.code, exc.value.field) == ("grid_in_use", "code")
    assert code in exc.value.message and "引用" in exc.value.message
    assert grid_codes() == {A1[0], A2[0], B1[0]}
    assert deletions() == 0
    found = locate(*point)
    assert found is not None and found.grid_code == code  # the index still has it


@pytest.mark.usefixtures("referenced")
def test_the_action_deletes_a_grid_nothing_references(admin: User) -> None:
    actions.delete_grid(admin, B1[0])
    assert grid_codes() == {A1[0], A2[0]}
    assert deletions() == 1
    assert locate(*IN_B1) is None


@pytest.mark.usefixtures("referenced")
def test_the_api_refuses_a_grid_in_use_with_409(client: Client, admin: User) -> None:
    client.force_login(admin)
    response = client.delete(f"/api/geo/grids/{A1[0]}")
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["field"]) == ("grid_in_use", "code")
    assert "引用" in body["message"]
    assert grid_codes() == {A1[0], A2[0], B1[0]}
    # An unreferenced grid goes; then it is not found; a non-administrator may not delete.
    assert client.delete(f"/api/geo/grids/{B1[0]}").status_code == 204
    assert grid_codes() == {A1[0], A2[0]}
    missing = client.delete(f"/api/geo/grids/{B1[0]}")
    assert (missing.status_code, missing.json()["code"]) == (404, "grid_not_found")


def test_only_administrators_delete_grids_through_the_api(
    client: Client, make_user: Callable[..., User]
) -> None:
    client.force_login(make_user("dispatcher", "440304"))
    assert client.delete(f"/api/geo/grids/{B1[0]}").status_code == 403
    assert grid_codes() == {A1[0], A2[0], B1[0]}


def page_messages(response: object) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]


@pytest.mark.usefixtures("referenced")
def test_the_admin_delete_page_shows_a_clear_message_and_keeps_the_grid(
    client: Client, admin: User
) -> None:
    client.force_login(admin)
    grid = UnitGrid.objects.get(code=A1[0])
    response = client.post(f"/admin/geo/unitgrid/{grid.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/admin/geo/unitgrid/{grid.pk}/change/"
    assert page_messages(response) == [
        ("error", f"单元网格 {A1[0]} 仍被案卷或部件引用，不能删除。")
    ]
    assert f"单元网格 {A1[0]} 仍被案卷或部件引用，不能删除。" in response.content.decode()
    assert grid_codes() == {A1[0], A2[0], B1[0]}
    assert deletions() == 0


@pytest.mark.usefixtures("referenced")
def test_the_admin_bulk_delete_keeps_every_grid_when_one_is_in_use(
    client: Client, admin: User
) -> None:
    client.force_login(admin)
    pks = list(UnitGrid.objects.filter(code__in=[A2[0], B1[0]]).values_list("pk", flat=True))
    response = client.post(
        "/admin/geo/unitgrid/",
        {"action": "delete_selected", "_selected_action": pks, "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert page_messages(response) == [
        ("error", f"单元网格 {A2[0]} 仍被案卷或部件引用，不能删除。")
    ]
    # All or nothing: the unreferenced B1 of the same selection is kept too.
    assert grid_codes() == {A1[0], A2[0], B1[0]}
    assert deletions() == 0
    # Selected alone, B1 is deleted through the action (audited).
    b1 = UnitGrid.objects.get(code=B1[0]).pk
    response = client.post(
        "/admin/geo/unitgrid/",
        {"action": "delete_selected", "_selected_action": [b1], "post": "yes"},
        follow=True,
    )
    assert grid_codes() == {A1[0], A2[0]}
    assert deletions() == 1
