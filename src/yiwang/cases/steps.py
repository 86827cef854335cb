"""What a transition checks and does beyond role and state: its guards and effects.

`cases.workflow` names them as functions in the transition table, so a misspelt or
missing step fails when the table is imported (and in mypy), not when a user first makes
that move. `cases.engine.apply_transition` runs them inside its transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import OperationalError, transaction

from yiwang.cases import deadlines, scope
from yiwang.cases.models import (
    FINAL_STATES,
    Case,
    CaseDepartment,
    CaseEvent,
    CaseStageRecord,
    Stage,
    State,
)
from yiwang.core.errors import Conflict, InvalidInput
from yiwang.core.scope import path_in_scope
from yiwang.org.models import Department, User
from yiwang.org.roles import Role

if TYPE_CHECKING:
    from yiwang.cases.workflow import Transition


@dataclass
class Context:
    actor: User
    case: Case
    transition: Transition
    inputs: dict[str, Any]
    now: datetime
    event_data: dict[str, Any]
    # The stage records this case's moves touch, written once by the engine.
    stages: StageBook | None = None


Guard = Callable[[Context], str | None]  # why the move may not be made now, or None
Effect = Callable[[Context], None]


def open_record(case: Case) -> CaseStageRecord | None:
    """The stage record whose clock runs (or is paused) now."""
    return case.stages.filter(finished_at__isnull=True).order_by("-started_at", "-id").first()


_RECORD_FIELDS = [
    "paused_at",
    "suspended_seconds",
    "suspended_clock_seconds",
    "due_at",
    "finished_at",
]


class StageBook:
    """The stage records that the moves of one case touch, kept in memory and written once.

    The stored open record is read only when a move needs it (pause, resume, extension);
    a stage change closes it with a blind UPDATE instead, as the single move always did.
    """

    def __init__(self, case: Case) -> None:
        self.case = case
        self._stored: CaseStageRecord | None = None
        self._read = False
        self._dirty = False
        self._close_stored_at: datetime | None = None
        self.new: list[CaseStageRecord] = []

    def open(self) -> CaseStageRecord | None:
        if self.new:
            last = self.new[-1]
            return last if last.finished_at is None else None
        if self._close_stored_at is not None:
            return None
        if not self._read:
            self._stored, self._read = open_record(self.case), True
        if self._stored is None or self._stored.finished_at is not None:
            return None
        return self._stored

    def changed(self, record: CaseStageRecord) -> None:
        if record is self._stored:
            self._dirty = True

    def close(self, now: datetime) -> None:
        for record in self.new:
            if record.finished_at is None:
                record.finished_at = now
        if self._read:
            if self._stored is not None and self._stored.finished_at is None:
                self._stored.finished_at = now
                self._dirty = True
        elif self._close_stored_at is None:
            self._close_stored_at = now

    def start(self, record: CaseStageRecord) -> None:
        self.new.append(record)

    def save(self) -> None:
        if self._close_stored_at is not None:
            CaseStageRecord.objects.filter(case_id=self.case.pk, finished_at__isnull=True).update(
                finished_at=self._close_stored_at
            )
        if self._dirty and self._stored is not None:
            self._stored.save(update_fields=_RECORD_FIELDS)
        if self.new:
            CaseStageRecord.objects.bulk_create(self.new)


def stages_of(ctx: Context) -> StageBook:
    if ctx.stages is None:
        ctx.stages = StageBook(ctx.case)
    return ctx.stages


# ---- guards: preconditions beyond role and state -------------------------------------------


def inspector_source(ctx: Context) -> str | None:
    if ctx.case.source != "inspector":
        return "非监督员上报的案卷须先派发核实，不能直接受理立案。"
    return None


def not_inspector_source(ctx: Context) -> str | None:
    if ctx.case.source == "inspector":
        return "监督员上报的案卷无需核实，请直接受理。"
    return None


def self_handle_type(ctx: Context) -> str | None:
    if not ctx.case.type.self_handle:
        return f"“{ctx.case.type.name}”不属于可自处理的类型。"
    return None


# ---- effects: what a transition does besides changing state ---------------------------------


def assign_inspector(ctx: Context) -> None:
    inspector = (
        User.objects.select_related("division")
        .filter(pk=ctx.inputs["inspector_id"], is_active=True, role=Role.INSPECTOR)
        .order_by()  # one row by key: the model's ordering would only cost compiling
        .first()
    )
    if inspector is None or not path_in_scope(inspector, ctx.case.division_path):
        raise InvalidInput("bad_inspector", "请选择负责该区域的监督员。", "inspector_id")
    ctx.case.assignee = inspector
    ctx.event_data["inspector"] = str(inspector)


def clear_assignee(ctx: Context) -> None:
    ctx.case.assignee = None


def set_department(ctx: Context) -> None:
    department = (
        Department.objects.select_related("division")
        .filter(pk=ctx.inputs["department_id"], is_active=True)
        .order_by()  # one row by key: the model's ordering would join divisions again
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


def clear_department(ctx: Context) -> None:
    ctx.case.department = None
    ctx.case.assignee = None


def take_case(ctx: Context) -> None:
    ctx.case.assignee = ctx.actor


def store_extension_request(ctx: Context) -> None:
    ctx.case.pending_request = {
        "kind": "extension",
        "amount": str(ctx.inputs["amount"]),
        "unit": ctx.inputs["unit"],
    }
    ctx.event_data.update(ctx.case.pending_request)


def extend_deadline(ctx: Context) -> None:
    request = ctx.case.pending_request
    limit = deadlines.Limit(Decimal(request["amount"]), request["unit"])
    stages = stages_of(ctx)
    record = stages.open()
    base = ctx.case.stage_due_at or ctx.now
    new_due = deadlines.due_at(base, limit)
    ctx.event_data.update(old_due=base.isoformat(), new_due=new_due.isoformat())
    ctx.case.stage_due_at = new_due
    if ctx.case.stage == Stage.HANDLE:
        ctx.case.handle_due_at = new_due
    if record is not None:
        record.due_at = new_due
        stages.changed(record)
    ctx.case.pending_request = {}


def clear_request(ctx: Context) -> None:
    ctx.case.pending_request = {}


def store_result(ctx: Context) -> None:
    ctx.case.result = ctx.inputs["result"]


def _lock_target(number: str) -> Case | None:
    try:
        # A savepoint: a lock that fails must leave the move's transaction usable for the error.
        with transaction.atomic():
            return (
                Case.objects.select_for_update(of=("self",))
                .select_related("type")
                .filter(number=number)
                .order_by()
                .first()
            )
    except OperationalError as exc:
        # Two cases merged into each other at the same moment: PostgreSQL ends one of the
        # two transactions (each holds its own case and waits for the other's).
        raise Conflict(
            "concurrent_merge", f"案卷 {number} 正在被同时合并，请刷新后重试。", "into"
        ) from exc


def merge_into(ctx: Context) -> None:
    """合并: the case follows `into`, which must be open, of the same type (unless the
    operator says otherwise), visible to the actor and not merged itself. Chains are refused
    both ways, so `merged_into` always names the case that carries the result and a cycle
    cannot form. The target's timeline gets its own row (its state and version unchanged)."""
    case, number = ctx.case, ctx.inputs["into"]
    if number == case.number:
        raise InvalidInput("merge_into_self", "不能将案卷合并到它自己。", "into")
    # The target row stays locked to the end of the move: a concurrent merge of the target
    # elsewhere waits, then sees this merge (and refuses to make a chain).
    target = _lock_target(number)
    if target is None or not scope.can_see(ctx.actor, target):
        raise InvalidInput(
            "merge_target_not_found", f"案卷 {number} 不存在或不在您的管辖范围内。", "into"
        )
    if target.state == State.MERGED:
        raise InvalidInput(
            "merge_target_merged",
            f"案卷 {number} 本身已合并到其他案卷，请直接合并到承办结果的那件案卷。",
            "into",
        )
    if target.state in FINAL_STATES:
        raise InvalidInput(
            "merge_target_final",
            f"案卷 {number} {target.get_state_display()}，不能再合并到其中。",
            "into",
        )
    if target.type_id != case.type_id and not ctx.inputs.get("other_type"):
        raise InvalidInput(
            "merge_other_type",
            f"案卷 {number} 的类型是“{target.type.name}”，与本案卷不同；"
            "确属同一问题请勾选“允许合并到不同类型的案卷”。",
            "into",
        )
    merged_here = list(
        Case.objects.filter(merged_into_id=case.pk).order_by("id").values_list("number", flat=True)
    )
    if merged_here:
        raise InvalidInput(
            "merge_has_duplicates",
            f"已有案卷 {'、'.join(merged_here[:3])} 合并到本案卷，本案卷不能再合并到其他案卷；"
            f"可改为将案卷 {number} 合并到本案卷。",
            "into",
        )
    case.merged_into = target
    ctx.event_data["into"] = target.number
    if target.type_id != case.type_id:
        ctx.event_data["other_type"] = True
    CaseEvent.objects.create(
        case=target,
        at=ctx.now,
        actor=ctx.actor,
        transition="merged_in",
        from_state=target.state,
        to_state=target.state,
        note=ctx.inputs.get("note") or "",
        data={"case": case.number},
        version=target.version,
    )


def unmerge(ctx: Context) -> None:
    """撤销合并: the case stands alone again; the case it was merged into records it too."""
    case = ctx.case
    if case.merged_into_id is None:
        return
    target = (
        Case.objects.filter(pk=case.merged_into_id)
        .only("pk", "number", "state", "version")
        .order_by()
        .first()
    )
    case.merged_into = None
    if target is None:
        return
    ctx.event_data["from"] = target.number
    CaseEvent.objects.create(
        case=target,
        at=ctx.now,
        actor=ctx.actor,
        transition="unmerged_out",
        from_state=target.state,
        to_state=target.state,
        note=ctx.inputs.get("note") or "",
        data={"case": case.number},
        version=target.version,
    )


def _mark(field: str) -> Effect:
    def effect(ctx: Context) -> None:
        setattr(ctx.case, field, ctx.now)

    effect.__name__ = effect.__qualname__ = f"mark_{field.removesuffix('_at')}"
    return effect


mark_registered = _mark("registered_at")
mark_dispatched = _mark("dispatched_at")
mark_handled = _mark("handled_at")
mark_closed = _mark("closed_at")
