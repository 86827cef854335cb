"""System administrators register Open311 clients and open types to the public."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from open311_support import BASE, GARBAGE_CODE

from case_support import POINT_A, City
from yiwang.catalog.models import ObjectType
from yiwang.core.models import AuditEntry
from yiwang.intake.models import Open311Client, PublicService


def _admin(city: City) -> Client:
    client = Client()
    client.force_login(city.root)
    return client


@pytest.mark.django_db
def test_an_administrator_registers_a_client_and_sees_its_key_once(city: City) -> None:
    admin = _admin(city)
    garbage = ObjectType.objects.get(kind="matter", code="06010")
    cover = ObjectType.objects.get(kind="component", code="01001")
    # Garbage is on the list a fresh installation offers: the administrator adds questions.
    entry = PublicService.objects.get(type=garbage)
    opened = admin.post(
        f"/admin/intake/publicservice/{entry.pk}/change/",
        {
            "category": entry.category_id,
            "name": "乱扔垃圾",
            "description": "",
            "keywords": "",
            "group": "",
            "order": "1",
            "is_active": "on",
            "attributes": json.dumps(
                [{"code": "SIZE", "datatype": "string", "required": True, "description": "多少"}]
            ),
        },
    )
    assert opened.status_code == 302, opened.content.decode()[:2000]
    assert PublicService.objects.get(type=garbage).attributes[0]["code"] == "SIZE"

    # A component type is not on it: opening one with a bad question is refused by its field.
    bad = admin.post(
        "/admin/intake/publicservice/add/",
        {
            "type": cover.pk,
            "category": entry.category_id,
            "order": "1",
            "attributes": '[{"code": "X", "datatype": "colour"}]',
        },
    )
    assert bad.status_code == 200 and "datatype" in bad.content.decode()
    assert not PublicService.objects.filter(type=cover).exists()
    added_type = admin.post(
        "/admin/intake/publicservice/add/",
        {"type": cover.pk, "category": entry.category_id, "order": "2", "is_active": "on"},
    )
    assert added_type.status_code == 302, added_type.content.decode()[:2000]
    assert PublicService.objects.get(type=cover).category_id == entry.category_id

    added = admin.post(
        "/admin/intake/open311client/add/",
        {"name": "城市 App", "contact": "app@example.invalid", "rate": "60/m", "is_active": "on"},
        follow=True,
    )
    page = added.content.decode()
    key = re.search(r"api_key：([A-Za-z0-9_-]{40,})", page)
    assert key is not None, page[:3000]
    registered = Open311Client.objects.get()
    assert key.group(1) not in (registered.key_hash, registered.key_prefix)
    assert AuditEntry.objects.filter(action="intake.open311.issue_client").exists()
    # The key is shown once: the client's page does not show it again.
    again = admin.get(f"/admin/intake/open311client/{registered.pk}/change/").content.decode()
    assert key.group(1) not in again

    filed = Client().post(
        f"{BASE}/requests.json",
        {
            "api_key": key.group(1),
            "service_code": GARBAGE_CODE,
            "lat": POINT_A[1],
            "long": POINT_A[0],
            "attribute[SIZE]": "两袋",
        },
    )
    assert filed.status_code == 200, filed.content

    rate = admin.post(
        f"/admin/intake/open311client/{registered.pk}/change/",
        {"name": "城市 App", "contact": "", "rate": "lots", "is_active": "on"},
    )
    assert rate.status_code == 200 and "60/m" in rate.content.decode()


@pytest.mark.django_db
def test_staff_without_the_administrator_role_cannot_manage_clients(city: City) -> None:
    operator = city.users["operator"]
    client = Client()
    client.force_login(operator)
    assert client.get("/admin/intake/open311client/").status_code in (302, 403)
