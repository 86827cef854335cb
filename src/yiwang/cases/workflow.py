"""The case loop as a declared transition table.

Every move a case can make is one row below: where it may start, where it ends,
who may make it, what it needs as input, and what it does to the stage clock.
`cases.engine.apply_transition` is the one function that applies any of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from django.utils.translation import gettext_noop

from yiwang.cases import steps
from yiwang.cases.models import Stage, State
from yiwang.cases.steps import Effect, Guard
from yiwang.org.roles import Role

# Labels stay plain Chinese str (engine messages, the API); gettext_noop only lists them
# for makemessages, and the pages translate them when they show them.
PREVIOUS = "previous"  # target meaning: back to the state saved when the request was made


class Clock(Enum):
    KEEP = "keep"  # the current stage goes on
    START = "start"  # finish the current stage record and start `stage`
    PAUSE = "pause"  # stop the clock (挂账); remaining allowance kept
    RESUME = "resume"  # restart the clock with the remaining allowance
    STOP = "stop"  # finish the current stage; no new one (final states)


class Holder(Enum):
    """Beyond the role: whose case it must be."""

    ANY = "any"  # anyone of the role within scope
    ASSIGNEE = "assignee"  # the inspector the task was given to
    DEPARTMENT = "department"  # a member of the case's current department
    REPORTER = "reporter"  # the inspector who reported it


@dataclass(frozen=True)
class Input:
    name: str
    label: str
    kind: str = "text"  # text | int | decimal | choice | user | department | case | flag
    required: bool = True
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    holder: Holder = Holder.ANY
    inputs: tuple[Input, ...] = ()
    clock: Clock = Clock.KEEP
    stage: str | None = None  # the stage started by Clock.START
    saves_previous: bool = False  # remember the current state for a later PREVIOUS
    event: str = ""
    counters: tuple[str, ...] = ()  # Case integer fields incremented
    guards: tuple[Guard, ...] = ()  # preconditions beyond role and state, in order
    effects: tuple[Effect, ...] = field(default=())  # what the move does besides the state
    photo_phase: str = ""  # photos may come with the move, stored as this phase

    @property
    def event_type(self) -> str:
        return self.event or f"case.{self.name}"


NOTE = Input("note", gettext_noop("意见"), required=False)
REASON = Input("note", gettext_noop("理由"), required=True)
INSPECTOR = Input("inspector_id", gettext_noop("监督员"), kind="user")
DEPARTMENT = Input("department_id", gettext_noop("处置部门"), kind="department")
INTO = Input("into", gettext_noop("合并到案卷号"), kind="case")
OTHER_TYPE = Input(
    "other_type", gettext_noop("允许合并到不同类型的案卷"), kind="flag", required=False
)
# Where a duplicate may be merged from: before it is registered (立案) and while no inspector
# holds it. A registered case is already counted and on its way to a department; a case in
# 核实中 is an inspector's field task, which a merge would take away behind their back (the
# inspector's 核实不属实 or the operator after 核实属实 can still merge or void it).
MERGE_SOURCES: set[str] = {State.REPORTED, State.PENDING_VERIFY, State.PENDING_REGISTER}
MERGE_ROLES: set[str] = {Role.OPERATOR, Role.SHIFT_LEAD}

S = State
R = Role


def _t(
    name: str, label: str, sources: set[str], target: str, roles: set[str], **kw: object
) -> Transition:
    return Transition(name, label, frozenset(sources), target, frozenset(roles), **kw)  # type: ignore[arg-type]


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        # 受理
        _t(
            "accept",
            gettext_noop("受理"),
            {S.REPORTED},
            S.PENDING_REGISTER,
            {R.OPERATOR},
            inputs=(NOTE,),
            clock=Clock.START,
            stage=Stage.REGISTER,
            guards=(steps.inspector_source,),
        ),
        _t(
            "to_verify",
            gettext_noop("受理并待核实"),
            {S.REPORTED},
            S.PENDING_VERIFY,
            {R.OPERATOR},
            inputs=(NOTE,),
            clock=Clock.START,
            stage=Stage.VERIFY,
            guards=(steps.not_inspector_source,),
        ),
        _t(
            "send_verify",
            gettext_noop("派发核实"),
            {S.PENDING_VERIFY},
            S.VERIFYING,
            {R.OPERATOR},
            inputs=(INSPECTOR, NOTE),
            effects=(steps.assign_inspector,),
        ),
        # 核实
        _t(
            "verify_confirm",
            gettext_noop("核实属实"),
            {S.VERIFYING},
            S.PENDING_REGISTER,
            {R.INSPECTOR},
            holder=Holder.ASSIGNEE,
            inputs=(NOTE,),
            clock=Clock.START,
            stage=Stage.REGISTER,
            effects=(steps.clear_assignee,),
        ),
        _t(
            "verify_reject",
            gettext_noop("核实不属实"),
            {S.VERIFYING},
            S.VOID_REQUESTED,
            {R.INSPECTOR},
            holder=Holder.ASSIGNEE,
            inputs=(REASON,),
            saves_previous=True,
            # The inspector keeps the task: if the void is denied it is theirs to verify again.
        ),
        # 作废
        _t(
            "request_void",
            gettext_noop("申请作废"),
            {S.REPORTED, S.PENDING_VERIFY, S.PENDING_REGISTER},
            S.VOID_REQUESTED,
            {R.OPERATOR},
            inputs=(REASON,),
            saves_previous=True,
        ),
        _t(
            "approve_void",
            gettext_noop("批准作废"),
            {S.VOID_REQUESTED},
            S.VOIDED,
            {R.SHIFT_LEAD},
            inputs=(NOTE,),
            clock=Clock.STOP,
            effects=(steps.clear_assignee,),
        ),
        _t(
            "deny_void",
            gettext_noop("驳回作废"),
            {S.VOID_REQUESTED},
            PREVIOUS,
            {R.SHIFT_LEAD},
            inputs=(REASON,),
        ),
        _t(
            "void",
            gettext_noop("作废"),
            {S.REPORTED, S.PENDING_REGISTER},
            S.VOIDED,
            {R.SHIFT_LEAD},
            inputs=(REASON,),
            clock=Clock.STOP,
        ),
        # 立案
        _t(
            "register",
            gettext_noop("立案"),
            {S.PENDING_REGISTER},
            S.PENDING_DISPATCH,
            {R.SHIFT_LEAD},
            inputs=(NOTE,),
            clock=Clock.START,
            stage=Stage.DISPATCH,
            effects=(steps.mark_registered,),
        ),
        # 派遣
        _t(
            "dispatch",
            gettext_noop("派遣"),
            {S.PENDING_DISPATCH},
            S.DISPATCHED,
            {R.DISPATCHER},
            inputs=(DEPARTMENT, NOTE),
            clock=Clock.START,
            stage=Stage.HANDLE,
            effects=(steps.set_department, steps.mark_dispatched),
        ),
        # 处置
        _t(
            "accept_task",
            gettext_noop("接收任务"),
            {S.DISPATCHED},
            S.HANDLING,
            {R.HANDLER},
            holder=Holder.DEPARTMENT,
            inputs=(NOTE,),
            effects=(steps.take_case,),
        ),
        _t(
            "request_return",
            gettext_noop("申请回退"),
            {S.DISPATCHED, S.HANDLING},
            S.RETURN_REQUESTED,
            {R.HANDLER},
            holder=Holder.DEPARTMENT,
            inputs=(REASON,),
            saves_previous=True,
        ),
        _t(
            "approve_return",
            gettext_noop("同意回退"),
            {S.RETURN_REQUESTED},
            S.PENDING_DISPATCH,
            {R.DISPATCHER},
            inputs=(NOTE,),
            clock=Clock.START,
            stage=Stage.DISPATCH,
            counters=("return_count",),
            effects=(steps.clear_department,),
        ),
        _t(
            "deny_return",
            gettext_noop("驳回回退"),
            {S.RETURN_REQUESTED},
            PREVIOUS,
            {R.DISPATCHER},
            inputs=(REASON,),
        ),
        _t(
            "request_extension",
            gettext_noop("申请延期"),
            {S.HANDLING},
            S.EXTENSION_REQUESTED,
            {R.HANDLER},
            holder=Holder.DEPARTMENT,
            inputs=(
                Input("amount", gettext_noop("延长时限"), kind="decimal"),
                Input(
                    "unit",
                    gettext_noop("单位"),
                    kind="choice",
                    choices=("hours", "work_hours", "work_days"),
                ),
                REASON,
            ),
            saves_previous=True,
            effects=(steps.store_extension_request,),
        ),
        _t(
            "approve_extension",
            gettext_noop("批准延期"),
            {S.EXTENSION_REQUESTED},
            PREVIOUS,
            {R.DISPATCHER},
            inputs=(NOTE,),
            counters=("extension_count",),
            effects=(steps.extend_deadline,),
        ),
        _t(
            "deny_extension",
            gettext_noop("驳回延期"),
            {S.EXTENSION_REQUESTED},
            PREVIOUS,
            {R.DISPATCHER},
            inputs=(REASON,),
            effects=(steps.clear_request,),
        ),
        _t(
            "request_suspend",
            gettext_noop("申请挂账"),
            {S.HANDLING},
            S.SUSPEND_REQUESTED,
            {R.HANDLER},
            holder=Holder.DEPARTMENT,
            inputs=(REASON,),
            saves_previous=True,
        ),
        _t(
            "approve_suspend",
            gettext_noop("批准挂账"),
            {S.SUSPEND_REQUESTED},
            S.SUSPENDED,
            {R.DISPATCHER},
            inputs=(NOTE,),
            clock=Clock.PAUSE,
        ),
        _t(
            "deny_suspend",
            gettext_noop("驳回挂账"),
            {S.SUSPEND_REQUESTED},
            PREVIOUS,
            {R.DISPATCHER},
            inputs=(REASON,),
        ),
        _t(
            "resume",
            gettext_noop("恢复"),
            {S.SUSPENDED},
            S.HANDLING,
            {R.DISPATCHER},
            inputs=(NOTE,),
            clock=Clock.RESUME,
        ),
        _t(
            "finish",
            gettext_noop("处置完毕"),
            {S.HANDLING},
            S.HANDLED,
            {R.HANDLER},
            holder=Holder.DEPARTMENT,
            inputs=(Input("result", gettext_noop("处置结果")),),
            clock=Clock.START,
            stage=Stage.CHECK,
            effects=(steps.store_result, steps.mark_handled),
            photo_phase="after",
        ),
        # 核查
        _t(
            "send_check",
            gettext_noop("派发核查"),
            {S.HANDLED},
            S.CHECKING,
            {R.OPERATOR},
            inputs=(INSPECTOR, NOTE),
            effects=(steps.assign_inspector,),
        ),
        _t(
            "check_pass",
            gettext_noop("核查通过"),
            {S.CHECKING},
            S.PENDING_CLOSE,
            {R.INSPECTOR},
            holder=Holder.ASSIGNEE,
            inputs=(NOTE,),
            clock=Clock.START,
            stage=Stage.CLOSE,
            effects=(steps.clear_assignee,),
        ),
        _t(
            "check_fail",
            gettext_noop("核查不通过（返工）"),
            {S.CHECKING},
            S.DISPATCHED,
            {R.INSPECTOR},
            holder=Holder.ASSIGNEE,
            inputs=(REASON,),
            clock=Clock.START,
            stage=Stage.HANDLE,
            counters=("rework_count",),
            effects=(steps.clear_assignee, steps.mark_dispatched),
        ),
        # 结案
        _t(
            "close",
            gettext_noop("结案"),
            {S.PENDING_CLOSE},
            S.CLOSED,
            {R.SHIFT_LEAD},
            inputs=(NOTE,),
            clock=Clock.STOP,
            effects=(steps.mark_closed,),
        ),
        _t(
            "rework",
            gettext_noop("返工"),
            {S.PENDING_CLOSE},
            S.DISPATCHED,
            {R.SHIFT_LEAD},
            inputs=(REASON,),
            clock=Clock.START,
            stage=Stage.HANDLE,
            counters=("rework_count",),
            effects=(steps.mark_dispatched,),
        ),
        # 合并: a duplicate follows the case it is merged into; its clock stops (the stage is
        # paused, as 挂账 pauses it) until the merge is undone.
        _t(
            "merge",
            gettext_noop("合并重复案卷"),
            MERGE_SOURCES,
            S.MERGED,
            MERGE_ROLES,
            inputs=(INTO, OTHER_TYPE, NOTE),
            clock=Clock.PAUSE,
            saves_previous=True,
            effects=(steps.merge_into,),
        ),
        _t(
            "unmerge",
            gettext_noop("撤销合并"),
            {S.MERGED},
            PREVIOUS,
            MERGE_ROLES,
            inputs=(REASON,),
            clock=Clock.RESUME,
            effects=(steps.unmerge,),
        ),
        _t(
            "self_close",
            gettext_noop("自处理结案"),
            {S.REPORTED},
            S.CLOSED,
            {R.INSPECTOR},
            holder=Holder.REPORTER,
            inputs=(Input("result", gettext_noop("处置结果")),),
            clock=Clock.STOP,
            guards=(steps.self_handle_type,),
            effects=(steps.store_result, steps.mark_closed),
        ),
    ]
}

# The stage whose clock runs when a case is first reported.
INITIAL_STAGE = Stage.ACCEPT
INITIAL_STATE = State.REPORTED


def transitions_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]
