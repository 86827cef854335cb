"""Indicators of people in a role (监督员, 受理员, 派遣员, 值班长, 处置人员), from what they did.

A fixed number of aggregate queries per evaluation, grouped by the person (no per-person or
per-case query): the timeline (`CaseEvent`) for moves, the case row for reports. "On time"
is read from the stage records with correlated EXISTS subqueries. Scoped to the cases the
reader may see. Definitions, for a period [start, end) (docs/evaluation.md, "People"):

- 监督员: 上报数 = cases they reported (来源 监督员上报) in the period; 有效上报数 = of those,
  the ones registered (立案) or closed on the spot (自处理结案); 无效上报数 = the ones 已作废
  or 已合并 (a duplicate of another case); the rest are still undecided (待受理, 待立案,
  作废待审批) and count in neither. 有效上报率 = 有效 / (有效 + 无效).
  漏报数 = public problems (公众上报, 12345热线, reported in the period) in the inspector's
  area (the grids under their 管辖区划) that were real (the case, or the case it was merged
  into, was registered or closed) and were the first report of their problem: no case of
  the same merge group (the case it was merged into, or the cases merged into the same one)
  was reported before it — so a public report merged into an earlier inspector report is
  not 漏报, a public report that an inspector's later report was merged into is.
  漏报率 = 漏报数 / (漏报数 + 有效上报数). 按时核实率 = their 核实属实 / 核实不属实 moves made
  no later than the deadline of the 核实 stage running at that moment / those moves;
  按时核查率 likewise for 核查通过 / 核查不通过 against the running 核查 stage.
- 受理员: 受理数 = their 受理 and 受理并待核实 moves; 核实按时派发率 = their 派发核实 moves made no
  later than the deadline of the running 核实 stage / their 派发核实 moves; 核查按时派发率
  likewise for 派发核查 against the running 核查 stage. (The time-limit table has no limit of
  its own for sending a task: the stage's limit, which the send is part of, is the one used.)
- 派遣员: 派遣数 = their 派遣 moves; 按时派遣率 = of those, the ones that ended the 派遣 stage
  within its limit; 准确派遣率 = (派遣数 − 返工数) / 派遣数, 返工数 = their dispatches of a case
  later sent back for rework (核查不通过 or 值班长返工).
- 值班长: 按时立案率 = their 立案 moves that ended the 立案 stage within its limit / their 立案
  moves; 准确立案率 = (立案数 − 作废数) / 立案数, 作废数 = the cases they registered that are
  作废 now (this loop voids only before 立案, so it is 100 % whenever they registered any —
  the formula stays for schemes and data imported from systems that void later);
  按时结案率 = their 结案 moves that ended the 结案 stage within its limit / their 结案 moves.
- 处置人员 (handlers of the departments): 处置数 = their 处置完毕 moves; 按期处置率 = of those,
  the ones that ended the 处置 stage within its limit (extensions included: an approved
  extension moves the stage's deadline); 返工数 = their 处置完毕 moves sent back for rework
  (核查不通过 or 值班长返工) before the case's next 处置完毕, 返工率 = 返工数 / 处置数;
  结案率 = the distinct cases they finished in the period that are 已结案 now / the distinct
  cases they finished. Shown, not scored by default: 接收任务, 申请回退 and 申请延期 moves.

Every rate with a zero denominator is None (无数据), see `scoring.rate`. System accounts (the
intake channels', which cannot sign in) are not people and are never listed.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from yiwang.cases.models import Case, CaseEvent, CaseStageRecord, Source, Stage, State
from yiwang.cases.scope import department_bound, in_scope
from yiwang.core.errors import InvalidInput
from yiwang.core.scope import scoped
from yiwang.evaluation.models import Scheme
from yiwang.evaluation.periods import Period
from yiwang.evaluation.queries import (
    PUBLIC_SOURCES,
    REWORK_MOVES,
    Row,
    _rank,
    _window,
    current_scheme,
)
from yiwang.evaluation.scheme import score_subject
from yiwang.evaluation.scoring import rate
from yiwang.org.models import User

ROLES = ("inspector", "operator", "dispatcher", "shift_lead", "handler")
# Accounts nobody signs in as — the intake channels' system accounts (公众上报（系统）, Open311
# …), which 受理 the cases they file — are not people and are not evaluated.
SYSTEM_ACCOUNT = Q(password__startswith=UNUSABLE_PASSWORD_PREFIX)
VERIFY_MOVES = ["verify_confirm", "verify_reject"]
CHECK_MOVES = ["check_pass", "check_fail"]
ACCEPT_MOVES = ["accept", "to_verify"]
INVALID_REPORT_STATES = [State.VOIDED, State.MERGED]


def _ended_on_time(stage: str) -> Exists:
    """The move ended a record of `stage` (finished at the move's moment) within its limit."""
    return Exists(
        CaseStageRecord.objects.filter(
            case_id=OuterRef("case_id"),
            stage=stage,
            finished_at=OuterRef("at"),
            finished_at__lte=F("due_at"),
        )
    )


def _within_running(stage: str) -> Exists:
    """The move was made while a record of `stage` ran (started, not yet finished before the
    move) and no later than that record's deadline. Used for moves that do not end the
    stage themselves (派发核实 inside 核实, 核实不属实 which waits for the 作废 approval)."""
    return Exists(
        CaseStageRecord.objects.filter(
            Q(finished_at__isnull=True) | Q(finished_at__gte=OuterRef("at")),
            case_id=OuterRef("case_id"),
            stage=stage,
            started_at__lte=OuterRef("at"),
            due_at__gte=OuterRef("at"),
        )
    )


def person_rows(user: User, period: Period, role: str, scheme: Scheme | None = None) -> list[Row]:
    """Every person of `role` who did something counted in the period (for inspectors also
    every active inspector whose area lies in the reader's scope: 漏报 needs no move of
    theirs), scored and ranked."""
    if role not in ROLES:
        raise InvalidInput(
            "invalid_subject",
            "考核对象应为监督员、受理员、派遣员、值班长或处置人员",
            field="subject",
        )
    scheme = scheme or current_scheme()
    if role == "inspector":
        return _inspector_rows(user, period, scheme)
    counts = {
        "operator": _counts_operator,
        "dispatcher": _counts_dispatcher,
        "shift_lead": _counts_shift_lead,
        "handler": _counts_handler,
    }[role](user, period)
    people = {
        u.pk: u
        for u in User.objects.filter(pk__in=list(counts), role=role)
        .exclude(SYSTEM_ACCOUNT)
        .select_related("department")
        .only("id", "username", "display_name", "first_name", "last_name", "department__name")
    }
    rows = []
    for pk, c in counts.items():
        person = people.get(pk)
        if person is None:  # a move made by someone who has another role now
            continue
        rates: dict[str, Decimal | None]
        values: dict[str, Decimal | int | None]
        if role == "operator":
            rates = {
                "verify_send_on_time_rate": rate(c["verify_sent_on_time"], c["verify_sent"]),
                "check_send_on_time_rate": rate(c["check_sent_on_time"], c["check_sent"]),
            }
            values = {**rates, "accept_count": c["accepted"]}
        elif role == "dispatcher":
            rates = {
                "on_time_dispatch_rate": rate(c["dispatched_on_time"], c["dispatched"]),
                "accurate_dispatch_rate": _share_not(c["dispatched"], c["dispatch_reworked"]),
            }
            values = {**rates, "dispatch_count": c["dispatched"]}
        elif role == "handler":
            rates = {
                "on_time_handle_rate": rate(c["finished_on_time"], c["finished"]),
                "rework_rate": rate(c["finish_reworked"], c["finished"]),
                "close_rate": rate(c["finished_cases_closed"], c["finished_cases"]),
            }
            values = {**rates, "finish_count": c["finished"]}
        else:
            rates = {
                "on_time_register_rate": rate(c["registered_on_time"], c["registered"]),
                "accurate_register_rate": _share_not(c["registered"], c["registered_voided"]),
                "on_time_close_rate": rate(c["closed_on_time"], c["closed"]),
            }
            values = dict(rates)
        result = score_subject(scheme.definition, role, values)
        name = _name(person)
        extra: dict[str, str] = {}
        if role == "handler" and person.department is not None:
            # Handlers of several departments share one ranking: the name says whose (the
            # page shows the department on a line of its own, from `extra`).
            extra = {"person": name, "department": person.department.name}
            name = f"{name}（{person.department.name}）"
        rows.append(Row(pk, name, c, rates, result, scheme.label, extra=extra))
    return _rank(rows)


def _name(person: User) -> str:
    return person.display_name or person.get_full_name() or person.username


# ---- 监督员 ---------------------------------------------------------------------------------

INSPECTOR_ZERO = {
    "reported": 0,
    "valid_reports": 0,
    "invalid_reports": 0,
    "missed": 0,
    "verified": 0,
    "verified_on_time": 0,
    "checked": 0,
    "checked_on_time": 0,
}


def _inspector_rows(user: User, period: Period, scheme: Scheme) -> list[Row]:
    scoped_cases = in_scope(Case.objects.all(), user)
    reports = {
        row.pop("reporter_id"): row
        for row in scoped_cases.filter(
            _window("reported_at", period), source=Source.INSPECTOR, reporter__isnull=False
        )
        .order_by()
        .values("reporter_id")
        .annotate(
            reported=Count("id"),
            valid_reports=Count(
                "id", filter=Q(registered_at__isnull=False) | Q(state=State.CLOSED)
            ),
            invalid_reports=Count("id", filter=Q(state__in=INVALID_REPORT_STATES)),
        )
    }
    moves = {
        row.pop("actor_id"): row
        for row in _events(user, period, [*VERIFY_MOVES, *CHECK_MOVES])
        .annotate(
            verify_in_time=_within_running(Stage.VERIFY),
            check_in_time=_within_running(Stage.CHECK),
        )
        .values("actor_id")
        .annotate(
            verified=Count("id", filter=Q(transition__in=VERIFY_MOVES)),
            verified_on_time=Count(
                "id", filter=Q(transition__in=VERIFY_MOVES, verify_in_time=True)
            ),
            checked=Count("id", filter=Q(transition__in=CHECK_MOVES)),
            checked_on_time=Count("id", filter=Q(transition__in=CHECK_MOVES, check_in_time=True)),
        )
    }
    missed_by_path = _missed_by_path(scoped_cases, period)
    # Inspectors who did something counted, and every active inspector whose area is in the
    # reader's scope (one with no report at all can still have missed problems).
    inspectors = (
        User.objects.filter(role="inspector")
        .exclude(SYSTEM_ACCOUNT)
        .filter(
            Q(pk__in=list(reports) + list(moves))
            | Q(pk__in=scoped(User.objects.filter(is_active=True), user, "division__path"))
        )
        .select_related("division")
    )
    rows = []
    for person in inspectors:
        c: dict[str, int] = {
            **INSPECTOR_ZERO,
            **reports.get(person.pk, {}),
            **moves.get(person.pk, {}),
        }
        area = person.division.path if person.division is not None else None
        missed_rate: Decimal | None
        if area is None:  # no area: nothing can be missed in it, and nothing is known
            missed_rate = None
        else:
            c["missed"] = sum(n for path, n in missed_by_path.items() if path.startswith(area))
            missed_rate = rate(c["missed"], c["missed"] + c["valid_reports"])
        rates: dict[str, Decimal | None] = {
            "valid_report_rate": rate(
                c["valid_reports"], c["valid_reports"] + c["invalid_reports"]
            ),
            "missed_report_rate": missed_rate,
            "on_time_verify_rate": rate(c["verified_on_time"], c["verified"]),
            "on_time_check_rate": rate(c["checked_on_time"], c["checked"]),
        }
        result = score_subject(scheme.definition, "inspector", dict(rates))
        rows.append(Row(person.pk, _name(person), c, rates, result, scheme.label))
    return _rank(rows)


def _missed_by_path(scoped_cases: QuerySet[Case], period: Period) -> dict[str, int]:
    """漏报: public reports of the period that were real and first of their problem, counted
    per division path (a community's; an inspector's area is a path prefix)."""
    group = Case.objects.filter(Q(pk=OuterRef("root")) | Q(merged_into_id=OuterRef("root")))
    earlier = group.filter(
        Q(reported_at__lt=OuterRef("reported_at"))
        | Q(reported_at=OuterRef("reported_at"), pk__lt=OuterRef("pk"))
    )
    real = Case.objects.filter(pk=OuterRef("root")).filter(
        Q(registered_at__isnull=False) | Q(state=State.CLOSED)
    )
    rows = (
        scoped_cases.filter(_window("reported_at", period), source__in=PUBLIC_SOURCES)
        .annotate(root=Coalesce("merged_into_id", "id"))
        .annotate(is_real=Exists(real), has_earlier=Exists(earlier))
        .filter(is_real=True, has_earlier=False)
        .order_by()
        .values("division_path")
        .annotate(n=Count("id"))
    )
    return {row["division_path"]: row["n"] for row in rows}


# ---- 受理员 ---------------------------------------------------------------------------------


def _counts_operator(user: User, period: Period) -> dict[int, dict[str, int]]:
    events = _events(user, period, [*ACCEPT_MOVES, "send_verify", "send_check"]).annotate(
        verify_in_time=_within_running(Stage.VERIFY),
        check_in_time=_within_running(Stage.CHECK),
    )
    verify = Q(transition="send_verify")
    check = Q(transition="send_check")
    return {
        row.pop("actor_id"): row
        for row in events.values("actor_id").annotate(
            accepted=Count("id", filter=Q(transition__in=ACCEPT_MOVES)),
            verify_sent=Count("id", filter=verify),
            verify_sent_on_time=Count("id", filter=verify & Q(verify_in_time=True)),
            check_sent=Count("id", filter=check),
            check_sent_on_time=Count("id", filter=check & Q(check_in_time=True)),
        )
    }


# ---- 派遣员, 值班长 -------------------------------------------------------------------------


def _counts_dispatcher(user: User, period: Period) -> dict[int, dict[str, int]]:
    events = _events(user, period, ["dispatch"]).annotate(
        in_time=_ended_on_time(Stage.DISPATCH),
        reworked=Exists(
            CaseEvent.objects.filter(
                case_id=OuterRef("case_id"), transition__in=REWORK_MOVES, at__gt=OuterRef("at")
            )
        ),
    )
    return {
        row.pop("actor_id"): row
        for row in events.values("actor_id").annotate(
            dispatched=Count("id"),
            dispatched_on_time=Count("id", filter=Q(in_time=True)),
            dispatch_reworked=Count("id", filter=Q(reworked=True)),
        )
    }


def _counts_shift_lead(user: User, period: Period) -> dict[int, dict[str, int]]:
    events = _events(user, period, ["register", "close"]).annotate(
        register_in_time=_ended_on_time(Stage.REGISTER),
        close_in_time=_ended_on_time(Stage.CLOSE),
        now_voided=Exists(Case.objects.filter(pk=OuterRef("case_id"), state=State.VOIDED)),
    )
    registers = Q(transition="register")
    closes = Q(transition="close")
    return {
        row.pop("actor_id"): row
        for row in events.values("actor_id").annotate(
            registered=Count("id", filter=registers),
            registered_on_time=Count("id", filter=registers & Q(register_in_time=True)),
            registered_voided=Count("id", filter=registers & Q(now_voided=True)),
            closed=Count("id", filter=closes),
            closed_on_time=Count("id", filter=closes & Q(close_in_time=True)),
        )
    }


# ---- 处置人员 -------------------------------------------------------------------------------

HANDLER_MOVES = ["accept_task", "finish", "request_return", "request_extension"]


def _counts_handler(user: User, period: Period) -> dict[int, dict[str, int]]:
    # A rework belongs to the fix it rejects: the 处置完毕 just before it. So a finish is
    # reworked when a rework move follows it with no other 处置完毕 in between (a second
    # handler's fix that passed is not charged with the first one's rework, and vice versa).
    later_finish = CaseEvent.objects.filter(
        case_id=OuterRef(OuterRef("case_id")),
        transition="finish",
        at__gt=OuterRef(OuterRef("at")),
        at__lt=OuterRef("at"),
    )
    reworked = Exists(
        CaseEvent.objects.filter(
            case_id=OuterRef("case_id"), transition__in=REWORK_MOVES, at__gt=OuterRef("at")
        )
        .annotate(refixed_before=Exists(later_finish))
        .filter(refixed_before=False)
    )
    events = _events(user, period, HANDLER_MOVES).annotate(
        in_time=_ended_on_time(Stage.HANDLE),
        reworked=reworked,
        closed_now=Exists(Case.objects.filter(pk=OuterRef("case_id"), state=State.CLOSED)),
    )
    finishes = Q(transition="finish")
    return {
        row.pop("actor_id"): row
        for row in events.values("actor_id").annotate(
            tasks_accepted=Count("id", filter=Q(transition="accept_task")),
            finished=Count("id", filter=finishes),
            finished_on_time=Count("id", filter=finishes & Q(in_time=True)),
            finish_reworked=Count("id", filter=finishes & Q(reworked=True)),
            finished_cases=Count("case_id", filter=finishes, distinct=True),
            finished_cases_closed=Count(
                "case_id", filter=finishes & Q(closed_now=True), distinct=True
            ),
            return_requests=Count("id", filter=Q(transition="request_return")),
            extension_requests=Count("id", filter=Q(transition="request_extension")),
        )
    }


def _events(user: User, period: Period, transitions: list[str]) -> QuerySet[CaseEvent]:
    """The period's moves on cases the reader may see. The division rule is applied to the
    case joined in (`scoped` on its path): `case_id IN (every case of the scope)` made
    PostgreSQL read the whole case table for a city-wide reader (bench_people: 1.6 s →
    see bench/README.md). A department-bound reader keeps the case scope's own subquery."""
    events = CaseEvent.objects.filter(
        _window("at", period), transition__in=transitions, actor__isnull=False
    )
    if department_bound(user):
        events = events.filter(case_id__in=in_scope(Case.objects.all(), user).values("id"))
    else:
        events = scoped(events, user, "case__division_path")
    return events.order_by()


def _share_not(total: int, part: int) -> Decimal | None:
    return rate(total - part, total)
