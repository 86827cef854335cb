"""The responsibility lists against hostile query strings (beside
test_responsibility.test_hostile_input_is_refused_never_500): refused with 400 or shown,
never a server error; inspectors and handlers are refused (403)."""

from __future__ import annotations

import pytest
from django.test import Client

from case_support import City

LISTS = "/evaluation/responsibility/"
EXPORT = "/evaluation/responsibility/export/"


@pytest.mark.parametrize(
    ("url", "params", "status"),
    [
        (LISTS, {"street": "440304001\x1b"}, 400),
        (LISTS, {"street": "x" * 3000}, 400),
        (LISTS, {"department": str(2**63)}, 400),
        (LISTS, {"department": "-1"}, 400),
        (LISTS, {"page": str(10**30)}, 200),  # the nearest page there is
        (LISTS, {"page": "\x1b"}, 200),
        (EXPORT, {"by": "nobody"}, 400),
        (EXPORT, {"by": "street\x1b"}, 400),
        (EXPORT, {"department": str(2**63)}, 400),
        (EXPORT, {"street": "\x1b" * 100}, 400),
    ],
)
def test_hostile_query_strings(city: City, url: str, params: dict[str, str], status: int) -> None:
    client = Client()
    client.force_login(city.users["leader"])
    answer = client.get(url, params)
    assert answer.status_code == status, answer.content[:300]


def test_inspectors_and_handlers_are_refused(city: City) -> None:
    for role in ("inspector", "handler"):
        client = Client()
        client.force_login(city.users[role])
        assert client.get(LISTS).status_code == 403
        assert client.get(EXPORT, {"by": "street"}).status_code == 403
