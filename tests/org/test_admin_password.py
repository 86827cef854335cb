"""The admin's password change (/admin/org/user/<id>/password/) goes through org.actions:
audited, and the person's other sessions and API tokens end with the old password."""

from __future__ import annotations

from typing import Any

from django.test import Client, RequestFactory

from yiwang.core.models import AuditEntry
from yiwang.org import actions
from yiwang.org.models import ApiToken, Division, User

NEW_PASSWORD = "Nanyuan-2026-spring"


def _change(client: Client, user: User, password: str, repeat: str | None = None) -> Any:
    return client.post(
        f"/admin/org/user/{user.pk}/password/",
        {"usable_password": "true", "password1": password, "password2": repeat or password},
    )


def _token_of(user: User) -> tuple[str, Any]:
    """A token issued through the real endpoint's action, as the person's program would."""
    return actions.issue_token(
        RequestFactory().post("/api/auth/token"), username=user.username, password="test-pass-123"
    )


def test_an_administrator_resets_a_password_and_the_old_logins_end(
    client: Client, root: User, org_tree: dict[str, Division], make_user: Any
) -> None:
    admin = make_user("admin", "440304")
    inspector = make_user("inspector", "440304001")
    key, _token = _token_of(inspector)
    phone = Client()  # the inspector, signed in on another device
    phone.force_login(inspector)
    assert phone.get("/").status_code == 200
    assert actions.user_for_token(key) == inspector

    client.force_login(admin)
    page = client.get(f"/admin/org/user/{inspector.pk}/password/")
    assert page.status_code == 200
    response = _change(client, inspector, NEW_PASSWORD)
    assert response.status_code == 302, response.content[:800]

    inspector.refresh_from_db()
    assert inspector.check_password(NEW_PASSWORD)
    assert not inspector.check_password("test-pass-123")
    entry = AuditEntry.objects.get(action="org.set_password", object_id=str(inspector.pk))
    assert entry.actor == admin
    assert entry.data == {"revoked_tokens": [key[:8]], "usable": True}
    assert NEW_PASSWORD not in str(entry.data) + entry.summary
    # The other device is signed out and the token no longer opens the API.
    assert phone.get("/").status_code == 302
    assert actions.user_for_token(key) is None
    assert not ApiToken.objects.filter(user=inspector).exists()
    # The administrator's own session goes on.
    assert client.get("/admin/").status_code == 200


def test_an_administrator_changing_their_own_password_keeps_only_this_session(
    client: Client, root: User, org_tree: dict[str, Division], make_user: Any
) -> None:
    admin = make_user("admin", "440304")
    laptop = Client()
    laptop.force_login(admin)
    client.force_login(admin)
    assert _change(client, admin, NEW_PASSWORD).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert laptop.get("/").status_code == 302


def test_a_refused_password_changes_nothing_and_says_why(
    client: Client, root: User, org_tree: dict[str, Division], make_user: Any
) -> None:
    admin = make_user("admin", "440304")
    inspector = make_user("inspector", "440304001")
    key, _token = _token_of(inspector)
    client.force_login(admin)
    response = _change(client, inspector, "1234567")
    assert response.status_code == 200
    assert "密码至少 8 位" in response.content.decode()
    inspector.refresh_from_db()
    assert inspector.check_password("test-pass-123")
    assert actions.user_for_token(key) == inspector
    assert not AuditEntry.objects.filter(action="org.set_password").exists()


def test_an_administrator_of_another_street_cannot_reset_the_password(
    client: Client, root: User, org_tree: dict[str, Division], make_user: Any
) -> None:
    inspector = make_user("inspector", "440304001")
    client.force_login(make_user("admin", "440304002"))
    response = _change(client, inspector, NEW_PASSWORD)
    assert response.status_code in (302, 403, 404)
    inspector.refresh_from_db()
    assert inspector.check_password("test-pass-123")
    assert not AuditEntry.objects.filter(action="org.set_password").exists()


def test_disabling_password_login_is_audited_and_ends_the_tokens(
    client: Client, root: User, org_tree: dict[str, Division], make_user: Any
) -> None:
    inspector = make_user("inspector", "440304001")
    key, _token = _token_of(inspector)
    client.force_login(make_user("admin", "440304"))
    response = client.post(
        f"/admin/org/user/{inspector.pk}/password/",
        {"usable_password": "false", "unset-password": "1"},
    )
    assert response.status_code == 302, response.content[:800]
    inspector.refresh_from_db()
    assert not inspector.has_usable_password()
    assert actions.user_for_token(key) is None
    entry = AuditEntry.objects.get(action="org.set_password")
    assert entry.data["usable"] is False
