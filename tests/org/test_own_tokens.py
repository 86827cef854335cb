"""A user lists and revokes their own API tokens (never anyone else's); signing out can revoke
them all."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from yiwang.core.models import AuditEntry
from yiwang.org.models import User

PASSWORD = "test-pass-123"


def _issue(username: str, ip: str = "127.0.0.1") -> str:
    response = Client().post(
        "/api/auth/token",
        {"username": username, "password": PASSWORD},
        content_type="application/json",
        REMOTE_ADDR=ip,
    )
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


def _bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _works(key: str) -> bool:
    return Client().get("/api/auth/me", **_bearer(key)).status_code == 200


@pytest.fixture
def two_users(make_user: Any, org_tree: Any) -> tuple[User, User]:
    return make_user("operator", "440304001"), make_user("operator", "440304001")


def test_a_user_lists_only_their_own_tokens(client: Client, two_users: tuple[User, User]) -> None:
    alice, bob = two_users
    mine = [_issue(alice.username), _issue(alice.username, ip="10.0.0.2")]
    theirs = _issue(bob.username)
    listed = client.get("/api/auth/tokens", **_bearer(mine[0]))
    assert listed.status_code == 200
    rows = listed.json()
    assert sorted(r["prefix"] for r in rows) == sorted(k[:8] for k in mine)
    assert theirs[:8] not in {r["prefix"] for r in rows}
    # The key itself is never listed: only the 8 characters it starts with.
    assert all(k not in listed.content.decode() for k in mine)


def test_revoking_another_users_token_is_not_found(
    client: Client, two_users: tuple[User, User]
) -> None:
    alice, bob = two_users
    mine, theirs = _issue(alice.username), _issue(bob.username)
    their_id = client.get("/api/auth/tokens", **_bearer(theirs)).json()[0]["id"]
    refused = client.delete(f"/api/auth/tokens/{their_id}", **_bearer(mine))
    assert refused.status_code == 404
    assert refused.json()["code"] == "token_not_found"
    assert _works(theirs)
    assert client.delete("/api/auth/tokens/999999999", **_bearer(mine)).status_code == 404


def test_revoking_my_token_ends_it_and_is_audited(
    client: Client, two_users: tuple[User, User]
) -> None:
    alice, _bob = two_users
    first, second = _issue(alice.username), _issue(alice.username, ip="10.0.0.3")
    rows = client.get("/api/auth/tokens", **_bearer(first)).json()
    second_id = next(r["id"] for r in rows if r["prefix"] == second[:8])
    assert client.delete(f"/api/auth/tokens/{second_id}", **_bearer(first)).status_code == 204
    assert not _works(second)
    assert _works(first)
    audit = AuditEntry.objects.get(action="org.revoke_own_token")
    assert (audit.actor, audit.object_id) == (alice, str(second_id))


def test_the_token_page_lists_and_revokes_my_tokens_only(
    client: Client, two_users: tuple[User, User]
) -> None:
    alice, bob = two_users
    mine, theirs = _issue(alice.username), _issue(bob.username)
    client.force_login(alice)
    page = client.get("/account/tokens/").content.decode()
    assert mine[:8] in page and theirs[:8] not in page
    assert "/account/tokens/" in client.get("/").content.decode()  # in the user's menu

    their_id = Client().get("/api/auth/tokens", **_bearer(theirs)).json()[0]["id"]
    answer = client.post("/account/tokens/", {"token_id": their_id}, follow=True)
    assert "令牌不存在" in answer.content.decode()
    assert _works(theirs)

    my_id = client.get("/api/auth/tokens").json()[0]["id"]  # the session works for the API too
    answer = client.post("/account/tokens/", {"token_id": my_id}, follow=True)
    assert "令牌已吊销" in answer.content.decode()
    assert not _works(mine)


def test_signing_out_with_the_box_ticked_revokes_all_my_tokens(
    client: Client, two_users: tuple[User, User]
) -> None:
    alice, bob = two_users
    mine = [_issue(alice.username), _issue(alice.username, ip="10.0.0.4")]
    theirs = _issue(bob.username)
    client.force_login(alice)
    assert 'name="revoke_tokens"' in client.get("/account/tokens/").content.decode()
    client.post("/logout/", {"revoke_tokens": "1"})
    assert client.get("/cases/").status_code == 302  # signed out
    assert not any(_works(k) for k in mine)
    assert _works(theirs)
    assert AuditEntry.objects.get(action="org.revoke_own_tokens").data == {}
    assert "2" in AuditEntry.objects.get(action="org.revoke_own_tokens").summary


def test_signing_out_without_the_box_keeps_my_tokens(
    client: Client, two_users: tuple[User, User]
) -> None:
    alice, _bob = two_users
    key = _issue(alice.username)
    client.force_login(alice)
    client.post("/logout/")
    assert client.get("/cases/").status_code == 302
    assert _works(key)


def test_the_token_endpoints_are_documented(client: Client, db: Any) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    token = paths["/api/auth/token"]["post"]["responses"]
    assert {"200", "400", "403", "429"} <= set(token)
    assert "locked_out" in paths["/api/auth/token"]["post"]["description"]
    assert {"200", "401"} <= set(paths["/api/auth/tokens"]["get"]["responses"])
    assert {"204", "401", "404"} <= set(paths["/api/auth/tokens/{token_id}"]["delete"]["responses"])
