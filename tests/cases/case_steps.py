"""Driving cases through the loop with the real actions, for the case-loop tests.

`Loop(city)` reports cases and applies transitions as the right person would;
`PATHS` names the ways to bring a fresh case into each state of the loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from case_support import POINT_A, City
from yiwang.cases import actions
from yiwang.cases.models import Case, CaseEvent, CaseStageRecord, State
from yiwang.org.models import User

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware datetime on the Asia/Shanghai wall clock."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


# Who normally makes each move (a key of City.users).
ACTOR_OF: dict[str, str] = {
    "accept": "operator",
    "to_verify": "operator",
    "send_verify": "operator",
    "request_void": "operator",
    "send_check": "operator",
    "verify_confirm": "inspector",
    "verify_reject": "inspector",
    "check_pass": "inspector",
    "check_fail": "inspector",
    "self_close": "inspector",
    "approve_void": "shift_lead",
    "deny_void": "shift_lead",
    "void": "shift_lead",
    "register": "shift_lead",
    "close": "shift_lead",
    "rework": "shift_lead",
    "dispatch": "dispatcher",
    "approve_return": "dispatcher",
    "deny_return": "dispatcher",
    "approve_extension": "dispatcher",
    "deny_extension": "dispatcher",
    "approve_suspend": "dispatcher",
    "deny_suspend": "dispatcher",
    "resume": "dispatcher",
    "accept_task": "handler",
    "request_return": "handler",
    "request_extension": "handler",
    "request_suspend": "handler",
    "finish": "handler",
    "merge": "operator",
    "unmerge": "shift_lead",
}
# Moves open to a second role besides the one in ACTOR_OF.
ALSO_ALLOWED: dict[str, set[str]] = {"merge": {"shift_lead"}, "unmerge": {"operator"}}

# Moves whose form requires a reason.
NEEDS_REASON = {
    "verify_reject",
    "request_void",
    "deny_void",
    "void",
    "request_return",
    "deny_return",
    "deny_extension",
    "request_suspend",
    "deny_suspend",
    "check_fail",
    "rework",
    "unmerge",
}


@dataclass(frozen=True)
class Path:
    state: str
    source: str  # "inspector" (reported by the street-A inspector) or "public" (by the operator)
    steps: tuple[str, ...] = ()


_MAIN = ("accept", "register", "dispatch", "accept_task")
PATHS: dict[str, Path] = {
    "reported": Path(State.REPORTED, "inspector"),
    "reported_public": Path(State.REPORTED, "public"),
    "pending_verify": Path(State.PENDING_VERIFY, "public", ("to_verify",)),
    "verifying": Path(State.VERIFYING, "public", ("to_verify", "send_verify")),
    "pending_register": Path(State.PENDING_REGISTER, "inspector", ("accept",)),
    "void_requested": Path(State.VOID_REQUESTED, "inspector", ("accept", "request_void")),
    "void_requested_reported": Path(State.VOID_REQUESTED, "inspector", ("request_void",)),
    "void_requested_pending_verify": Path(
        State.VOID_REQUESTED, "public", ("to_verify", "request_void")
    ),
    "void_requested_verify_reject": Path(
        State.VOID_REQUESTED, "public", ("to_verify", "send_verify", "verify_reject")
    ),
    "voided": Path(State.VOIDED, "inspector", ("void",)),
    "pending_dispatch": Path(State.PENDING_DISPATCH, "inspector", ("accept", "register")),
    "dispatched": Path(State.DISPATCHED, "inspector", _MAIN[:3]),
    "handling": Path(State.HANDLING, "inspector", _MAIN),
    "return_requested": Path(State.RETURN_REQUESTED, "inspector", (*_MAIN, "request_return")),
    "return_requested_dispatched": Path(
        State.RETURN_REQUESTED, "inspector", (*_MAIN[:3], "request_return")
    ),
    "extension_requested": Path(
        State.EXTENSION_REQUESTED, "inspector", (*_MAIN, "request_extension")
    ),
    "suspend_requested": Path(State.SUSPEND_REQUESTED, "inspector", (*_MAIN, "request_suspend")),
    "suspended": Path(State.SUSPENDED, "inspector", (*_MAIN, "request_suspend", "approve_suspend")),
    "handled": Path(State.HANDLED, "inspector", (*_MAIN, "finish")),
    "checking": Path(State.CHECKING, "inspector", (*_MAIN, "finish", "send_check")),
    "pending_close": Path(
        State.PENDING_CLOSE, "inspector", (*_MAIN, "finish", "send_check", "check_pass")
    ),
    "closed": Path(
        State.CLOSED, "inspector", (*_MAIN, "finish", "send_check", "check_pass", "close")
    ),
    # A public report merged into another open case (Loop.merge_target) as a duplicate.
    "merged": Path(State.MERGED, "public", ("merge",)),
}


@dataclass
class Loop:
    """Report cases and move them as the right person would, through the real actions."""

    city: City
    counter: int = field(default=0)
    # The open case duplicates are merged into, reported on first use.
    merge_target: Case | None = None

    def user(self, key: str) -> User:
        return self.city.users[key]

    def report(
        self,
        *,
        source: str = "inspector",
        by: User | None = None,
        type_code: str = "06001",
        kind: str = "matter",
        point: tuple[float, float] = POINT_A,
        now: datetime | None = None,
        **extra: Any,
    ) -> Case:
        self.counter += 1
        reporter = by or self.user("inspector" if source == "inspector" else "operator")
        fields: dict[str, Any] = {"title": f"测试案卷{self.counter}", **extra}
        return actions.report_case(
            reporter,
            kind=kind,
            type_code=type_code,
            lon=point[0],
            lat=point[1],
            source=source,
            now=now,
            **fields,
        )

    def inputs(self, name: str) -> dict[str, Any]:
        if name == "merge":
            if self.merge_target is None:
                self.merge_target = self.report(source="public")
            return {"into": self.merge_target.number}
        if name in ("send_verify", "send_check"):
            return {"inspector_id": self.user("inspector").pk}
        if name == "dispatch":
            return {"department_id": self.city.municipal.pk}
        if name in ("finish", "self_close"):
            return {"result": "已按要求处理完毕"}
        if name == "request_extension":
            return {"amount": "2", "unit": "work_days", "note": "材料未到货"}
        if name in NEEDS_REASON:
            return {"note": f"{name} 的理由"}
        return {}

    def step(
        self,
        case: Case,
        name: str,
        *,
        by: User | None = None,
        now: datetime | None = None,
        **inputs: Any,
    ) -> Case:
        actor = by or self.user(ACTOR_OF[name])
        given = inputs or self.inputs(name)
        return actions.transition(
            actor, case.number, name, version=case.version, inputs=given, now=now
        )

    def drive(self, key: str, **report: Any) -> Case:
        path = PATHS[key]
        case = self.report(source=path.source, **report)
        for name in path.steps:
            case = self.step(case, name)
        assert case.state == path.state, (key, case.state)
        return case


def snapshot(number: str) -> dict[str, Any]:
    """Everything a refused move must leave untouched."""
    row: dict[str, Any] = dict(Case.objects.filter(number=number).values().get())
    row["events"] = CaseEvent.objects.filter(case_id=row["id"]).count()
    row["stage_records"] = list(
        CaseStageRecord.objects.filter(case_id=row["id"]).order_by("id").values()
    )
    return row


def reload(case: Case) -> Case:
    return Case.objects.select_related("type", "department", "assignee").get(pk=case.pk)
