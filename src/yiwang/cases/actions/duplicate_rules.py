"""查重规则 (duplicate rules): how near and how recent a duplicate candidate must be, per type
or category; administrators only. See `cases.duplicates` for how they are read."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from yiwang.cases import duplicates
from yiwang.cases.actions.reference_checks import category, category_label, first_writer
from yiwang.cases.models import DuplicateRule
from yiwang.core import audit, generations
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.org.models import User
from yiwang.org.permissions import require_admin

DUPLICATES_GENERATION = duplicates.GENERATION


def _whole(value: Any, field: str, label: str, low: int, high: int, unit: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput("invalid", f"{label}应为整数。", field) from None
    if not low <= number <= high:
        raise InvalidInput("out_of_range", f"{label}应在 {low} 到 {high} {unit}之间。", field)
    return number


def _label(rule: DuplicateRule) -> str:
    return f"{category_label(rule)}：{rule.radius_m} 米 / {rule.window_days} 天"


@transaction.atomic
def set_duplicate_rule(
    actor: User,
    *,
    radius_m: Any,
    window_days: Any,
    type_code: str | None = None,
    kind: str = "",
    major_code: str = "",
) -> DuplicateRule:
    """Create or update the rule for one key (type | kind + major | kind | all)."""
    require_admin(actor, "修改查重规则")
    radius = _whole(radius_m, "radius_m", "查重半径", 1, duplicates.MAX_RADIUS_M, "米")
    days = _whole(window_days, "window_days", "查重时间窗", 1, duplicates.MAX_WINDOW_DAYS, "天")
    obj_type, kind, major_code = category(kind, major_code, type_code)
    key: dict[str, Any] = (
        {"type": obj_type, "kind": "", "major_code": ""}
        if obj_type is not None
        else {"type": None, "kind": kind, "major_code": major_code}
    )
    row = (
        DuplicateRule.objects.select_for_update(of=("self",))
        .select_related("type")
        .filter(**key)
        .first()
    )
    old = None if row is None else {"radius_m": row.radius_m, "window_days": row.window_days}
    if row is None:
        with first_writer():
            row = DuplicateRule.objects.create(radius_m=radius, window_days=days, **key)
    else:
        row.radius_m, row.window_days = radius, days
        row.save(update_fields=["radius_m", "window_days"])
    audit.record(
        actor,
        "cases.set_duplicate_rule",
        row,
        f"{'新增' if old is None else '修改'}查重规则 {_label(row)}",
        old=old,
        new={"radius_m": radius, "window_days": days},
    )
    generations.bump(DUPLICATES_GENERATION)
    return row


@transaction.atomic
def delete_duplicate_rule(actor: User, pk: int) -> None:
    """Remove a rule; its types fall back to a wider rule or the defaults (50 m, 7 days)."""
    require_admin(actor, "删除查重规则")
    row = (
        DuplicateRule.objects.select_for_update(of=("self",))
        .select_related("type")
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise NotFound("duplicate_rule_not_found", "该查重规则不存在。", "pk")
    audit.record(
        actor,
        "cases.delete_duplicate_rule",
        row,
        f"删除查重规则 {_label(row)}",
        old={"radius_m": row.radius_m, "window_days": row.window_days},
    )
    row.delete()
    generations.bump(DUPLICATES_GENERATION)
