from typing import Any

import pytest
from django.test import Client

from yiwang.core.errors import InvalidInput, PermissionDenied
from yiwang.org import actions
from yiwang.org.models import User


def test_a_system_admin_cannot_open_or_change_a_superuser(
    client: Client, root: User, make_user: Any, org_tree: Any
) -> None:
    boss = actions.bootstrap_admin(username="boss", password="x-pass-12345", division_code="440304")
    street_admin = make_user("admin", "440304")
    client.force_login(street_admin)
    assert client.get(f"/admin/org/user/{boss.pk}/change/").status_code in (302, 403)
    assert client.get(f"/admin/org/user/{boss.pk}/password/").status_code in (302, 403)
    with pytest.raises(PermissionDenied):
        actions.update_staff(
            street_admin,
            boss.pk,
            display_name="x",
            role="inspector",
            division_code="440304",
            department_id=None,
        )
    boss.refresh_from_db()
    assert boss.is_superuser and boss.role == "admin"


def test_update_staff_checks_like_create_staff(root: User, make_user: Any, org_tree: Any) -> None:
    inspector = make_user("inspector", "440304001")
    with pytest.raises(InvalidInput) as exc:
        actions.update_staff(
            root,
            inspector.pk,
            display_name="张三",
            role="handler",
            division_code="440304001",
            department_id=None,
        )
    assert exc.value.code == "department_required"
    inspector.refresh_from_db()
    assert inspector.role == "inspector"
    promoted = actions.update_staff(
        root,
        inspector.pk,
        display_name="张三",
        role="admin",
        division_code="440304001",
        department_id=None,
    )
    assert promoted.is_staff
