"""The one function that applies any transition of the declared table.

It checks, in order: the case is in the caller's scope, the version is current,
the transition may start from the case's state, the caller has the role and holds
the case, the named guards pass and the inputs are valid. Only then does it change
the case, move the stage clock, and write the timeline row — all in one
transaction, with the version bumped by a conditional UPDATE so that of two
concurrent moves exactly one wins.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiwang.cases import deadlines, scope
from yiwang.cases.models import (
    Case,
    CaseDepartment,
    CaseEvent,
    CaseStageRecord,
    Stage,
    TimeUnit,
)
from yiwang.cases.workflow import PREVIOUS, TRANSITIONS, Clock, Holder, Input, Transition
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.scope import path_in_scope
from yiwang.org.models import Department, User
from yiwang.org.permissions import has_role
from yiwang.org.roles import Role


@dataclass
class Context:
    actor: User
    case: Case
    transition: Transition
    inputs: dict[str, Any]
    now: datetime
    event_data: dict[str, Any]


# ---- guards: preconditions beyond role and state -------------------------------------------


def _inspector_source(ctx: Context) -> str | None:
    if ctx.case.source != "inspector":
        return "非监督员上报的案卷须先派发核实，不能直接受理立案。"
    return None


def _not_inspector_source(ctx: Context) -> str | None:
    if ctx.case.source == "inspector":
        return "监督员上报的案卷无需核实，请直接受理。"
    return None


def _self_handle_type(ctx: Context) -> str | None:
    if not ctx.case.type.self_handle:
        return f"“{ctx.case.type.name}”不属于可自处理的类型。"
    return None


GUARDS: dict[str, Callable[[Context], str | None]] = {
    "inspector_source": _inspector_source,
    "not_inspector_source": _not_inspector_source,
    "self_handle_type": _self_handle_type,
}


# ---- effects: what a transition does besides changing state ---------------------------------


def _assign_inspector(ctx: Context) -> None:
    inspector = (
        User.objects.select_related("division")
        .filter(pk=ctx.inputs["inspector_id"], is_active=True, role=Role.INSPECTOR)
        .first()
    )
    if inspector is None or not path_in_scope(inspector, ctx.case.division_path):
        raise InvalidInput("bad_inspector", "请选择负责该区域的监督员。", "inspector_id")
    ctx.case.assignee = inspector
    ctx.event_data["inspector"] = str(inspector)


def _clear_assignee(ctx: Context) -> None:
    ctx.case.assignee = None


def _set_department(ctx: Context) -> None:
    department = (
        Department.objects.select_related("division")
        .filter(pk=ctx.inputs["department_id"], is_active=True)
        .first()
    )
    if department is None:
        raise InvalidInput("bad_department", "所选处置部门不存在或已停用。", "department_id")
    if not ctx.case.division_path.startswith(department.division.path):
        raise InvalidInput(
            "department_out_of_area", f"{department.name}不负责该案卷所在区域。", "department_id"
        )
    ctx.case.department = department
    ctx.case.assignee = None
    ctx.event_data["department"] = department.name
    ctx.event_data["department_id"] = department.pk
    # The department's handlers keep reading the case after it moves on (its history);
    # written here, in the move's transaction, so the scope never lags the dispatch.
    CaseDepartment.objects.bulk_create(
        [CaseDepartment(case=ctx.case, department=department, first_dispatched_at=ctx.now)],
        ignore_conflicts=True,
    )
    if ctx.case.suggested_department_id and ctx.case.suggested_department_id != department.pk:
        ctx.event_data["overrode_suggestion"] = True


def _clear_department(ctx: Context) -> None:
    ctx.case.department = None
    ctx.case.assignee = None


def _take_case(ctx: Context) -> None:
    ctx.case.assignee = ctx.actor


def _store_extension_request(ctx: Context) -> None:
    ctx.case.pending_request = {
        "kind": "extension",
        "amount": str(ctx.inputs["amount"]),
        "unit": ctx.inputs["unit"],
    }
    ctx.event_data.update(ctx.case.pending_request)


def _extend_deadline(ctx: Context) -> None:
    request = ctx.case.pending_request
    limit = deadlines.Limit(Decimal(request["amount"]), request["unit"])
    record = _open_record(ctx.case)
    base = ctx.case.stage_due_at or ctx.now
    new_due = deadlines.due_at(base, limit)
    ctx.event_data.update(old_due=base.isoformat(), new_due=new_due.isoformat())
    ctx.case.stage_due_at = new_due
    if ctx.case.stage == Stage.HANDLE:
        ctx.case.handle_due_at = new_due
    if record is not None:
        record.due_at = new_due
        record.save(update_fields=["due_at"])
    ctx.case.pending_request = {}


def _clear_request(ctx: Context) -> None:
    ctx.case.pending_request = {}


def _store_result(ctx: Context) -> None:
    ctx.case.result = ctx.inputs["result"]


def _mark(field: str) -> Callable[[Context], None]:
    def effect(ctx: Context) -> None:
        setattr(ctx.case, field, ctx.now)

    return effect


EFFECTS: dict[str, Callable[[Context], None]] = {
    "assign_inspector": _assign_inspector,
    "clear_assignee": _clear_assignee,
    "set_department": _set_department,
    "clear_department": _clear_department,
    "take_case": _take_case,
    "store_extension_request": _store_extension_request,
    "extend_deadline": _extend_deadline,
    "clear_request": _clear_request,
    "store_result": _store_result,
    "mark_registered": _mark("registered_at"),
    "mark_dispatched": _mark("dispatched_at"),
    "mark_handled": _mark("handled_at"),
    "mark_closed": _mark("closed_at"),
}


# ---- the stage clock ----------------------------------------------------------------------


def _open_record(case: Case) -> CaseStageRecord | None:
    return case.stages.filter(finished_at__isnull=True).order_by("-started_at", "-id").first()


def start_stage(case: Case, stage: str, now: datetime) -> CaseStageRecord:
    limit = deadlines.limit_for(case.type, case.urgency, stage)
    due = deadlines.due_at(now, limit)
    case.stage, case.stage_started_at, case.stage_due_at = stage, now, due
    case.stage_unit = limit.unit
    case.stage_remaining_seconds = None
    case.stage_suspended_seconds = 0.0
    if stage == Stage.HANDLE:
        case.handle_due_at = due
    return CaseStageRecord(
        case=case,
        stage=stage,
        started_at=now,
        due_at=due,
        limit_amount=limit.amount,
        limit_unit=limit.unit,
    )


def _move_clock(ctx: Context) -> None:
    t, case, now = ctx.transition, ctx.case, ctx.now
    if t.clock is Clock.KEEP:
        return
    if t.clock in (Clock.STOP, Clock.START):
        # The hot path: close the running stretch without reading it first.
        CaseStageRecord.objects.filter(case_id=case.pk, finished_at__isnull=True).update(
            finished_at=now
        )
        if t.clock is Clock.STOP:
            case.stage, case.stage_due_at, case.stage_unit = "", None, ""
            return
        assert t.stage is not None
        start_stage(case, t.stage, now).save()
        return
    record = _open_record(case)
    if t.clock is Clock.PAUSE:
        if record is not None and case.stage_due_at is not None:
            case.stage_remaining_seconds = deadlines.remaining_seconds(
                now, case.stage_due_at, record.limit_unit
            )
            record.paused_at = now
            record.save(update_fields=["paused_at"])
        case.stage_due_at = None
        return
    if t.clock is Clock.RESUME:
        if record is not None and record.paused_at is not None:
            new_due = deadlines.resume_due(record.due_at, record.paused_at, now, record.limit_unit)
            record.suspended_seconds += (now - record.paused_at).total_seconds()
            # What the deadline moved by on the stage's clock (nothing for a stage that was
            # already overdue when suspended): time the stage is not to be charged for.
            record.suspended_clock_seconds += deadlines.clock_seconds(
                record.due_at, new_due, record.limit_unit
            )
            record.paused_at = None
            record.due_at = new_due
            record.save(
                update_fields=[
                    "paused_at",
                    "suspended_seconds",
                    "suspended_clock_seconds",
                    "due_at",
                ]
            )
            case.stage_due_at = new_due
            case.stage_suspended_seconds = record.suspended_clock_seconds
            if case.stage == Stage.HANDLE:
                case.handle_due_at = new_due
        case.stage_remaining_seconds = None


def _snapshot(case: Case) -> dict[str, Any]:
    """The case's column values; JSON values copied so that changes in place are seen."""
    return {
        f.attname: copy.deepcopy(v) if isinstance(v := getattr(case, f.attname), dict | list) else v
        for f in Case._meta.concrete_fields
        if not f.primary_key
    }


# ---- checks -------------------------------------------------------------------------------


def _holds(actor: User, case: Case, holder: Holder) -> bool:
    if holder is Holder.ANY:
        return True
    if holder is Holder.ASSIGNEE:
        return case.assignee_id == actor.pk
    if holder is Holder.DEPARTMENT:
        return case.department_id is not None and case.department_id == actor.department_id
    return case.reporter_id == actor.pk


def refusal(actor: User, case: Case, t: Transition) -> tuple[str, str] | None:
    """Why `actor` may not make `t` on `case` now (code, message), or None if they may."""
    if case.state not in t.sources:
        return "bad_state", f"案卷当前状态为“{case.get_state_display()}”，不能{t.label}。"
    if not has_role(actor, t.roles):
        names = "、".join(str(Role(r).label) for r in sorted(t.roles))
        return "forbidden_role", f"只有{names}可以{t.label}。"
    if not _holds(actor, case, t.holder):
        return "not_holder", {
            Holder.ASSIGNEE: "该任务未派给您。",
            Holder.DEPARTMENT: "该案卷不在您所在部门办理。",
            Holder.REPORTER: "只有上报人本人可以自处理结案。",
        }.get(t.holder, "您不能办理该案卷。")
    ctx = Context(actor, case, t, {}, timezone.now(), {})
    for name in t.guards:
        message = GUARDS[name](ctx)
        if message:
            return "precondition", message
    return None


def allowed_transitions(actor: User, case: Case) -> list[Transition]:
    if not scope.can_see(actor, case):
        return []
    return [t for t in TRANSITIONS.values() if refusal(actor, case, t) is None]


def _clean_inputs(t: Transition, raw: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for spec in t.inputs:
        value = raw.get(spec.name)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            if spec.required:
                raise InvalidInput("required", f"请填写{spec.label}。", spec.name)
            clean[spec.name] = "" if spec.kind == "text" else None
            continue
        clean[spec.name] = _convert(spec, value)
    return clean


def _convert(spec: Input, value: Any) -> Any:
    # JSON true/false, objects and lists are never a valid answer (int(True) would be 1).
    if isinstance(value, bool | dict | list):
        raise InvalidInput("invalid", f"{spec.label}的格式不正确。", spec.name)
    if spec.kind in ("int", "user", "department"):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise InvalidInput("invalid", f"{spec.label}应为编号。", spec.name) from None
    if spec.kind == "decimal":
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise InvalidInput("invalid", f"{spec.label}应为数字。", spec.name) from None
        if not number.is_finite() or number <= 0 or number > 10_000:
            raise InvalidInput("invalid", f"{spec.label}应为大于 0 的数字。", spec.name)
        return number
    if spec.kind == "choice":
        if value not in spec.choices:
            labels = "、".join(str(TimeUnit(c).label) for c in spec.choices)
            raise InvalidInput("invalid", f"{spec.label}应为：{labels}。", spec.name)
        return value
    text = str(value)
    if len(text) > 2000:
        raise InvalidInput("too_long", f"{spec.label}不能超过 2000 字。", spec.name)
    return text


def apply_transition(
    actor: User,
    number: str,
    name: str,
    *,
    version: int | None,
    inputs: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Case:
    t = TRANSITIONS.get(name)
    if t is None:
        raise NotFound("unknown_transition", f"未知的操作：{name}", "name")
    if version is None:
        raise InvalidInput(
            "required", "请提供案卷版本号（version），以防覆盖他人的修改。", "version"
        )
    now = now or timezone.now()
    with transaction.atomic():
        # Only the type is joined (guards and time limits read it); of=("self",) keeps the
        # lock on the case row alone.
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("type")
            .filter(number=number)
            .order_by()
            .first()
        )
        if case is None or not scope.can_see(actor, case):
            raise NotFound(
                "case_not_found", f"案卷 {number} 不存在或不在您的管辖范围内。", "number"
            )
        if case.version != version:
            raise Conflict(
                "stale_version",
                f"案卷 {number} 已被他人修改（当前版本 {case.version}，您提交的是 {version}），"
                "请刷新后重试。",
                "version",
                current_version=case.version,
            )
        why = refusal(actor, case, t)
        if why is not None:
            code, message = why
            error = InvalidInput if code in ("bad_state", "precondition") else PermissionDenied
            if code == "bad_state":
                raise Conflict(code, message, None)
            raise error(code, message, None)
        ctx = Context(actor, case, t, _clean_inputs(t, inputs or {}), now, {})
        before = _snapshot(case)
        from_state = case.state
        for effect in t.effects:
            EFFECTS[effect](ctx)
        for counter in t.counters:
            setattr(case, counter, getattr(case, counter) + 1)
        _move_clock(ctx)
        if t.target == PREVIOUS:
            case.state, case.resume_state = case.resume_state, ""
        else:
            if t.saves_previous:
                case.resume_state = from_state
            case.state = t.target
        # One conditional UPDATE of what changed plus the version: if another transaction
        # slipped past the row lock (SQLite without one), only one of two matches.
        case.version = version + 1
        case.updated_at = timezone.now()
        changes = {k: v for k, v in _snapshot(case).items() if before.get(k) != v}
        updated = Case.objects.filter(pk=case.pk, version=version).update(**changes)
        if updated != 1:
            raise Conflict(
                "stale_version", f"案卷 {number} 已被他人修改，请刷新后重试。", "version"
            )
        CaseEvent.objects.create(
            case=case,
            at=now,
            actor=actor,
            transition=t.name,
            from_state=from_state,
            to_state=case.state,
            note=ctx.inputs.get("note", "") or "",
            data=ctx.event_data,
            version=case.version,
        )
    return case
