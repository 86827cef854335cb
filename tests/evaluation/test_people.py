"""Indicators of 派遣员 and 值班长 from the moves they made (figures counted by hand)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from case_steps import Loop, local

from case_support import City
from yiwang.cases.models import Case
from yiwang.evaluation.people import person_rows
from yiwang.evaluation.periods import period_of

MARCH = period_of("month", date(2026, 3, 15))


def _reworked_case(city: City) -> Case:
    """a6: dispatched on 6 March, fixed, and sent back by the inspector's check (返工)."""
    loop = Loop(city)
    case = loop.report(now=local(2026, 3, 6, 9))
    for name in ("accept", "register", "dispatch", "accept_task"):
        case = loop.step(case, name, now=local(2026, 3, 6, 9))
    case = loop.step(case, "finish", now=local(2026, 3, 6, 10))
    case = loop.step(case, "send_check", now=local(2026, 3, 6, 10, 30))
    return loop.step(case, "check_fail", now=local(2026, 3, 6, 10, 30))


def test_dispatcher(city: City, march: dict[str, Case]) -> None:
    _reworked_case(city)
    (row,) = person_rows(city.users["leader"], MARCH, "dispatcher")
    assert row.key == city.users["dispatcher"].pk
    # March dispatches: a1, a2, a3, b1 and a6, each right after 立案 (on time); a6 reworked.
    assert (
        row.counts["dispatched"],
        row.counts["dispatched_on_time"],
        row.counts["dispatch_reworked"],
    ) == (5, 5, 1)
    assert row.rates["accurate_dispatch_rate"] == Decimal("0.8")
    # 5 dispatches → band ≤100 → 0; 0·20 + 100·40 + 80·40 = 7200 / 100 → 72, grade C.
    assert row.result.score == Decimal("72") and row.result.grade == "C"


def test_shift_lead(city: City, march: dict[str, Case], make_user: Any) -> None:
    _reworked_case(city)
    (row,) = person_rows(city.users["leader"], MARCH, "shift_lead")
    # 立案 in March: a1, a2, a3, b1, a6 (each right after 受理: on time); 结案: a1, a2, b1,
    # each half an hour after 核查通过 (on time); none of them 作废.
    c = row.counts
    assert (c["registered"], c["registered_on_time"], c["registered_voided"]) == (5, 5, 0)
    assert (c["closed"], c["closed_on_time"]) == (3, 3)
    assert row.result.score == Decimal("100") and row.result.grade == "A"
    # A street-B leader sees only street B's moves: b1's 立案 and 结案.
    leader_b = make_user("leader", "440304002")
    (b_row,) = person_rows(leader_b, MARCH, "shift_lead")
    assert (b_row.counts["registered"], b_row.counts["closed"]) == (1, 1)
