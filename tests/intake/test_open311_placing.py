"""Open311 requests sent with an address only wait on a staff page until an operator places
them on the map; placing files the case (the token then answers with its number)."""

from __future__ import annotations

import pytest
from django.test import Client
from open311_support import BASE, COVER_CODE, new_client, open_services

from case_support import POINT_A, City
from yiwang.cases.models import Case

QUEUE = "/intake/open311/"


def address_only(city: City, address: str) -> str:
    open_services(city.root)
    key = new_client(city.root)[0]
    data = {"api_key": key, "service_code": COVER_CODE, "address_string": address}
    response = Client().post(f"{BASE}/requests.json", data)
    assert response.status_code == 200
    return str(response.json()[0]["token"])


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.mark.django_db
def test_an_operator_places_an_address_only_request_from_the_queue(city: City) -> None:
    token = address_only(city, "深圳市福田区南园街道南园路与红岭路交叉口")
    operator = signed_in(city.users["operator"])
    queue = operator.get(QUEUE).content.decode()
    assert f'data-token="{token}"' in queue and "南园路与红岭路交叉口" in queue
    # The address names 南园街道: it resolves there, and the page says so.
    page = operator.get(f"{QUEUE}{token}/").content.decode()
    assert "南园街道" in page and 'id="place-map"' in page

    refused = operator.post(f"{QUEUE}{token}/place/", {"lon": "abc", "lat": ""})
    assert refused.status_code == 400 and not Case.objects.exists()

    placed = operator.post(f"{QUEUE}{token}/place/", {"lon": POINT_A[0], "lat": POINT_A[1]})
    case = Case.objects.get()
    assert placed["Location"] == f"/cases/{case.number}/"
    assert (case.source, case.state) == ("public", "pending_verify")
    assert f'data-token="{token}"' not in operator.get(QUEUE).content.decode()
    answer = Client().get(f"{BASE}/tokens/{token}.json").json()
    assert answer == [{"service_request_id": case.number, "token": token}]


@pytest.mark.django_db
def test_a_request_resolving_into_street_a_is_not_offered_to_street_b(
    city: City, make_user: object
) -> None:
    token = address_only(city, "深圳市福田区南园街道南园路 12 号")
    street_b = signed_in(make_user("operator", "440304002"))  # type: ignore[operator]
    assert token not in street_b.get(QUEUE).content.decode()
    assert street_b.get(f"{QUEUE}{token}/").status_code == 404
    assert street_b.post(f"{QUEUE}{token}/place/", {"lon": "114", "lat": "22"}).status_code == 404
    # Inspectors and handlers have no such page at all.
    assert signed_in(city.users["inspector"]).get(QUEUE).status_code == 404
    assert not Case.objects.exists()
