"""Guessing passwords: a lockout per user name and per client address (django-axes), audited,
with a message that says when to retry, and an administrator's unlock."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessFailureLog
from django.test import Client
from django.utils import timezone

from yiwang.core.models import AuditEntry
from yiwang.org.models import User

PASSWORD = "test-pass-123"
# The documented defaults (README): 10 failures within 15 minutes lock for 15 minutes.
LIMIT, COOLOFF = 10, timedelta(minutes=15)


def _web_login(client: Client, username: str, password: str, ip: str = "127.0.0.1") -> Any:
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def _api_token(client: Client, username: str, password: str, ip: str = "127.0.0.1") -> Any:
    return client.post(
        "/api/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _retry_minutes(text: str) -> int:
    match = re.search(r"请于 (\d\d):(\d\d) 后（约 (\d+) 分钟）再试", text)
    assert match, text
    return int(match.group(3))


@pytest.fixture
def operator(make_user: Any, org_tree: Any) -> User:
    return make_user("operator", "440304001")


@pytest.fixture(autouse=True)
def _token_rate_out_of_the_way(settings: Any) -> None:
    # These tests are about the lockout; the issuing rate limit has its own tests.
    settings.TOKEN_RATE_PER_ADDRESS = settings.TOKEN_RATE_PER_USERNAME = "1000/h"


def test_thirty_wrong_passwords_then_the_right_one_is_refused_on_the_web(
    client: Client, operator: User
) -> None:
    started = timezone.now()
    for _ in range(30):
        response = _web_login(client, operator.username, "wrong-password")
        assert response.status_code in (200, 429)
        assert not _signed_in(client)
    response = _web_login(client, operator.username, PASSWORD)
    assert response.status_code == 429
    assert not _signed_in(client)
    text = response.content.decode()
    assert "已被暂时锁定" in text
    # Locked until the cool-off after the last counted failure (the 10th), not further.
    assert 14 <= _retry_minutes(text) <= 15
    assert 14 * 60 <= int(response["Retry-After"]) <= 15 * 60
    assert client.get("/cases/").status_code == 302  # still signed out
    ends = timezone.localtime(started + COOLOFF)
    assert f"{ends:%H:%M}" in text or f"{ends + timedelta(minutes=1):%H:%M}" in text

    # Audited: every refused attempt, and the one lockout. Axes' own log keeps the counted
    # failures, the last of them marked as the lockout.
    failed = AuditEntry.objects.filter(action="org.login_failed", object_id=operator.username)
    assert failed.count() == 31
    assert failed.filter(data__locked=True).count() == 31 - LIMIT + 1
    lockouts = AuditEntry.objects.filter(action="org.login_locked_out")
    assert lockouts.count() == 1
    assert lockouts.get().data["failures"] == LIMIT
    axes_log = AccessFailureLog.objects.filter(username=operator.username).order_by("attempt_time")
    assert [row.locked_out for row in axes_log] == [False] * (LIMIT - 1) + [True]


def test_thirty_wrong_passwords_then_the_right_one_is_refused_by_the_token_api(
    client: Client, operator: User
) -> None:
    codes = [_api_token(client, operator.username, "wrong").json()["code"] for _ in range(30)]
    assert codes[: LIMIT - 1] == ["bad_credentials"] * (LIMIT - 1)
    assert codes[LIMIT - 1 :] == ["locked_out"] * (30 - LIMIT + 1)
    response = _api_token(client, operator.username, PASSWORD)
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "locked_out" and body["field"] == "username"
    assert 14 <= _retry_minutes(body["message"]) <= 15
    assert 14 * 60 <= int(response["Retry-After"]) <= 15 * 60
    assert "token" not in body
    assert AuditEntry.objects.filter(action="org.login_locked_out").count() == 1


def test_one_address_guessing_many_user_names_is_locked_for_every_name(
    client: Client, operator: User
) -> None:
    for n in range(LIMIT):
        _web_login(client, f"guess{n}", "wrong", ip="203.0.113.7")
    # The real account, from the guessing address: refused on the web and by the API.
    assert _web_login(client, operator.username, PASSWORD, ip="203.0.113.7").status_code == 429
    assert not _signed_in(client)
    assert _api_token(client, operator.username, PASSWORD, ip="203.0.113.7").status_code == 429
    # From another address the same account signs in: the lock is the address's.
    assert _web_login(client, operator.username, PASSWORD, ip="198.51.100.2").status_code == 302
    assert _signed_in(client)


def test_one_user_name_guessed_from_many_addresses_is_locked_everywhere(
    client: Client, operator: User
) -> None:
    for n in range(LIMIT):
        _api_token(client, operator.username, "wrong", ip=f"198.51.100.{n + 10}")
    assert _web_login(client, operator.username, PASSWORD, ip="192.0.2.99").status_code == 429
    assert not _signed_in(client)


def test_failures_below_the_limit_do_not_lock(client: Client, operator: User) -> None:
    for _ in range(LIMIT - 1):
        _web_login(client, operator.username, "wrong")
    assert _web_login(client, operator.username, PASSWORD).status_code == 302
    assert _signed_in(client)


def test_an_administrator_unlocks_and_the_unlock_is_audited(
    client: Client, operator: User, make_user: Any
) -> None:
    for n in range(LIMIT):
        _web_login(client, f"guess{n}", "wrong", ip="203.0.113.9")  # locks the address
        _web_login(client, operator.username, f"wrong{n}", ip="198.51.100.9")  # and the name
    assert _web_login(client, operator.username, PASSWORD, ip="192.0.2.1").status_code == 429

    admin = make_user("admin", "440304")
    admin_client = Client()
    admin_client.force_login(admin)
    # The home page counts what is locked (the name and both guessing addresses) and links on.
    home = admin_client.get("/").content.decode()
    assert 'data-count="locked">3<' in home and "/account/lockouts/" in home
    page = admin_client.get("/account/lockouts/")
    assert page.status_code == 200
    html = page.content.decode()
    assert operator.username in html and "203.0.113.9" in html and "已锁定至" in html

    admin_client.post("/account/lockouts/", {"kind": "username", "value": operator.username})
    # The name is free again, but the guessing address stays locked until it is unlocked too.
    assert _web_login(client, operator.username, PASSWORD, ip="203.0.113.9").status_code == 429
    assert _web_login(client, operator.username, PASSWORD, ip="192.0.2.1").status_code == 302
    assert _signed_in(client)
    client.logout()
    admin_client.post("/account/lockouts/", {"kind": "ip_address", "value": "203.0.113.9"})
    assert _web_login(client, operator.username, PASSWORD, ip="203.0.113.9").status_code == 302
    assert _signed_in(client)

    unlocks = AuditEntry.objects.filter(action="org.unlock_login", actor=admin).order_by("pk")
    assert [(u.data["username"], u.data["ip_address"]) for u in unlocks] == [
        (operator.username, ""),
        ("", "203.0.113.9"),
    ]


def test_only_administrators_unlock_and_only_their_own_staff(
    client: Client, operator: User, make_user: Any
) -> None:
    for n in range(LIMIT):
        _web_login(client, operator.username, f"wrong{n}", ip="203.0.113.10")
    leader = Client()
    leader.force_login(make_user("leader", "440304"))
    assert leader.get("/account/lockouts/").status_code == 403
    assert (
        leader.post(
            "/account/lockouts/", {"kind": "username", "value": operator.username}
        ).status_code
        == 403
    )

    # An administrator of the other street neither sees nor unlocks this street's operator.
    other_admin = Client()
    other_admin.force_login(make_user("admin", "440304002"))
    assert operator.username not in other_admin.get("/account/lockouts/").content.decode()
    other_admin.post("/account/lockouts/", {"kind": "username", "value": operator.username})
    assert not AuditEntry.objects.filter(action="org.unlock_login").exists()
    assert _web_login(client, operator.username, PASSWORD, ip="192.0.2.50").status_code == 429


def test_the_admin_login_counts_and_refuses_too(client: Client, root: User) -> None:
    for _ in range(LIMIT):
        client.post("/admin/login/", {"username": "root", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "root", "password": "root-pass-123"})
    assert response.status_code == 429
    assert not _signed_in(client)
