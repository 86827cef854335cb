"""A plain note on a case's timeline: something happened that moves nothing.

Intake channels use it when what they received changes after the case was filed (a
hotline order revised by the hotline, an alarm repeating): the change is history worth
keeping beside the moves, but no field a transition depends on changes, so — like a
photo — the note keeps the case's state and version.
"""

from __future__ import annotations

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


def add_note(
    actor: User,
    number: str,
    note: str,
    data: dict[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> CaseEvent:
    """Add a note (and machine-readable ``data``) to the timeline of case ``number``."""
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
    now = now or timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(number=number).first()
        if case is None or not scope.can_see(actor, case):
            raise NotFound(
                "case_not_found", f"案卷 {number} 不存在或不在您的管辖范围内。", "number"
            )
        return CaseEvent.objects.create(
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
