"""A plain note on a case's timeline: something happened that moves nothing.

Intake channels use it when what they received changes after the case was filed (a
hotline order revised by the hotline, an alarm repeating): the change is history worth
keeping beside the moves, but no field a transition depends on changes, so — like a
photo — the note keeps the case's state and version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiwang.cases import scope
from yiwang.cases.models import NOTE_MAX_LENGTH, Case, CaseEvent
from yiwang.core import jsoninput
from yiwang.core.errors import ActionError, InvalidInput, NotFound, PermissionDenied
from yiwang.core.textinput import text_problem
from yiwang.org.models import User
from yiwang.org.permissions import has_role
from yiwang.org.roles import Role

# Everyone who works on cases may write on their timeline (within their scope).
NOTE_ROLES = frozenset(Role.values)


def _checked(actor: User, note: str, data: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    if not has_role(actor, NOTE_ROLES):
        raise PermissionDenied("forbidden_role", "您的角色不能在案卷上添加备注。")
    text = note.strip()
    if not text:
        raise InvalidInput("required", "请填写备注内容。", "note")
    problem = text_problem(text, multiline=True)
    if problem is not None:
        raise InvalidInput(problem[0], f"备注{problem[1]}", "note")
    if len(text) > NOTE_MAX_LENGTH:
        raise InvalidInput("too_long", f"备注不能超过 {NOTE_MAX_LENGTH} 字。", "note")
    payload = dict(data or {})
    # The timeline's data column is JSON (jsonb on PostgreSQL): refuse what it cannot hold.
    jsoninput.check_parsed(payload, "data")
    return text, payload


def _event(actor: User, case: Case, text: str, payload: dict[str, Any], now: datetime) -> CaseEvent:
    return CaseEvent(
        case=case,
        at=now,
        actor=actor if actor.pk else None,
        transition="note",
        from_state=case.state,
        to_state=case.state,
        note=text,
        data=payload,
        version=case.version,
    )


def add_note(
    actor: User,
    number: str,
    note: str,
    data: dict[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> CaseEvent:
    """Add a note (and machine-readable ``data``) to the timeline of case ``number``."""
    text, payload = _checked(actor, note, data)
    now = now or timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(number=number).first()
        if case is None or not scope.can_see(actor, case):
            raise NotFound(
                "case_not_found", f"案卷 {number} 不存在或不在您的管辖范围内。", "number"
            )
        event = _event(actor, case, text, payload, now)
        event.save()
        return event


@dataclass(frozen=True)
class Note:
    number: str
    note: str
    data: dict[str, Any] | None = None


def add_notes(
    actor: User, notes: Sequence[Note], *, now: datetime | None = None
) -> list[CaseEvent]:
    """Many notes at once (all or nothing), each checked as `add_note` checks one; the cases
    are read and locked together and the timeline rows inserted in bulk (a hotline batch
    revising thousands of orders). A refusal names ``notes[i].<field>``."""
    if not notes:
        return []
    checked: list[tuple[str, dict[str, Any]]] = []
    for i, item in enumerate(notes):
        try:
            checked.append(_checked(actor, item.note, item.data))
        except ActionError as exc:
            if exc.field:
                exc.field = f"notes[{i}].{exc.field}"
            raise
    now = now or timezone.now()
    numbers = sorted({item.number for item in notes})
    with transaction.atomic():
        cases: dict[str, Case] = {}
        for start in range(0, len(numbers), 500):
            # Locked in number order: two batches noting the same cases wait, not deadlock.
            found = Case.objects.select_for_update().filter(number__in=numbers[start : start + 500])
            cases.update((case.number, case) for case in found.order_by("number"))
        events = []
        for i, (item, (text, payload)) in enumerate(zip(notes, checked, strict=True)):
            case = cases.get(item.number)
            if case is None or not scope.can_see(actor, case):
                raise NotFound(
                    "case_not_found",
                    f"案卷 {item.number} 不存在或不在您的管辖范围内。",
                    f"notes[{i}].number",
                )
            events.append(_event(actor, case, text, payload, now))
        return CaseEvent.objects.bulk_create(events, batch_size=500)
