"""What the Open311 tests share: the specification's shapes and a small service list.

The element names and their order are copied from the GeoReport v2 examples
(wiki.open311.org/GeoReport_v2, Service_Discovery) and mySociety's servicerequestupdates
extension as FixMyStreet reads it, not from the code under test.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from django.test import Client

from yiwang.intake.actions import open311 as actions
from yiwang.intake.models import Open311Client, PublicService
from yiwang.org.models import User

BASE = "/open311/v2"

# GET requests / GET request: the <request> children in the example's order.
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
# GET services: the first <service> of the example.
SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]
DISCOVERY_FIELDS = ["changeset", "contact", "key_service", "endpoints"]
ENDPOINT_FIELDS = ["specification", "url", "changeset", "type", "formats"]
# FixMyStreet's Open311::GetServiceRequestUpdates reads these of each <request_update>.
UPDATE_FIELDS = {"update_id", "service_request_id", "status", "updated_datetime", "description"}

# Both are in the GB/T 47678.5 catalogue: matter 06010 暴露垃圾, component 01001 供水井盖.
GARBAGE = ("matter", "06010")
GARBAGE_CODE = "S06010"
COVER = ("component", "01001")
COVER_CODE = "B01001"

ATTRIBUTES = [
    {
        "code": "SIZE",
        "datatype": "singlevaluelist",
        "required": True,
        "description": "垃圾多少",
        "values": [{"key": "small", "name": "一袋以内"}, {"key": "large", "name": "一车以上"}],
    },
    {"code": "NOTE", "datatype": "text", "required": False, "description": "补充说明"},
]


def open_services(admin: User) -> tuple[PublicService, PublicService]:
    """Two types opened to the public, and only these: garbage (with questions) and a
    manhole cover. The list a fresh installation offers (every matter type, see
    test_public_types.py) is cleared first, so the answers can be compared whole."""
    PublicService.objects.all().delete()
    garbage = actions.save_public_service(
        admin,
        kind=GARBAGE[0],
        type_code=GARBAGE[1],
        name="乱扔垃圾",
        description="路面、绿地上的暴露垃圾",
        keywords="垃圾, 脏乱",
        attributes=ATTRIBUTES,
        order=1,
    )
    cover = actions.save_public_service(admin, kind=COVER[0], type_code=COVER[1], order=2)
    return garbage, cover


def new_client(
    admin: User, name: str = "城市 App", rate: str = "60/m"
) -> tuple[str, Open311Client]:
    return actions.issue_client(admin, name=name, contact="app@example.invalid", rate=rate)


def get(client: Client, path: str, fmt: str, **params: Any) -> Any:
    return client.get(f"{BASE}/{path}.{fmt}", params)


def parse(response: Any, fmt: str) -> Any:
    """The body as plain data: JSON as is; XML as an ElementTree root element."""
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(response.content)
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def tags(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def text(element: ET.Element, name: str) -> str:
    found = element.find(name)
    assert found is not None, f"<{element.tag}> has no <{name}>"
    return found.text or ""


def requests_of(response: Any, fmt: str) -> list[dict[str, Any]]:
    """The requests of a service_requests answer as dicts (XML text or JSON values),
    checking the shape on the way: every field of the example, in its order."""
    body = parse(response, fmt)
    if fmt == "json":
        assert isinstance(body, list)
        for item in body:
            assert list(item)[: len(REQUEST_FIELDS)] == REQUEST_FIELDS
        return list(body)
    assert body.tag == "service_requests"
    assert all(child.tag == "request" for child in body)
    items = []
    for request in body:
        assert tags(request)[: len(REQUEST_FIELDS)] == REQUEST_FIELDS
        items.append({child.tag: child.text or "" for child in request})
    return items


def ids_of(response: Any, fmt: str) -> list[str]:
    return [str(r["service_request_id"]) for r in requests_of(response, fmt)]


def error_of(response: Any, fmt: str) -> list[tuple[str, str]]:
    """GeoReport v2 errors: a list of (code, description), even for one error."""
    body = parse(response, fmt)
    if fmt == "json":
        assert isinstance(body, list) and body
        assert all(list(e) == ["code", "description"] for e in body)
        return [(str(e["code"]), e["description"]) for e in body]
    assert body.tag == "errors"
    assert body and all(tags(e) == ["code", "description"] for e in body)
    return [(text(e, "code"), text(e, "description")) for e in body]


def aware(value: str) -> datetime:
    """A W3C datetime as the specification requires it: with an offset (here +08:00)."""
    assert value.endswith("+08:00"), value
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None
    return parsed
