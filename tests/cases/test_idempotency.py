"""No accidental duplicates: a double submit or a retried request creates one case.

The new-case page carries a hidden token; `POST /api/cases` takes an `Idempotency-Key`
header (draft-ietf-httpapi-idempotency-key-header: a retry gets the first answer, the
same key with another body is 422). Concurrent submits run in real threads with real
commits, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from test_pages_new import form as page_form

from case_support import POINT_A, City
from concurrency import run_together
from yiwang.cases import actions
from yiwang.cases.models import Case, IdempotencyKey
from yiwang.cases.tasks import prune_idempotency_keys
from yiwang.org.models import User

API = "/api/cases"
PAGE = "/cases/new/"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def hotline(**overrides: Any) -> dict[str, Any]:
    body = {
        "kind": "matter",
        "type_code": "06001",
        "title": "人行道私搭乱建",
        "source": "hotline",
        "lon": POINT_A[0],
        "lat": POINT_A[1],
        "contact_phone": "13812345678",
    }
    body.update(overrides)
    return body


def post(client: Client, body: dict[str, Any], key: str | None) -> Any:
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(API, body, content_type="application/json", headers=headers)


def form(token: str, **overrides: Any) -> dict[str, Any]:
    return page_form(idempotency_key=token, **overrides)


def page_token(client: Client) -> str:
    html = client.get(PAGE).content.decode()
    found = re.search(r'<input type="hidden" name="idempotency_key" value="([^"]+)"', html)
    assert found, "the new-case page carries a hidden token"
    return found.group(1)


# ---- the API --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_retried_post_gets_the_same_case_back(city: City) -> None:
    client = signed_in(city.users["operator"])
    first = post(client, hotline(), "7f1c2a9e-retry")
    second = post(client, hotline(), "7f1c2a9e-retry")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Case.objects.count() == 1
    # The quoted form of the draft's structured-field string names the same key.
    third = post(client, hotline(), '"7f1c2a9e-retry"')
    assert third.json()["number"] == first.json()["number"]
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422(city: City) -> None:
    client = signed_in(city.users["operator"])
    first = post(client, hotline(), "k-1")
    other = post(client, hotline(title="另一件事"), "k-1")
    assert other.status_code == 422
    error = other.json()
    assert (error["code"], error["field"]) == ("idempotency_key_reused", "Idempotency-Key")
    assert first.json()["number"] in error["message"]
    assert list(Case.objects.values_list("title", flat=True)) == ["人行道私搭乱建"]


@pytest.mark.django_db
def test_keys_belong_to_their_user_and_no_key_means_no_deduplication(
    city: City, make_user: Any
) -> None:
    first = post(signed_in(city.users["operator"]), hotline(), "shared-key")
    second = post(signed_in(make_user("operator", "440304")), hotline(), "shared-key")
    assert first.json()["number"] != second.json()["number"]
    client = signed_in(city.users["operator"])
    post(client, hotline(), None)
    post(client, hotline(), None)
    assert Case.objects.count() == 4


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", " ", "x" * 256, "键", "a\tb", '""'])
def test_a_malformed_key_is_400(city: City, key: str) -> None:
    response = post(signed_in(city.users["operator"]), hotline(), key)
    assert response.status_code == 400
    error = response.json()
    # Refused by the declared header pattern (invalid / too_long) or by the action.
    assert error["field"] == "Idempotency-Key"
    assert error["code"] in ("bad_idempotency_key", "invalid", "too_long")
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_a_failed_request_does_not_use_up_the_key(city: City) -> None:
    client = signed_in(city.users["operator"])
    refused = post(client, hotline(lon=114.2, lat=22.7), "k-2")  # outside every grid
    assert refused.status_code == 400
    retried = post(client, hotline(), "k-2")
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried


@pytest.mark.django_db
def test_the_header_and_its_answers_are_in_the_openapi_document(city: City) -> None:
    schema = signed_in(city.users["operator"]).get("/api/openapi.json").json()
    operation = schema["paths"]["/api/cases"]["post"]
    headers = [p for p in operation["parameters"] if p["in"] == "header"]
    assert [p["name"] for p in headers] == ["Idempotency-Key"]
    assert not headers[0].get("required", False)
    assert {"201", "400", "409", "422"} <= set(operation["responses"])


# ---- expiry and the worker's pruning ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_keys_expire_after_a_day_and_the_worker_prunes_them(city: City) -> None:
    operator = city.users["operator"]
    day_ago = timezone.now() - timedelta(hours=24, minutes=1)
    old = actions.report_case_once(operator, "k-old", now=day_ago, **_fields())
    kept = actions.report_case_once(operator, "k-new", **_fields())
    # An expired key is a new request: a second case.
    again = actions.report_case_once(operator, "k-old", **_fields())
    assert not again.replayed and again.case.pk != old.case.pk
    stale = actions.report_case_once(operator, "k-stale", now=day_ago, **_fields())

    result = prune_idempotency_keys.enqueue()
    assert IdempotencyKey.objects.filter(key="k-stale").exists()  # queued, not run
    call_command("db_worker", "--batch", verbosity=0)

    assert set(IdempotencyKey.objects.values_list("key", "case_id")) == {
        ("k-new", kept.case.pk),
        ("k-old", again.case.pk),
    }
    result.refresh()
    assert result.return_value == 1
    assert Case.objects.filter(pk=stale.case.pk).exists()  # pruning keeps the cases


def _fields() -> dict[str, Any]:
    return hotline()


# ---- concurrent submits -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_with_one_key_create_one_case(city: City) -> None:
    clients = [signed_in(city.users["operator"]) for _ in range(2)]
    for _ in range(3):
        key = f"race-{Case.objects.count()}"
        before = Case.objects.count()
        responses = run_together([lambda c=c, k=key: post(c, hotline(), k) for c in clients])
        assert [r.status_code for r in responses] == [201, 201], [
            getattr(r, "content", r) for r in responses
        ]
        assert responses[0].json()["number"] == responses[1].json()["number"]
        assert Case.objects.count() == before + 1
        replayed = [r.get("Idempotent-Replayed") for r in responses]
        assert sorted(replayed, key=str) == sorted([None, "true"], key=str)


@pytest.mark.django_db(transaction=True)
def test_a_double_click_on_the_form_creates_one_case(city: City) -> None:
    clients = [signed_in(city.users["inspector"]) for _ in range(2)]
    token = page_token(clients[0])
    responses = run_together([lambda c=c: c.post(PAGE, form(token)) for c in clients])
    case = Case.objects.get()
    assert [r.status_code for r in responses] == [302, 302]
    assert {r["Location"] for r in responses} == {f"/cases/{case.number}/"}


# ---- the new-case page ------------------------------------------------------------------------


@pytest.mark.django_db
def test_posting_the_same_form_twice_lands_on_the_same_case(city: City) -> None:
    client = signed_in(city.users["inspector"])
    token = page_token(client)
    first = client.post(PAGE, form(token))
    second = client.post(PAGE, form(token))
    case = Case.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/cases/{case.number}/"
    page = client.get(second["Location"]).content.decode()
    assert f"该上报已提交过，这是已登记的案卷 {case.number}。" in page
    # Every showing of the page is a new report.
    assert page_token(client) != token


@pytest.mark.django_db
def test_an_edited_resubmit_is_refused_then_a_fresh_token_goes_through(city: City) -> None:
    client = signed_in(city.users["inspector"])
    token = page_token(client)
    client.post(PAGE, form(token))
    case = Case.objects.get()
    edited = client.post(PAGE, form(token, title="改过的标题"))
    assert edited.status_code == 422
    html = edited.content.decode()
    assert f"此页面已提交过，登记为案卷 {case.number}" in html
    fresh = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert fresh and fresh.group(1) != token
    again = client.post(PAGE, form(fresh.group(1), title="改过的标题"))
    assert again.status_code == 302
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_form_keeps_its_token(city: City) -> None:
    client = signed_in(city.users["inspector"])
    token = page_token(client)
    refused = client.post(PAGE, form(token, title=""))
    assert refused.status_code == 400
    assert f'name="idempotency_key" value="{token}"' in refused.content.decode()
    assert client.post(PAGE, form(token)).status_code == 302
    assert client.post(PAGE, form(token)).status_code == 302
    assert Case.objects.count() == 1
