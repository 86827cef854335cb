"""The address lockouts and rate limits count: never one the client can choose freely."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory

from yiwang.core.clientip import client_ip


def _request(forwarded: str = "", remote: str = "10.0.0.1") -> Any:
    return RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)


def test_without_proxies_the_forwarded_header_is_ignored(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("1.2.3.4")) == "10.0.0.1"


def test_behind_proxies_the_address_the_outermost_trusted_proxy_saw(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    # The client wrote "6.6.6.6" itself; the proxy appended the address it really saw.
    assert client_ip(_request("6.6.6.6, 203.0.113.5")) == "203.0.113.5"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request("6.6.6.6, 203.0.113.5, 10.1.1.1")) == "203.0.113.5"


def test_garbage_or_missing_entries_fall_back_to_the_connection(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("not-an-address")) == "10.0.0.1"
    assert client_ip(_request("")) == "10.0.0.1"
    assert client_ip(_request("", remote="")) is None
