from typing import Any

from django.test import Client

from yiwang.org.models import ApiToken


def test_token_exchange_and_bearer_use(client: Client, make_user: Any, org_tree: Any) -> None:
    make_user("operator", "440304001")
    bad = client.post(
        "/api/auth/token",
        {"username": "operator1", "password": "wrong"},
        content_type="application/json",
    )
    assert bad.status_code == 403
    assert bad.json()["code"] == "bad_credentials"

    ok = client.post(
        "/api/auth/token",
        {"username": "operator1", "password": "test-pass-123"},
        content_type="application/json",
    )
    assert ok.status_code == 200
    token = ok.json()["token"]
    # Only a hash is kept: the key itself is not in the database.
    assert not ApiToken.objects.filter(key_hash=token).exists()

    anonymous = client.get("/api/auth/me")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "unauthenticated"

    authed = client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert authed.status_code == 200
    assert authed.json()["role_label"] == "受理员"
    assert authed.json()["division"]["code"] == "440304001"
    wrong = client.get("/api/auth/me", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert wrong.status_code == 401


def test_missing_fields_get_a_field_error(client: Client, db: Any) -> None:
    response = client.post("/api/auth/token", {"username": "x"}, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["field"] == "password"


def test_openapi_docs_are_served(client: Client, db: Any) -> None:
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    assert "/api/auth/token" in schema.json()["paths"]


def test_the_docs_page_uses_local_files_only(client: Client, db: Any) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui-bundle.js" in html
    # Government networks are offline: nothing may come from a CDN.
    assert "cdn." not in html and "https://" not in html.replace("https://swagger.io", "")
    script = html.split('src="', 2)[1].split('"', 1)[0]
    assert script.startswith("/static/")


def test_a_browser_session_needs_the_csrf_token_to_write_a_program_token_does_not(
    make_user: Any, org_tree: Any
) -> None:
    operator = make_user("operator", "440304001")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(operator)
    body = {"kind": "matter", "type_code": "06001", "title": "x", "lon": 114.05, "lat": 22.54,
            "source": "hotline"}  # fmt: skip
    forged = browser.post("/api/cases", body, content_type="application/json")
    assert forged.status_code == 403

    program = Client(enforce_csrf_checks=True)
    key = program.post(
        "/api/auth/token",
        {"username": operator.username, "password": "test-pass-123"},
        content_type="application/json",
    ).json()["token"]
    answer = program.post(
        "/api/cases", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    # Past the CSRF check: the report itself is judged (here: the point is in no grid).
    assert (answer.status_code, answer.json()["field"]) == (400, "lon"), answer.json()
