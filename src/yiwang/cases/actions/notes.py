"""Plain timeline notes: something happened to a case that moves nothing.

A channel adds what it learns about a case it already holds (a camera's repeated alarm, a
hotline order changed): one `CaseEvent` with transition "note" that changes no state and
no version — like a photo, so a note never makes a staff member's open form stale.
Scope as everywhere: a case outside the actor's scope is "not found".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiwang.cases import scope
from yiwang.cases.models import NOTE_MAX_LENGTH, Case, CaseEvent
from yiwang.core import jsoninput
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.core.textinput import text_problem
from yiwang.org.models import User
from yiwang.org.permissions import has_role
from yiwang.org.roles import Role

# Everyone who works on cases may write on their timeline (within their scope).
NOTE_ROLES = frozenset(Role.values)

NOTE_TRANSITION = "note"


@dataclass(frozen=True)
class Note:
    number: str
    note: str
    data: dict[str, Any] = field(default_factory=dict)


def add_note(
    actor: User,
    number: str,
    note: str,
    data: dict[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> CaseEvent:
    """Add one note to the case's timeline."""
    return add_notes(actor, [Note(number, note, data or {})], now=now)[0]


def add_notes(
    actor: User, notes: Sequence[Note], *, now: datetime | None = None
) -> list[CaseEvent]:
    """Add many notes in one transaction with two queries (alarm intake adds one per case
    per batch); all or nothing."""
    if not notes:
        return []
    if not has_role(actor, NOTE_ROLES):
        raise PermissionDenied("forbidden_role", "您的角色不能在案卷上添加备注。")
    now = now or timezone.now()
    for item in notes:
        _check_text(item.note)
        # The timeline's data column is JSON (jsonb on PostgreSQL): refuse what it cannot hold.
        jsoninput.check_parsed(item.data, "data")
    numbers = {item.number for item in notes}
    with transaction.atomic():
        cases = {
            c.number: c
            for c in Case.objects.filter(number__in=numbers).only(
                "id", "number", "state", "version", "division_path", "department_id"
            )
        }
        events = []
        for item in notes:
            case = cases.get(item.number)
            if case is None or not scope.can_see(actor, case):
                raise NotFound(
                    "case_not_found", f"案卷 {item.number} 不存在或不在您的管辖范围内。", "number"
                )
            events.append(
                CaseEvent(
                    case=case,
                    at=now,
                    actor=actor if actor.pk else None,
                    transition=NOTE_TRANSITION,
                    from_state=case.state,
                    to_state=case.state,
                    note=item.note.strip(),
                    data=item.data,
                    # A note changes no field a transition depends on, so the version stays.
                    version=case.version,
                )
            )
        return CaseEvent.objects.bulk_create(events)


def _check_text(note: str) -> None:
    if not note.strip():
        raise InvalidInput("required", "请填写备注内容。", "note")
    problem = text_problem(note, multiline=True)
    if problem is not None:
        raise InvalidInput(problem[0], f"备注{problem[1]}", "note")
    if len(note.strip()) > NOTE_MAX_LENGTH:
        raise InvalidInput("too_long", f"备注不能超过 {NOTE_MAX_LENGTH} 字。", "note")
