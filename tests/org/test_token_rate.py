"""Issuing API tokens is rate-limited per client address and per user name (django-ratelimit,
counted in the cache: files by default, Redis when YIWANG_CACHE_URL says so)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.test import Client

from yiwang.org.models import User
from yiwang.settings import _cache

PASSWORD = "test-pass-123"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _issue(username: str, ip: str) -> Any:
    return Client().post(
        "/api/auth/token",
        {"username": username, "password": PASSWORD},
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


@pytest.fixture
def operators(make_user: Any, org_tree: Any) -> list[User]:
    return [make_user("operator", "440304001") for _ in range(3)]


def _assert_rate_limited(response: Any) -> None:
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "rate_limited" and body["field"] == "username"
    assert "过于频繁" in body["message"] and "秒后重试" in body["message"]
    assert "token" not in body
    assert 1 <= int(response["Retry-After"]) <= 3600


def _per_address_limit_holds(operators: list[User]) -> None:
    # Hourly windows: a test never straddles a window boundary the way a minute one could.
    answers = [_issue(operators[n % 3].username, "203.0.113.20").status_code for n in range(3)]
    assert answers == [200, 200, 200]
    _assert_rate_limited(_issue(operators[0].username, "203.0.113.20"))
    # Another address is not held back by this one.
    assert _issue(operators[0].username, "203.0.113.21").status_code == 200


def test_issuing_is_limited_per_address(settings: Any, operators: list[User]) -> None:
    settings.TOKEN_RATE_PER_ADDRESS, settings.TOKEN_RATE_PER_USERNAME = "3/h", "100/h"
    _per_address_limit_holds(operators)


def test_issuing_is_limited_per_user_name(settings: Any, operators: list[User]) -> None:
    settings.TOKEN_RATE_PER_ADDRESS, settings.TOKEN_RATE_PER_USERNAME = "100/h", "5/h"
    name = operators[0].username
    assert [_issue(name, f"198.51.100.{n}").status_code for n in range(5)] == [200] * 5
    # A fresh address does not help: the name itself has asked too often.
    _assert_rate_limited(_issue(name, "198.51.100.99"))
    # The same name in other letter case is the same name.
    _assert_rate_limited(_issue(name.upper(), "198.51.100.98"))
    assert _issue(operators[1].username, "198.51.100.99").status_code == 200


@pytest.fixture
def redis_cache(settings: Any) -> Iterator[tuple[redis.Redis, str]]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail("Redis at 127.0.0.1:6379 is required under CI=true")
        pytest.skip("Redis at 127.0.0.1:6379 is not running")
    config = _cache(REDIS_URL)
    # A prefix of its own: other test runs (and other projects) share this Redis.
    config["KEY_PREFIX"] = f"yiwang-test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": config}
    yield client, config["KEY_PREFIX"]
    for key in client.scan_iter(f"{config['KEY_PREFIX']}:*"):
        client.delete(key)


def test_the_limits_are_counted_in_redis_when_configured(
    settings: Any, operators: list[User], redis_cache: tuple[redis.Redis, str]
) -> None:
    client, prefix = redis_cache
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    settings.TOKEN_RATE_PER_ADDRESS, settings.TOKEN_RATE_PER_USERNAME = "3/h", "100/h"
    _per_address_limit_holds(operators)
    # The counters are in Redis, where every web process sees the same ones.
    counts = sorted(int(client.get(k) or 0) for k in client.scan_iter(f"{prefix}:*"))
    assert counts and counts[-1] == 4  # the address that was refused: 3 allowed + 1


def test_the_cache_is_files_by_default_and_redis_by_url() -> None:
    assert _cache("")["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert _cache(REDIS_URL) == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "yiwang",
    }
