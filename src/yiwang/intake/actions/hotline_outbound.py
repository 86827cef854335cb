"""Telling the hotline what became of its orders: 立案, 退单, 办结, by signed webhook.

`cases` never calls intake, so the worker watches the timeline of hotline cases
(`collect_outcomes`): each 立案 (register), 作废 (void / approve_void: for a hotline order
that is its 退单, with the reason given) and 结案 (close / self_close: 办结, with the result)
becomes one outbox row, written in the same transaction that marks the order as told.
A 退单 of an order still waiting for its location is queued by `hotline.return_order`.
When the order's case was merged into another (a duplicate), the hotline hears the
outcomes of the case carrying the result from the merge on (`intake.following`).

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
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from yiwang.cases import queries as case_queries
from yiwang.cases.models import FINAL_STATES, Case, CaseEvent, State
from yiwang.core import audit
from yiwang.core.errors import Conflict, NotFound
from yiwang.core.scope import path_in_scope
from yiwang.intake import following, signing
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
# Where a case carrying a result stops: an order is told all it will be.
DONE_STATES = FINAL_STATES - {State.MERGED}


def collect_outcomes(*, now: datetime | None = None, limit: int = EVENTS_PER_ROUND) -> int:
    """Queue a message for every outcome move of a hotline case not yet queued.

    An order whose case was merged into another (a duplicate) hears the outcomes of the case
    carrying the result instead (`cases.queries.final_case`), from the merge on; the order
    is done when that case is closed or voided.
    """
    now = now or timezone.now()
    watched = HotlineOrder.objects.filter(outcome_done=False, case__isnull=False)
    told = HotlineMessage.objects.filter(
        case_event_id=OuterRef("pk"), order__case_id=OuterRef("case_id")
    )
    direct = list(
        CaseEvent.objects.filter(
            transition__in=list(OUTCOME_EVENTS), case_id__in=watched.values("case_id")
        )
        .exclude(Exists(told))
        .order_by("id")[:limit]
    )
    # order id → its new outcome moves, each with the case its case was merged into (None:
    # a move of the order's own case).
    work: dict[int, list[tuple[CaseEvent, Case | None]]] = {}
    if direct:
        order_of = dict(
            watched.filter(case_id__in={e.case_id for e in direct}).values_list("case_id", "pk")
        )
        for event in direct:
            work.setdefault(order_of[event.case_id], []).append((event, None))
    for order_id, (target, events) in _merged_outcomes(watched, limit - len(direct)).items():
        work.setdefault(order_id, []).extend((event, target) for event in events)
    if not work:
        return 0
    # The void requests whose reasons an approved void reports.
    requests: dict[int, list[CaseEvent]] = {}
    cases = {event.case_id for moves in work.values() for event, _ in moves}
    for event in CaseEvent.objects.filter(case_id__in=cases, transition__in=VOID_REQUESTS).order_by(
        "id"
    ):
        requests.setdefault(event.case_id, []).append(event)
    queued = 0
    for order_id, moves in work.items():
        with transaction.atomic():
            row = (
                watched.select_for_update(of=("self",))
                .select_related("case")
                .filter(pk=order_id)
                .first()
            )
            if row is None:
                continue  # another worker got there first
            for event, final in moves:
                if HotlineMessage.objects.filter(order=row, case_event_id=event.pk).exists():
                    continue
                answering = final or row.case
                queue_message(
                    row,
                    OUTCOME_EVENTS[event.transition],
                    _outcome_body(answering, event, requests.get(event.case_id, []), final),
                    now=now,
                    case_event_id=event.pk,
                )
                queued += 1
            assert row.case is not None
            if case_queries.final_case(row.case).state in DONE_STATES:
                # The case carrying the result can move no more: the order is told all it
                # will be. (A merged case alone is not done: the merge may be undone.)
                row.outcome_done = True
                row.save(update_fields=["outcome_done"])
    return queued


def _merged_outcomes(
    watched: QuerySet[HotlineOrder], limit: int
) -> dict[int, tuple[Case, list[CaseEvent]]]:
    """Watched orders whose case was merged: order id → (the case carrying the result, its
    outcome moves made after the merge and not yet queued for the order)."""
    merged = list(
        watched.filter(case__state=State.MERGED)
        .order_by("id")
        .values_list("pk", "case_id", "case__merged_into_id")
    )
    if not merged or limit <= 0:
        return {}
    finals = following.finals({case_id: target for _, case_id, target in merged if target})
    since = following.merge_events(case_id for _, case_id, _ in merged)
    final_ids = {final.pk for final in finals.values()}
    moves = list(
        CaseEvent.objects.filter(
            case_id__in=final_ids, transition__in=list(OUTCOME_EVENTS)
        ).order_by("id")
    )
    told = set(
        HotlineMessage.objects.filter(order_id__in=[pk for pk, _, _ in merged])
        .exclude(case_event_id=None)
        .values_list("order_id", "case_event_id")
    )
    found: dict[int, tuple[Case, list[CaseEvent]]] = {}
    for order_id, case_id, _target in merged:
        final, merge = finals.get(case_id), since.get(case_id)
        if final is None or merge is None:
            continue
        new = [
            e
            for e in moves
            if e.case_id == final.pk and e.pk > merge[0] and (order_id, e.pk) not in told
        ]
        if new and limit > 0:
            found[order_id] = (final, new[:limit])
            limit -= len(found[order_id][1])
    return found


def _outcome_body(
    case: Case | None, event: CaseEvent, history: list[CaseEvent], final: Case | None = None
) -> dict[str, Any]:
    """What the hotline reads of one outcome of `case` (the order's own, or the case its
    case was merged into: then `merged_into` names that case)."""
    body: dict[str, Any] = {
        "at": event.at.isoformat(),
        "state": event.to_state,
        "state_label": str(State(event.to_state).label),
    }
    if final is not None:
        body["merged_into"] = final.number
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
