"""Every answer carries a Content-Security-Policy that allows no inline script and no eval:
pages, fragments, the admin, the API docs, the API itself, errors."""

from __future__ import annotations

import pytest
from django.test import Client

from case_support import City
from yiwang.cases.models import Case


def _directives(header: str) -> dict[str, list[str]]:
    parts = (p.strip().split() for p in header.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


@pytest.fixture
def case_number(hotline_case: Case) -> str:
    return hotline_case.number


def test_every_kind_of_page_has_a_policy_without_inline_scripts(
    city: City, case_number: str
) -> None:
    anonymous = Client()
    operator = Client()
    operator.force_login(city.users["operator"])
    admin = Client()
    admin.force_login(city.root)
    answers = {
        "login": anonymous.get("/login/"),
        "admin login": anonymous.get("/admin/login/"),
        "api docs": anonymous.get("/api/docs"),
        "openapi": anonymous.get("/api/openapi.json"),
        "api refusal": anonymous.get("/api/auth/me"),
        "home": operator.get("/"),
        "workbench": operator.get("/cases/"),
        "worklist": operator.get("/cases/worklist/to_accept/"),
        "worklist fragment": operator.get("/cases/worklist/to_accept/", HTTP_HX_REQUEST="true"),
        "new case": operator.get("/cases/new/"),
        "case detail": operator.get(f"/cases/{case_number}/"),
        "search": operator.get("/cases/search/"),
        "map": operator.get("/map/"),
        "types": operator.get("/catalog/types/"),
        "tokens": operator.get("/account/tokens/"),
        "not found": operator.get("/cases/NO-SUCH-CASE/"),
        "admin": admin.get("/admin/"),
        "admin change list": admin.get("/admin/org/user/"),
        "lockouts": admin.get("/account/lockouts/"),
    }
    for name, response in answers.items():
        assert response.status_code in (200, 401, 404), (name, response.status_code)
        header = response.get("Content-Security-Policy")
        assert header, f"{name} has no Content-Security-Policy"
        policy = _directives(header)
        assert policy["script-src"] == ["'self'"], (name, header)
        assert policy["default-src"] == ["'self'"], (name, header)
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header, name


def test_templates_hold_no_inline_script_or_handler(city: City, case_number: str) -> None:
    """What the browser would refuse under the policy is not in the rendered pages either."""
    client = Client()
    client.force_login(city.root)
    for url in ("/", "/cases/", "/cases/new/", f"/cases/{case_number}/", "/cases/search/", "/map/"):
        html = client.get(url).content.decode()
        for tag in html.split("<script")[1:]:
            opening = tag.split(">", 1)[0]
            assert "src=" in opening or 'type="application/json"' in opening, (url, opening)
        for handler in (
            " onclick=",
            " onchange=",
            " onsubmit=",
            " onload=",
            "hx-on",
            "javascript:",
        ):
            assert handler not in html, (url, handler)
