"""Telling the hotline what became of its orders: 立案, 退单, 办结, by signed webhook.

`cases` never calls intake, so the worker watches the timeline of hotline cases
(`collect_outcomes`): each 立案 (register), 作废 (void / approve_void: for a hotline order
that is its 退单, with the reason given) and 结案 (close / self_close: 办结, with the result)
becomes one outbox row, written in the same transaction that marks the order as told.
A 退单 of an order still waiting for its location is queued by `hotline.return_order`.

`deliver_due` sends what is due, one POST each, signed like the inbound requests
(`intake.signing`), and records every attempt; a failure is retried after
base × 2^(attempt-1) seconds until HOTLINE_MAX_ATTEMPTS, then the message is given up
(已放弃) until an administrator replays it from the delivery log.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from yiwang.cases.models import FINAL_STATES, CaseEvent, State
from yiwang.core import audit
from yiwang.core.errors import Conflict, NotFound
from yiwang.core.scope import path_in_scope
from yiwang.intake import signing
from yiwang.intake.actions.hotline import queue_message
from yiwang.intake.models import HotlineDelivery, HotlineMessage, HotlineOrder
from yiwang.org.models import User
from yiwang.org.permissions import require_admin

log = logging.getLogger(__name__)

# Timeline moves the hotline hears about, and as what.
OUTCOME_EVENTS = {
    "register": HotlineMessage.Event.REGISTERED,
    "void": HotlineMessage.Event.RETURNED,
    "approve_void": HotlineMessage.Event.RETURNED,
    "close": HotlineMessage.Event.CLOSED,
    "self_close": HotlineMessage.Event.CLOSED,
}
# Where the reason of an approved void was given.
VOID_REQUESTS = ("request_void", "verify_reject")
# Outcome moves queued per run of the job (the rest wait for the next run).
EVENTS_PER_ROUND = 1000


def collect_outcomes(*, now: datetime | None = None, limit: int = EVENTS_PER_ROUND) -> int:
    """Queue a message for every outcome move of a hotline case not yet queued."""
    now = now or timezone.now()
    watched = HotlineOrder.objects.filter(outcome_done=False, case__isnull=False)
    reported = HotlineMessage.objects.exclude(case_event_id=None).values("case_event_id")
    new_events = list(
        CaseEvent.objects.filter(
            transition__in=list(OUTCOME_EVENTS), case_id__in=watched.values("case_id")
        )
        .exclude(pk__in=reported)
        .order_by("id")[:limit]
    )
    if not new_events:
        return 0
    by_case: dict[int, list[CaseEvent]] = {}
    for event in new_events:
        by_case.setdefault(event.case_id, []).append(event)
    # The void requests whose reasons an approved void reports.
    requests: dict[int, list[CaseEvent]] = {}
    for event in CaseEvent.objects.filter(
        case_id__in=list(by_case), transition__in=VOID_REQUESTS
    ).order_by("id"):
        requests.setdefault(event.case_id, []).append(event)
    queued = 0
    for case_id, events in by_case.items():
        with transaction.atomic():
            row = (
                watched.select_for_update(of=("self",))
                .select_related("case")
                .filter(case_id=case_id)
                .first()
            )
            if row is None:
                continue  # another worker got there first
            for event in events:
                if HotlineMessage.objects.filter(case_event_id=event.pk).exists():
                    continue
                queue_message(
                    row,
                    OUTCOME_EVENTS[event.transition],
                    _outcome_body(row, event, requests.get(case_id, [])),
                    now=now,
                    case_event_id=event.pk,
                )
                queued += 1
            assert row.case is not None
            if row.case.state in FINAL_STATES:
                # The case can move no more: the order is told all it will be.
                row.outcome_done = True
                row.save(update_fields=["outcome_done"])
    return queued


def _outcome_body(row: HotlineOrder, event: CaseEvent, history: list[CaseEvent]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "at": event.at.isoformat(),
        "state": event.to_state,
        "state_label": str(State(event.to_state).label),
    }
    kind = OUTCOME_EVENTS[event.transition]
    if kind == HotlineMessage.Event.REGISTERED:
        body["note"] = event.note
    elif kind == HotlineMessage.Event.RETURNED:
        reason = event.note
        if event.transition == "approve_void":
            # The reason was given with the request the shift lead approved.
            asked = [e for e in history if e.transition in VOID_REQUESTS and e.pk < event.pk]
            if asked and asked[-1].note:
                reason = asked[-1].note
        body["reason"] = reason
    else:
        case = row.case
        result = (case.result if case is not None else "") or event.data.get("result", "")
        body["result"] = result or event.note
        body["note"] = event.note
    return body


# ---- delivery -------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new destination: the signed body goes only where the
    administrator said."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failure: base, 2×base, 4×base … at most the maximum."""
    seconds = settings.HOTLINE_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, settings.HOTLINE_RETRY_MAX_SECONDS))


def encode(body: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    error: str
    duration_ms: int


def _post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    started = time.monotonic()
    try:
        with _opener.open(request, timeout=settings.HOTLINE_TIMEOUT_SECONDS) as response:
            status, error = response.status, ""
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        status, error = None, f"{type(exc).__name__}: {reason}"
    elapsed = int((time.monotonic() - started) * 1000)
    return Answer(status, error[:500], elapsed)


def deliver_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Send every pending message that is due; returns how many were attempted."""
    now = now or timezone.now()
    due = list(
        HotlineMessage.objects.filter(
            status=HotlineMessage.Status.PENDING,
            next_attempt_at__lte=now,
            system__is_active=True,
        )
        .exclude(system__callback_url="")
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    for message_id in due:
        deliver(message_id, now=now)
    return len(due)


def deliver(message_id: int, *, now: datetime | None = None) -> HotlineDelivery | None:
    """One attempt at one message (no transaction is held while the hotline answers)."""
    now = now or timezone.now()
    lease = timedelta(seconds=settings.HOTLINE_TIMEOUT_SECONDS + 60)
    with transaction.atomic():
        message = (
            HotlineMessage.objects.select_for_update(of=("self",))
            .select_related("system")
            .filter(pk=message_id, status=HotlineMessage.Status.PENDING)
            .first()
        )
        if message is None or (message.next_attempt_at and message.next_attempt_at > now):
            return None
        # Claimed: a second worker will not send it again while this attempt runs.
        message.next_attempt_at = now + lease
        message.save(update_fields=["next_attempt_at"])
    system = message.system
    body = encode(message.body)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "yiwang-hotline/1",
        signing.SYSTEM_HEADER: system.code,
        "X-Yiwang-Event": message.event,
        "X-Yiwang-Delivery": str(message.pk),
        **signing.signed_headers(system.callback_secret, body),
    }
    answer = _post(system.callback_url, body, headers)
    ok = answer.status_code is not None and 200 <= answer.status_code < 300
    finished = now
    with transaction.atomic():
        message = HotlineMessage.objects.select_for_update(of=("self",)).get(pk=message_id)
        delivery = HotlineDelivery.objects.create(
            message=message,
            at=finished,
            status_code=answer.status_code,
            error="" if ok else (answer.error or f"HTTP {answer.status_code}"),
            duration_ms=answer.duration_ms,
            replay=message.replay_requested,
        )
        message.attempts += 1
        message.last_status_code = answer.status_code
        message.last_error = delivery.error
        message.replay_requested = False
        if ok:
            message.status = HotlineMessage.Status.DELIVERED
            message.delivered_at = finished
            message.next_attempt_at = None
        elif message.attempts >= settings.HOTLINE_MAX_ATTEMPTS:
            message.status = HotlineMessage.Status.FAILED
            message.next_attempt_at = None
            log.warning(
                "hotline message %s given up after %s attempts", message.pk, message.attempts
            )
        else:
            message.next_attempt_at = now + backoff(message.attempts)
        message.save()
    return delivery


def replay(actor: User, message_id: int, *, now: datetime | None = None) -> HotlineMessage:
    """An administrator sends a message again: it is due now, and the next attempt is logged
    as a replay. A given-up message gets that one attempt (its count is past the maximum);
    a message still being retried just stops waiting for its back-off."""
    require_admin(actor, "重发热线回传消息")
    now = now or timezone.now()
    with transaction.atomic():
        message = (
            HotlineMessage.objects.select_for_update(of=("self",))
            .select_related("order")
            .filter(pk=message_id)
            .first()
        )
        if message is None or not path_in_scope(actor, message.order.division_path):
            raise NotFound("message_not_found", "该回传消息不存在或不在您的管辖范围内。", None)
        if message.replay_requested and message.status == HotlineMessage.Status.PENDING:
            raise Conflict("replay_pending", "该消息已在重发队列中。", None)
        message.status = HotlineMessage.Status.PENDING
        message.next_attempt_at = now
        message.replay_requested = True
        message.save()
        audit.record(
            actor,
            "intake.hotline_message.replay",
            message,
            f"重发热线回传消息 {message.pk}（{message.get_event_display()}）",
        )
    return message
