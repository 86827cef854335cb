"""The one function that applies any transition of the declared table.

It checks, in order: the case is in the caller's scope, the version is current,
the transition may start from the case's state, the caller has the role and holds
the case, the named guards pass and the inputs are valid. Only then does it change
the case, move the stage clock, and write the timeline row — all in one
transaction, with the version bumped by a conditional UPDATE so that of two
concurrent moves exactly one wins.

Several moves of one case (an intake channel replaying a case's history, the demo) go
through `moving`: each move is checked and applied exactly as a single one, in memory,
and the case, its stage records and its timeline rows are written once at the end.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiwang.cases import deadlines, scope
from yiwang.cases.models import (
    NOTE_MAX_LENGTH,
    Case,
    CaseEvent,
    CaseStageRecord,
    Stage,
    TimeUnit,
)
from yiwang.cases.steps import Context, StageBook, stages_of
from yiwang.cases.workflow import PREVIOUS, TRANSITIONS, Clock, Holder, Input, Transition
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.schemas import MAX_DB_INT
from yiwang.core.textinput import text_problem
from yiwang.org.models import User
from yiwang.org.permissions import has_role
from yiwang.org.roles import Role

# ---- the stage clock ----------------------------------------------------------------------


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
    stages = stages_of(ctx)
    if t.clock in (Clock.STOP, Clock.START):
        stages.close(now)
        if t.clock is Clock.STOP:
            case.stage, case.stage_due_at, case.stage_unit = "", None, ""
            return
        assert t.stage is not None
        stages.start(start_stage(case, t.stage, now))
        return
    record = stages.open()
    if t.clock is Clock.PAUSE:
        if record is not None and case.stage_due_at is not None:
            case.stage_remaining_seconds = deadlines.remaining_seconds(
                now, case.stage_due_at, record.limit_unit
            )
            record.paused_at = now
            stages.changed(record)
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
            stages.changed(record)
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
    for guard in t.guards:
        message = guard(ctx)
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


def _id(spec: Input, value: Any) -> int:
    # A whole number in the database's range: 1.9 is not department 1, and a 30-digit
    # number would overflow in the driver instead of matching nothing.
    if (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and value.isascii() and value.isdigit()
    ):
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= MAX_DB_INT:
        raise InvalidInput("invalid", f"{spec.label}应为编号（正整数）。", spec.name)
    return value


FLAG_VALUES = {"1": True, "true": True, "on": True, "yes": True, "0": False, "false": False}
# A case number as `cases.numbers` writes it (kind letter, type code, day, sequence).
CASE_NUMBER_RE = re.compile(r"[A-Z][0-9]{5,20}")


def _convert(spec: Input, value: Any) -> Any:
    if spec.kind == "flag":
        # A checkbox ("on") or a JSON true/false.
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in FLAG_VALUES:
            return FLAG_VALUES[value.lower()]
        raise InvalidInput("invalid", f"{spec.label}应为是或否。", spec.name)
    # JSON true/false, objects and lists are never a valid answer (int(True) would be 1).
    if isinstance(value, bool | dict | list):
        raise InvalidInput("invalid", f"{spec.label}的格式不正确。", spec.name)
    if spec.kind in ("int", "user", "department"):
        return _id(spec, value)
    if spec.kind == "decimal":
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 2.0 from JSON is stored and shown as "2"
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise InvalidInput("invalid", f"{spec.label}应为数字。", spec.name) from None
        if not number.is_finite() or number <= 0 or number > 10_000:
            raise InvalidInput("invalid", f"{spec.label}应为大于 0 的数字。", spec.name)
        return number
    if spec.kind == "case":
        case_number = str(value).strip().upper()
        if not CASE_NUMBER_RE.fullmatch(case_number):
            raise InvalidInput(
                "invalid", f"{spec.label}应为案卷号，如 S060012026010100001。", spec.name
            )
        return case_number
    if spec.kind == "choice":
        if value not in spec.choices:
            labels = "、".join(str(TimeUnit(c).label) for c in spec.choices)
            raise InvalidInput("invalid", f"{spec.label}应为：{labels}。", spec.name)
        return value
    text = str(value)
    problem = text_problem(text, multiline=True)
    if problem is not None:
        raise InvalidInput(problem[0], f"{spec.label}{problem[1]}", spec.name)
    if len(text) > NOTE_MAX_LENGTH:
        raise InvalidInput("too_long", f"{spec.label}不能超过 {NOTE_MAX_LENGTH} 字。", spec.name)
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
    _check_request(name, version)
    with moving(number) as moves:
        case = moves.apply(actor, name, version=version, inputs=inputs, now=now)
    return case


def _check_request(name: str, version: int | None) -> Transition:
    t = TRANSITIONS.get(name)
    if t is None:
        raise NotFound("unknown_transition", f"未知的操作：{name}", "name")
    if version is None:
        raise InvalidInput(
            "required", "请提供案卷版本号（version），以防覆盖他人的修改。", "version"
        )
    return t


@contextmanager
def moving(case: str | Case) -> Iterator[Moves]:
    """One transaction for the moves of a case; they are written when the block ends.

    `case` is the case number, or a Case just read or returned by an action and not
    changed since: then only its version is read (locking the row) and, if it moved on,
    the case is read afresh. A refused move raises out of the block and nothing of the
    block is written.
    """
    with transaction.atomic():
        moves = Moves(case)
        yield moves
        moves.save()


class Moves:
    """The moves of one case inside `moving`: applied in memory, written by `save`."""

    def __init__(self, case: str | Case) -> None:
        if isinstance(case, Case):
            self.number = case.number
            stored = list(
                Case.objects.select_for_update()
                .filter(pk=case.pk)
                .values_list("version", flat=True)
            )
            in_hand = stored == [case.version] and Case.type.is_cached(case)
            self.case = case if in_hand else self._read(self.number)
        else:
            self.number = case
            self.case = self._read(case)
        self._reset()

    @staticmethod
    def _read(number: str) -> Case | None:
        # Only the type is joined (guards and time limits read it); of=("self",) keeps the
        # lock on the case row alone.
        return (
            Case.objects.select_for_update(of=("self",))
            .select_related("type")
            .filter(number=number)
            .order_by()
            .first()
        )

    def _reset(self) -> None:
        case = self.case
        self._before = _snapshot(case) if case is not None else {}
        self._stored_version = case.version if case is not None else 0
        self._stages = StageBook(case) if case is not None else None
        self._events: list[CaseEvent] = []

    def apply(
        self,
        actor: User,
        name: str,
        *,
        version: int | None,
        inputs: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> Case:
        """Check and apply one move (exactly as `apply_transition` does) to the case in memory."""
        t = _check_request(name, version)
        now = now or timezone.now()
        case, number = self.case, self.number
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
        ctx = Context(actor, case, t, _clean_inputs(t, inputs or {}), now, {}, self._stages)
        from_state = case.state
        for effect in t.effects:
            effect(ctx)
        for counter in t.counters:
            setattr(case, counter, getattr(case, counter) + 1)
        _move_clock(ctx)
        if t.target == PREVIOUS:
            case.state, case.resume_state = case.resume_state, ""
        else:
            if t.saves_previous:
                case.resume_state = from_state
            case.state = t.target
        case.version += 1
        case.updated_at = timezone.now()
        self._events.append(
            CaseEvent(
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
        )
        return case

    def save(self) -> None:
        """Write what the moves changed: one conditional UPDATE of the case (of two
        concurrent writers, including on SQLite without a row lock, only one matches), its
        stage records and its timeline rows."""
        case = self.case
        if case is None or not self._events:
            return
        assert self._stages is not None
        self._stages.save()
        changes = {k: v for k, v in _snapshot(case).items() if self._before.get(k) != v}
        updated = Case.objects.filter(pk=case.pk, version=self._stored_version).update(**changes)
        if updated != 1:
            raise Conflict(
                "stale_version", f"案卷 {self.number} 已被他人修改，请刷新后重试。", "version"
            )
        CaseEvent.objects.bulk_create(self._events)
        self._reset()
