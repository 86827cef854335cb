"""An Open311 client library, used unchanged, reads our GeoReport v2 interface: georeport
(PyPI, a thin wrapper written against the specification) over real HTTP, JSON and XML."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from georeport import GeoReport
from open311_support import BASE, COVER_CODE, GARBAGE_CODE, new_client, open_services

from case_support import POINT_A, City
from yiwang.intake.actions.channels import node_division

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_georeport_library_lists_services_and_follows_a_request(
    city: City, live_server: Any, fmt: str
) -> None:
    open_services(city.root)
    key = new_client(city.root)[0]
    filed = Client().post(
        f"{BASE}/requests.json",
        {
            "api_key": key,
            "service_code": GARBAGE_CODE,
            "lat": str(POINT_A[1]),
            "long": str(POINT_A[0]),
            "description": "路口有一堆建筑垃圾",
            "attribute[SIZE]": "large",
        },
    )
    assert filed.status_code == 200
    number = filed.json()[0]["service_request_id"]

    client = GeoReport(
        f"{live_server.url}{BASE}", jurisdiction=node_division().code, output_format=fmt
    )
    services = client.get_service_list()
    assert [s["service_code"] for s in services] == [GARBAGE_CODE, COVER_CODE]
    definition = client.get_service_definition(GARBAGE_CODE)
    assert definition["service_code"] == GARBAGE_CODE
    attributes = definition["attributes"]
    if fmt == "xml":  # xmltodict: <attributes><attribute>…</attribute></attributes>
        attributes = attributes["attribute"]
        attributes = attributes if isinstance(attributes, list) else [attributes]
    assert "SIZE" in [a["code"] for a in attributes]

    requests = client.get_service_requests()
    # A single request still arrives as a list in JSON; xmltodict makes one <request> a dict.
    listed = requests if fmt == "json" else [requests]
    assert [r["service_request_id"] for r in listed] == [number]
    one = client.get_service_request(number)
    assert one["service_request_id"] == number
    assert one["status"] == "open"
    assert one["service_code"] == GARBAGE_CODE
    # The description carries the answers to the service's questions after the text.
    assert one["description"].startswith("路口有一堆建筑垃圾")
    assert float(one["lat"]) == pytest.approx(POINT_A[1])
    assert float(one["long"]) == pytest.approx(POINT_A[0])
    by_id = client.get_service_requests(service_request_id=number, status="closed")
    # service_request_id overrides every other filter (here: a status it does not have).
    assert (by_id if fmt == "json" else [by_id])[0]["service_request_id"] == number
