"""Routing rules (派遣规则): which department a new case is suggested to; administrators only.

A rule's department must be responsible for the rule's whole area (see
`cases.actions.reference`).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from yiwang.cases import routing
from yiwang.cases.actions.reference_checks import category, category_label
from yiwang.cases.models import RoutingRule
from yiwang.core import audit, generations
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.org.models import Department, Division, User
from yiwang.org.permissions import require_admin, require_in_scope

ROUTING_GENERATION = routing.GENERATION
MAX_PRIORITY = 100_000


def _priority(value: Any) -> int:
    try:
        priority = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("invalid_priority", "优先级应为整数。", "priority") from None
    if not 0 <= priority <= MAX_PRIORITY:
        raise InvalidInput(
            "invalid_priority", f"优先级应在 0 到 {MAX_PRIORITY} 之间，数字小的先匹配。", "priority"
        )
    return priority


def _rule_target(
    actor: User, division_code: str, department_id: Any
) -> tuple[Division, Department]:
    division = Division.objects.filter(code=str(division_code or "").strip()).first()
    if division is None:
        raise NotFound("division_not_found", f"区划代码 {division_code} 不存在。", "division_code")
    require_in_scope(actor, division.path, "适用区域")
    try:
        dept_pk = int(department_id)
    except (TypeError, ValueError):
        raise InvalidInput("invalid", "请选择处置部门。", "department_id") from None
    department = Department.objects.select_related("division").filter(pk=dept_pk).first()
    if department is None:
        raise NotFound("department_not_found", "所选处置部门不存在。", "department_id")
    require_in_scope(actor, department.division.path, "处置部门")
    if not department.is_active:
        raise InvalidInput("department_inactive", f"{department.name}已停用。", "department_id")
    if not division.path.startswith(department.division.path):
        raise InvalidInput(
            "department_out_of_area",
            f"{department.name}不负责{division.name}全境，不能作为该区域的派遣部门。",
            "department_id",
        )
    return division, department


def _rule_label(rule: RoutingRule) -> str:
    what = category_label(rule)
    return f"#{rule.priority} {rule.division.name} {what} → {rule.department.name}"


def _rule_data(rule: RoutingRule) -> dict[str, Any]:
    return {
        "priority": rule.priority,
        "kind": rule.kind,
        "major_code": rule.major_code,
        "type": rule.type.code if rule.type is not None else None,
        "division": rule.division.code,
        "department_id": rule.department_id,
        "is_active": rule.is_active,
    }


def _check_duplicate(rule: RoutingRule) -> None:
    twins = RoutingRule.objects.filter(
        division=rule.division,
        department=rule.department,
        type=rule.type,
        kind=rule.kind,
        major_code=rule.major_code,
        is_active=True,
    ).exclude(pk=rule.pk)
    if rule.is_active and twins.exists():
        raise InvalidInput(
            "duplicate_rule", "已有相同区域、类型和部门的启用规则。", "department_id"
        )


@transaction.atomic
def add_routing_rule(
    actor: User,
    *,
    division_code: str,
    department_id: int,
    priority: int = 100,
    kind: str = "",
    major_code: str = "",
    type_code: str | None = None,
    is_active: bool = True,
) -> RoutingRule:
    """A rule: cases of this type / category located in this division go to this department."""
    require_admin(actor, "新增派遣规则")
    division, department = _rule_target(actor, division_code, department_id)
    obj_type, kind, major_code = category(kind, major_code, type_code)
    rule = RoutingRule(
        priority=_priority(priority),
        kind=kind,
        major_code=major_code,
        type=obj_type,
        division=division,
        department=department,
        is_active=bool(is_active),
    )
    _check_duplicate(rule)
    rule.save()
    audit.record(
        actor,
        "cases.add_routing_rule",
        rule,
        f"新增派遣规则 {_rule_label(rule)}",
        **_rule_data(rule),
    )
    generations.bump(ROUTING_GENERATION)
    return rule


def _rule_for_update(actor: User, pk: int) -> RoutingRule:
    rule = (
        RoutingRule.objects.select_for_update(of=("self",))
        .select_related("division", "department", "type")
        .filter(pk=pk)
        .first()
    )
    if rule is None:
        raise NotFound("routing_rule_not_found", "该派遣规则不存在。", "pk")
    require_in_scope(actor, rule.division.path, "该派遣规则的适用区域")
    return rule


_UNCHANGED: Any = object()


@transaction.atomic
def update_routing_rule(
    actor: User,
    pk: int,
    *,
    division_code: str | None = None,
    department_id: int | None = None,
    priority: int | None = None,
    kind: str | None = None,
    major_code: str | None = None,
    type_code: str | None = _UNCHANGED,
    is_active: bool | None = None,
) -> RoutingRule:
    """Change some fields of a rule: None or omitted keeps a field; ``type_code=None`` clears
    the type (the rule then matches by kind and major)."""
    require_admin(actor, "修改派遣规则")
    rule = _rule_for_update(actor, pk)
    before = _rule_data(rule)
    if division_code is not None or department_id is not None:
        rule.division, rule.department = _rule_target(
            actor,
            division_code if division_code is not None else rule.division.code,
            department_id if department_id is not None else rule.department_id,
        )
    if kind is not None or major_code is not None or type_code is not _UNCHANGED:
        old_type = rule.type.code if rule.type is not None else None
        new_type = old_type if type_code is _UNCHANGED else type_code
        if major_code is None:
            # A type rule's major comes from the type; a category rule keeps its own.
            major_code = "" if new_type else rule.major_code
        obj_type, new_kind, new_major = category(
            kind if kind is not None else rule.kind, major_code, new_type
        )
        rule.type, rule.kind, rule.major_code = obj_type, new_kind, new_major
    if priority is not None:
        rule.priority = _priority(priority)
    if is_active is not None:
        rule.is_active = bool(is_active)
    _check_duplicate(rule)
    rule.save()
    after = _rule_data(rule)
    changed = sorted(k for k in after if after[k] != before[k])
    audit.record(
        actor,
        "cases.update_routing_rule",
        rule,
        f"修改派遣规则 {_rule_label(rule)}",
        changed=changed,
        old=before,
        new=after,
    )
    generations.bump(ROUTING_GENERATION)
    return rule


@transaction.atomic
def delete_routing_rule(actor: User, pk: int) -> None:
    require_admin(actor, "删除派遣规则")
    rule = _rule_for_update(actor, pk)
    audit.record(
        actor,
        "cases.delete_routing_rule",
        rule,
        f"删除派遣规则 {_rule_label(rule)}",
        **_rule_data(rule),
    )
    rule.delete()
    generations.bump(ROUTING_GENERATION)
