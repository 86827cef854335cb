"""Indicators of people in a command-centre role (派遣员, 值班长), from the moves they made.

One aggregate query over the timeline (`CaseEvent`) per evaluation, grouped by the actor;
"on time" is read from the stage record the move finished (the record of the same case and
stage whose end is the move's moment), so no per-case Python loop. Scoped to the cases the
reader may see. Definitions, for moves in the period:

- 派遣员: 派遣数 = their 派遣 moves; 按时派遣率 = of those, the ones that ended the 派遣 stage
  within its limit; 准确派遣率 = (派遣数 − 返工数) / 派遣数, 返工数 = their dispatches of a case
  later sent back for rework (核查不通过 or 值班长返工).
- 值班长: 按时立案率 = their 立案 moves that ended the 立案 stage within its limit / their 立案
  moves; 准确立案率 = (立案数 − 作废数) / 立案数, 作废数 = the cases they registered that are
  作废 now (this loop voids only before 立案, so it is 100 % whenever they registered any —
  the formula stays for schemes and data imported from systems that void later);
  按时结案率 = their 结案 moves that ended the 结案 stage within its limit / their 结案 moves.

Not yet: 监督员 (有效上报率, 漏报率, 按时核实率, 按时核查率) and 受理员 (受理数,
核实/核查按时派发率).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q

from yiwang.cases.models import Case, CaseEvent, CaseStageRecord, Stage, State
from yiwang.cases.scope import in_scope
from yiwang.core.errors import InvalidInput
from yiwang.evaluation.models import Scheme
from yiwang.evaluation.periods import Period
from yiwang.evaluation.queries import REWORK_MOVES, Row, _rank, _window, current_scheme
from yiwang.evaluation.scheme import score_subject
from yiwang.evaluation.scoring import rate
from yiwang.org.models import User

# Role → (its moves, the stage each move ends).
MOVES: dict[str, dict[str, str]] = {
    "dispatcher": {"dispatch": Stage.DISPATCH},
    "shift_lead": {"register": Stage.REGISTER, "close": Stage.CLOSE},
}


def _ended_on_time(stage: str) -> Exists:
    return Exists(
        CaseStageRecord.objects.filter(
            case_id=OuterRef("case_id"),
            stage=stage,
            finished_at=OuterRef("at"),
            finished_at__lte=F("due_at"),
        )
    )


def person_rows(user: User, period: Period, role: str, scheme: Scheme | None = None) -> list[Row]:
    """Every person of `role` who made a counted move in the period, scored and ranked."""
    if role not in MOVES:
        raise InvalidInput("invalid_subject", "考核对象应为派遣员或值班长", field="subject")
    scheme = scheme or current_scheme()
    counts = (
        _counts_dispatcher(user, period)
        if role == "dispatcher"
        else _counts_shift_lead(user, period)
    )
    people = {
        u.pk: u for u in User.objects.filter(pk__in=list(counts), role=role).only("id", "username")
    }
    rows = []
    for pk, c in counts.items():
        person = people.get(pk)
        if person is None:  # a move made by someone who has another role now
            continue
        rates: dict[str, Decimal | None]
        if role == "dispatcher":
            rates = {
                "on_time_dispatch_rate": rate(c["dispatched_on_time"], c["dispatched"]),
                "accurate_dispatch_rate": _share_not(c["dispatched"], c["dispatch_reworked"]),
            }
            values: dict[str, Decimal | int | None] = {**rates, "dispatch_count": c["dispatched"]}
        else:
            rates = {
                "on_time_register_rate": rate(c["registered_on_time"], c["registered"]),
                "accurate_register_rate": _share_not(c["registered"], c["registered_voided"]),
                "on_time_close_rate": rate(c["closed_on_time"], c["closed"]),
            }
            values = dict(rates)
        result = score_subject(scheme.definition, role, values)
        name = person.get_full_name() or person.username
        rows.append(Row(pk, name, c, rates, result, scheme.label))
    return _rank(rows)


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


def _events(user: User, period: Period, transitions: list[str]):  # type: ignore[no-untyped-def]
    return CaseEvent.objects.filter(
        _window("at", period),
        transition__in=transitions,
        actor__isnull=False,
        case_id__in=in_scope(Case.objects.all(), user).values("id"),
    ).order_by()


def _share_not(total: int, part: int) -> Decimal | None:
    return rate(total - part, total)
