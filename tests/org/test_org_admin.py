"""The organisation admin pages write through org.actions: checks, scope and audit rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client, RequestFactory

from yiwang.core.errors import NotFound, PermissionDenied
from yiwang.core.models import AuditEntry
from yiwang.org import actions
from yiwang.org.models import ApiToken, Department, Division, User


def test_renaming_a_division_in_the_admin_is_audited(
    client: Client, root: User, org_tree: dict[str, Division], make_user: Any
) -> None:
    street = org_tree["street_a"]
    admin = make_user("admin", "440304")
    client.force_login(admin)
    response = client.post(f"/admin/org/division/{street.pk}/change/", {"name": "南园街道办"})
    assert response.status_code == 302
    street.refresh_from_db()
    assert (street.name, street.code, street.path) == (
        "南园街道办",
        "440304001",
        "440000/440300/440304/440304001/",
    )
    entry = AuditEntry.objects.get(action="org.rename_division")
    assert entry.actor == admin and entry.data["old"] == "南园街道"

    # An administrator of street B cannot rename street A, through the admin or the action.
    other = make_user("admin", "440304002")
    with pytest.raises(NotFound):
        actions.rename_division(other, street.pk, "别的名字")
    client.force_login(other)
    client.post(f"/admin/org/division/{street.pk}/change/", {"name": "别的名字"})
    street.refresh_from_db()
    assert street.name == "南园街道办"


def test_a_department_created_inactive_in_the_admin_is_so_in_one_audited_step(
    client: Client, root: User, org_tree: dict[str, Division]
) -> None:
    client.force_login(root)
    response = client.post(
        "/admin/org/department/add/",
        {
            "name": "南园街道临时保洁组",
            "kind": "other",
            "division": org_tree["street_a"].pk,
            "credit_code": "",
        },  # is_active unticked
    )
    assert response.status_code == 302, response.content[:500]
    department = Department.objects.get(name="南园街道临时保洁组")
    assert department.is_active is False
    entry = AuditEntry.objects.get(action="org.create_department", object_id=str(department.pk))
    assert "停用" in entry.summary


def test_revoking_tokens_in_the_admin_is_audited_and_scoped(
    client: Client, root: User, org_tree: dict[str, Division], make_user: Any
) -> None:
    inspector = make_user("inspector", "440304001")
    _key, token = actions.issue_token(
        RequestFactory().post("/api/auth/token"),
        username=inspector.username,
        password="test-pass-123",
    )
    admin_b = make_user("admin", "440304002")
    with pytest.raises(NotFound):
        actions.revoke_tokens(admin_b, [token.pk])
    assert ApiToken.objects.filter(pk=token.pk).exists()

    client.force_login(make_user("admin", "440304001"))
    response = client.post(f"/admin/org/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert AuditEntry.objects.filter(action="org.revoke_token").count() == 1


def test_only_a_superuser_hands_out_groups_and_it_is_audited(
    root: User, org_tree: dict[str, Division], make_user: Any
) -> None:
    group = Group.objects.create(name="值班组")
    inspector = make_user("inspector", "440304001")
    with pytest.raises(PermissionDenied):
        actions.set_staff_permissions(
            make_user("admin", "440304"), inspector.pk, group_ids=[group.pk], permission_ids=[]
        )
    actions.set_staff_permissions(root, inspector.pk, group_ids=[group.pk], permission_ids=[])
    assert list(inspector.groups.all()) == [group]
    assert AuditEntry.objects.filter(action="org.set_staff_permissions").count() == 1
