"""Outcomes back to the hotline: 立案, 退单, 办结 as signed webhooks to a real HTTP server on
loopback, retried with back-off, logged, and replayable by an administrator."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hotline_support import (  # noqa: F401  (fixtures)
    CALLBACK_SECRET,
    CallbackServer,
    Received,
    callback_server_fixture,
    hmac_signature,
    hotline_fixture,
    order,
    post_order,
)

from case_support import City
from yiwang.cases import actions as case_actions
from yiwang.cases.models import Case
from yiwang.intake.actions import hotline as hotline_actions
from yiwang.intake.actions import hotline_outbound
from yiwang.intake.models import HotlineDelivery, HotlineMessage, HotlineSystem
from yiwang.intake.tasks import hotline_outbound as hotline_outbound_task


def _callback_to(city: City, system: HotlineSystem, server: CallbackServer) -> None:
    hotline_actions.update_system(city.root, system.pk, callback_url=server.url)


def _filed(number_of: str) -> Case:
    response = post_order(Client(), order(number_of))
    assert response.status_code == 201, response.content
    return Case.objects.get(number=response.json()["case_number"])


def _move(city: City, case: Case, name: str, role: str, **inputs: Any) -> Case:
    case.refresh_from_db()
    return case_actions.transition(
        city.users[role], case.number, name, version=case.version, inputs=inputs or None
    )


def _register(city: City, case: Case) -> Case:
    _move(city, case, "to_verify", "operator")
    _move(city, case, "send_verify", "operator", inspector_id=city.users["inspector"].pk)
    _move(city, case, "verify_confirm", "inspector")
    return _move(city, case, "register", "shift_lead", note="属实，立案。")


def _verified(received: Received) -> dict[str, Any]:
    """The body of a received call, after checking its signature with hmac ourselves."""
    headers = {k.lower(): v for k, v in received.headers.items()}
    timestamp = headers["x-yiwang-timestamp"]
    assert headers["x-yiwang-signature"] == hmac_signature(
        CALLBACK_SECRET, timestamp, received.body
    )
    assert headers["x-yiwang-system"] == "gd12345"
    assert headers["content-type"].startswith("application/json")
    return json.loads(received.body)  # type: ignore[no-any-return]


@pytest.mark.django_db(transaction=True)
def test_registered_is_sent_signed_and_retried_until_the_hotline_takes_it(
    city: City, hotline: HotlineSystem, callback_server: CallbackServer
) -> None:
    callback_server.script = [500, 503, 200]
    _callback_to(city, hotline, callback_server)
    case = _register(city, _filed("O-1"))

    assert hotline_outbound.collect_outcomes() == 1
    assert hotline_outbound.collect_outcomes() == 0  # queued once
    message = HotlineMessage.objects.get()
    assert message.event == "registered"

    t0 = timezone.now()
    assert hotline_outbound.deliver_due(now=t0) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_status_code) == ("pending", 1, 500)
    # Back-off: 30 s after the first failure, then 60 s after the second.
    assert message.next_attempt_at == t0 + timedelta(seconds=30)
    assert hotline_outbound.deliver_due(now=t0 + timedelta(seconds=29)) == 0
    assert hotline_outbound.deliver_due(now=t0 + timedelta(seconds=30)) == 1
    message.refresh_from_db()
    assert message.next_attempt_at == t0 + timedelta(seconds=30 + 60)
    assert hotline_outbound.deliver_due(now=t0 + timedelta(seconds=90)) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_status_code) == ("delivered", 3, 200)

    assert len(callback_server.received) == 3
    bodies = [_verified(r) for r in callback_server.received]
    assert bodies[0] == bodies[2]  # the same message each time
    assert bodies[0]["event"] == "registered"
    assert bodies[0]["order_id"] == "O-1" and bodies[0]["case_number"] == case.number
    assert bodies[0]["state"] == "pending_dispatch" and bodies[0]["note"] == "属实，立案。"
    codes = list(
        HotlineDelivery.objects.filter(message=message)
        .order_by("at")
        .values_list("status_code", flat=True)
    )
    assert codes == [500, 503, 200]


@pytest.mark.django_db(transaction=True)
def test_returned_and_closed_carry_the_reason_and_the_result(
    city: City, hotline: HotlineSystem, callback_server: CallbackServer
) -> None:
    _callback_to(city, hotline, callback_server)
    # 退单 of a filed order: the operator asks to void it with a reason, the shift lead agrees.
    returned = _filed("O-2")
    _move(city, returned, "request_void", "operator", note="燃气管道问题，属燃气公司职责。")
    _move(city, returned, "approve_void", "shift_lead")
    # 办结: the whole loop to 结案.
    closed = _register(city, _filed("O-3"))
    _move(city, closed, "dispatch", "dispatcher", department_id=city.municipal.pk)
    _move(city, closed, "accept_task", "handler")
    _move(city, closed, "finish", "handler", result="垃圾已清运，路面已冲洗。")
    _move(city, closed, "send_check", "operator", inspector_id=city.users["inspector"].pk)
    _move(city, closed, "check_pass", "inspector")
    _move(city, closed, "close", "shift_lead", note="核查通过，结案。")

    # The worker's job, as the worker runs it.
    outcome = hotline_outbound_task.call()
    assert outcome == {"queued": 3, "attempted": 3}
    bodies = {(b["order_id"], b["event"]): b for b in map(_verified, callback_server.received)}
    assert sorted(bodies) == [("O-2", "returned"), ("O-3", "closed"), ("O-3", "registered")]
    assert bodies[("O-2", "returned")]["reason"] == "燃气管道问题，属燃气公司职责。"
    assert bodies[("O-3", "closed")]["result"] == "垃圾已清运，路面已冲洗。"
    assert bodies[("O-3", "closed")]["state"] == "closed"
    # Both cases are final: their orders are no longer watched, and nothing is sent twice.
    assert hotline_outbound_task.call() == {"queued": 0, "attempted": 0}
    assert len(callback_server.received) == 3


@pytest.mark.django_db(transaction=True)
def test_the_delivery_log_shows_every_attempt_and_a_given_up_message_can_be_replayed(
    city: City, hotline: HotlineSystem, callback_server: CallbackServer, settings: Any
) -> None:
    settings.HOTLINE_MAX_ATTEMPTS = 2
    callback_server.script = [502, 502, 200]
    _callback_to(city, hotline, callback_server)
    _register(city, _filed("O-4"))
    hotline_outbound.collect_outcomes()
    t0 = timezone.now()
    hotline_outbound.deliver_due(now=t0)
    hotline_outbound.deliver_due(now=t0 + timedelta(seconds=30))
    message = HotlineMessage.objects.get()
    assert (message.status, message.attempts) == ("failed", 2)
    # Given up: the schedule sends it no more.
    assert hotline_outbound.deliver_due(now=t0 + timedelta(days=1)) == 0

    admin = Client()
    admin.force_login(city.root)
    log = admin.get("/intake/hotline/deliveries/").content.decode()
    assert f'data-message="{message.pk}"' in log and 'data-status="failed"' in log
    assert log.count('data-status-code="502"') == 2

    # Operators may not read or replay the log.
    operator = Client()
    operator.force_login(city.users["operator"])
    assert operator.get("/intake/hotline/deliveries/").status_code == 404
    assert operator.post(f"/intake/hotline/deliveries/{message.pk}/replay/").status_code == 404

    replayed = admin.post(f"/intake/hotline/deliveries/{message.pk}/replay/")
    assert replayed.status_code == 302
    message.refresh_from_db()
    assert message.status == "pending" and message.replay_requested
    assert hotline_outbound.deliver_due() == 1
    message.refresh_from_db()
    assert (message.status, message.last_status_code) == ("delivered", 200)
    last = HotlineDelivery.objects.filter(message=message).order_by("-id").first()
    assert last is not None and last.replay and last.status_code == 200
    log = admin.get("/intake/hotline/deliveries/").content.decode()
    assert 'data-status="delivered"' in log and "手动重发" in log
    assert len(callback_server.received) == 3


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_hotline_is_logged_with_the_error(
    city: City, hotline: HotlineSystem
) -> None:
    # Port 9 on loopback: nothing listens (connection refused at once).
    hotline_actions.update_system(city.root, hotline.pk, callback_url="http://127.0.0.1:9/x")
    _register(city, _filed("O-5"))
    hotline_outbound.collect_outcomes()
    hotline_outbound.deliver_due()
    delivery = HotlineDelivery.objects.get()
    assert delivery.status_code is None
    assert "refused" in delivery.error.lower() or "URLError" in delivery.error
    message = HotlineMessage.objects.get()
    assert message.status == "pending" and message.attempts == 1
