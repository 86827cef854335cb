"""保持独立: an operator says a case is not a duplicate of an offered candidate.

Merging itself is a move of the workflow (`transition(..., "merge", inputs={"into": …})`,
undone by "unmerge"), so the version check, role, scope and timeline of every move apply.
Keeping separate changes no state: a timeline row on both cases records it (the timeline
is the case's audit trail), and `cases.duplicates.candidates` does not offer the pair again.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from yiwang.cases import scope
from yiwang.cases.duplicates import KEEP_SEPARATE, kept_separate
from yiwang.cases.engine import CASE_NUMBER_RE
from yiwang.cases.models import Case, CaseEvent
from yiwang.cases.workflow import TRANSITIONS
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.org.models import User
from yiwang.org.permissions import has_role
from yiwang.org.roles import Role


def keep_separate(
    actor: User, number: str, other: str, *, note: str = "", now: datetime | None = None
) -> Case:
    """Record that `number` is not a duplicate of `other` (who may merge may say so)."""
    merge = TRANSITIONS["merge"]
    other = str(other or "").strip().upper()
    if not CASE_NUMBER_RE.fullmatch(other):
        raise InvalidInput("invalid", "请提供另一件案卷的案卷号。", "other")
    now = now or timezone.now()
    with transaction.atomic():
        # The case row is locked, so two clicks on the same button record one row.
        case = Case.objects.select_for_update(of=("self",)).filter(number=number).first()
        if case is None or not scope.can_see(actor, case):
            raise NotFound(
                "case_not_found", f"案卷 {number} 不存在或不在您的管辖范围内。", "number"
            )
        if not has_role(actor, merge.roles):
            names = "、".join(str(Role(r).label) for r in sorted(merge.roles))
            raise PermissionDenied("forbidden_role", f"只有{names}可以判定重复案卷。")
        if case.state not in merge.sources:
            raise Conflict(
                "bad_state", f"案卷当前状态为“{case.get_state_display()}”，无需再判定重复。", None
            )
        if other == case.number:
            raise InvalidInput("invalid", "不能与案卷自身比较。", "other")
        twin = Case.objects.filter(number=other).first()
        if twin is None or not scope.can_see(actor, twin):
            raise InvalidInput(
                "other_not_found", f"案卷 {other} 不存在或不在您的管辖范围内。", "other"
            )
        if other in kept_separate(case):
            return case
        # Neither case's version moves: a decision about the pair is not a move of either.
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case=a,
                    at=now,
                    actor=actor,
                    transition=KEEP_SEPARATE,
                    from_state=a.state,
                    to_state=a.state,
                    note=note,
                    data={"other": b.number},
                    version=a.version,
                )
                for a, b in ((case, twin), (twin, case))
            ]
        )
    return case
