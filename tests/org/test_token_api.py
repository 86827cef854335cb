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
