"""Time limits (处置时限) per type or category, urgency and stage; administrators only.

Changes apply to stages that start afterwards (see `cases.actions.reference`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from yiwang.cases import deadlines
from yiwang.cases.actions.reference_checks import category, category_label, choice, first_writer
from yiwang.cases.models import Stage, TimeLimit, TimeUnit, Urgency
from yiwang.core import audit, generations
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.org.models import User
from yiwang.org.permissions import require_admin

LIMITS_GENERATION = deadlines.LIMITS_GENERATION

# The longest limit an administrator may enter per unit: a year on the wall clock,
# about a working year otherwise. Anything longer is a typo, not a deadline.
MAX_AMOUNT: dict[str, Decimal] = {
    TimeUnit.HOURS: Decimal(8760),
    TimeUnit.WORK_HOURS: Decimal(2000),
    TimeUnit.WORK_DAYS: Decimal(250),
}


def _amount(value: Any, unit: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput("invalid_amount", "时限应为数字。", "amount") from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput("invalid_amount", "时限应大于 0。", "amount")
    limit = MAX_AMOUNT[unit]
    if amount > limit:
        raise InvalidInput(
            "amount_too_large",
            f"时限不能超过 {limit} {TimeUnit(unit).label}。",
            "amount",
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput("invalid_amount", "时限最多保留两位小数。", "amount")
    return amount.quantize(Decimal("0.01"))


def _limit_label(row: TimeLimit) -> str:
    scope = category_label(row)
    return f"{scope}／{Urgency(row.urgency).label}／{Stage(row.stage).label}"


@transaction.atomic
def set_time_limit(
    actor: User,
    *,
    stage: str,
    urgency: str,
    amount: Any,
    unit: str,
    type_code: str | None = None,
    kind: str = "",
    major_code: str = "",
) -> TimeLimit:
    """Create or update the limit for one key: (type | kind + major | kind | all, urgency, stage).

    A type is named by ``kind`` + ``type_code``. Rows keyed by a type store no kind or
    major (that is how `deadlines.limit_for` looks them up). ``stage``, ``urgency`` and
    ``unit`` take the stored value or its Chinese label (处置, 紧急, 工作日).
    """
    require_admin(actor, "修改处置时限")
    stage = choice(stage, Stage, "invalid_stage", "未知的环节。", "stage")
    urgency = choice(urgency, Urgency, "invalid_urgency", "紧急程度应为 一般 或 紧急。", "urgency")
    unit = choice(unit, TimeUnit, "invalid_unit", "单位应为 小时、工作时 或 工作日。", "unit")
    value = _amount(amount, unit)
    obj_type, kind, major_code = category(kind, major_code, type_code)
    if obj_type is not None:
        key: dict[str, Any] = {"type": obj_type, "kind": "", "major_code": ""}
    else:
        key = {"type": None, "kind": kind, "major_code": major_code}
    row = (
        TimeLimit.objects.select_for_update(of=("self",))
        .select_related("type")
        .filter(urgency=urgency, stage=stage, **key)
        .first()
    )
    old = None if row is None else {"amount": str(row.amount), "unit": row.unit}
    if row is None:
        with first_writer():
            row = TimeLimit.objects.create(
                urgency=urgency, stage=stage, amount=value, unit=unit, **key
            )
    else:
        row.amount, row.unit = value, unit
        row.save(update_fields=["amount", "unit"])
    audit.record(
        actor,
        "cases.set_time_limit",
        row,
        f"{'新增' if old is None else '修改'}处置时限 {_limit_label(row)}："
        f"{value.normalize():f} {TimeUnit(unit).label}",
        old=old,
        new={"amount": str(value), "unit": unit},
    )
    generations.bump(LIMITS_GENERATION)
    return row


@transaction.atomic
def delete_time_limit(actor: User, pk: int) -> None:
    """Remove a specific row; the type then falls back to its category's or the global one."""
    require_admin(actor, "删除处置时限")
    row = (
        TimeLimit.objects.select_for_update(of=("self",))
        .select_related("type")
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise NotFound("time_limit_not_found", "该处置时限不存在。", "pk")
    if row.type_id is None and not row.kind and not row.major_code:
        raise InvalidInput(
            "global_limit_required",
            "全部类型的默认时限保证每个类型都有时限，不能删除，只能修改。",
            "pk",
        )
    label = _limit_label(row)
    audit.record(
        actor,
        "cases.delete_time_limit",
        row,
        f"删除处置时限 {label}",
        old={"amount": str(row.amount), "unit": row.unit},
    )
    row.delete()
    generations.bump(LIMITS_GENERATION)
