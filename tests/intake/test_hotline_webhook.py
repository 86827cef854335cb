"""The 12345 webhook: one signed order in, a case (or a 待定位 order) out, exactly once."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client
from hotline_support import (  # noqa: F401  (fixtures)
    INBOUND_SECRET,
    hotline_fixture,
    order,
    post_order,
    signed_headers,
)

from case_support import City
from yiwang.cases.models import Case, CaseEvent
from yiwang.intake.models import HotlineOrder, HotlineSystem, Submission


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) >= {"code", "message", "field"}, body
    return body  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_an_order_with_a_point_becomes_a_hotline_case_with_its_submission(
    city: City, hotline: HotlineSystem
) -> None:
    response = post_order(Client(), order("GD-0001"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "created" and body["status"] == "filed"
    case = Case.objects.get(number=body["case_number"])
    assert case.source == "hotline"
    assert case.type.code == "06010"  # 暴露垃圾, by the seeded category mapping
    assert case.street.code == "440304001"  # 南园街道, where the point lies
    assert case.reporter.username == "channel.hotline"
    assert case.contact_phone == "13800138000"
    submission = Submission.objects.get(case=case)
    assert (submission.channel, submission.sender, submission.external_id) == (
        "hotline",
        "gd12345",
        "GD-0001",
    )
    assert submission.tracking_code == body["tracking_code"]


@pytest.mark.django_db
def test_a_replayed_webhook_is_the_same_order_and_the_same_case(
    city: City, hotline: HotlineSystem
) -> None:
    payload = order("GD-0002")
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = signed_headers(body)
    client = Client()
    first = client.post(
        "/api/intake/hotline/orders", body, content_type="application/json", **headers
    )
    # The very same request again (same bytes, same signature) — a network retry or a replay.
    again = client.post(
        "/api/intake/hotline/orders", body, content_type="application/json", **headers
    )
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["outcome"] == "unchanged"
    assert again.json()["case_number"] == first.json()["case_number"]
    assert Case.objects.count() == 1
    assert Submission.objects.count() == 1
    assert CaseEvent.objects.filter(transition="note").count() == 0


@pytest.mark.django_db
def test_an_old_replayed_request_is_refused_by_its_timestamp(
    city: City, hotline: HotlineSystem
) -> None:
    response = post_order(Client(), order("GD-0003"), at=time.time() - 3600)
    assert response.status_code == 401
    assert _error(response)["code"] == "stale_request"
    assert HotlineOrder.objects.count() == 0


@pytest.mark.django_db
def test_a_tampered_body_or_a_wrong_key_is_refused_and_nothing_is_written(
    city: City, hotline: HotlineSystem
) -> None:
    client = Client()
    original = json.dumps(order("GD-0004"), ensure_ascii=False).encode()
    headers = signed_headers(original)
    tampered = original.replace("路口垃圾堆放".encode(), "路口垃圾堆放！".encode())
    response = client.post(
        "/api/intake/hotline/orders", tampered, content_type="application/json", **headers
    )
    assert response.status_code == 401
    error = _error(response)
    assert error["code"] == "bad_signature" and error["field"] == "signature"
    assert "签名" in error["message"]

    wrong_key = post_order(client, order("GD-0004"), secret="not-the-secret")
    assert wrong_key.status_code == 401 and _error(wrong_key)["code"] == "bad_signature"

    unknown = post_order(client, order("GD-0004"), system="someone-else")
    assert unknown.status_code == 401 and _error(unknown)["code"] == "unknown_system"

    unsigned = client.post("/api/intake/hotline/orders", original, content_type="application/json")
    assert unsigned.status_code == 401
    assert _error(unsigned)["code"] in ("missing_system", "missing_signature")
    assert HotlineOrder.objects.count() == 0 and Case.objects.count() == 0


@pytest.mark.django_db
def test_a_changed_order_updates_it_and_the_case_timeline_says_what_changed(
    city: City, hotline: HotlineSystem
) -> None:
    client = Client()
    first = post_order(client, order("GD-0005")).json()
    changed = post_order(
        client, order("GD-0005", content="垃圾已堆到人行道上，影响通行。", urgency="urgent")
    )
    assert changed.status_code == 200
    assert changed.json()["outcome"] == "updated"
    assert changed.json()["case_number"] == first["case_number"]
    assert Case.objects.count() == 1
    row = HotlineOrder.objects.get(order_id="GD-0005")
    assert row.revision == 2
    assert row.payload["urgency"] == "urgent"
    note = CaseEvent.objects.get(case__number=first["case_number"], transition="note")
    assert "诉求内容" in note.note and "紧急程度" in note.note
    assert "垃圾已堆到人行道上" in note.note
    assert sorted(note.data["changed"]) == ["content", "urgency"]
    # The case's version is untouched: the note is history, not a move.
    assert Case.objects.get(number=first["case_number"]).version == 1


@pytest.mark.django_db
def test_bad_orders_get_a_clear_4xx_with_code_message_and_field(
    city: City, hotline: HotlineSystem
) -> None:
    client = Client()
    malformed = b'{"order_id": "GD-9", "title": '
    response = client.post(
        "/api/intake/hotline/orders",
        malformed,
        content_type="application/json",
        **signed_headers(malformed),
    )
    assert response.status_code == 400
    assert _error(response)["code"] == "malformed_json"

    one_coordinate = post_order(client, order("GD-10", located=False, lon=114.05))
    assert one_coordinate.status_code == 400
    assert "经度和纬度" in _error(one_coordinate)["message"]

    bad_crs = post_order(client, order("GD-11", crs="utm50n"))
    assert bad_crs.status_code == 400
    assert _error(bad_crs)["field"] == "crs"

    unknown_category = post_order(client, order("GD-12", category="外星人入侵"))
    assert unknown_category.status_code == 400
    assert _error(unknown_category)["code"] == "unknown_category"
    assert _error(unknown_category)["field"] == "category"

    # A point outside every grid of the city.
    nowhere = post_order(client, order("GD-13", lon=113.0, lat=23.0))
    assert nowhere.status_code == 400 and _error(nowhere)["code"] == "not_in_grid"
    assert HotlineOrder.objects.count() == 0 and Case.objects.count() == 0
