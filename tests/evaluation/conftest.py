"""The evaluation tests build cases with the case-loop tests' driver (`case_steps.Loop`)."""

from __future__ import annotations

import sys
from pathlib import Path

CASE_TESTS = str(Path(__file__).resolve().parents[1] / "cases")
if CASE_TESTS not in sys.path:
    sys.path.append(CASE_TESTS)

from datetime import datetime  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from case_steps import Loop, local  # noqa: E402

from case_support import POINT_B, City  # noqa: E402
from yiwang.cases.models import Case  # noqa: E402


def _closed(
    loop: Loop, reported: datetime, finished: datetime, inspector: Any = None, **report: Any
) -> Case:
    """Reported at `reported`, fixed at `finished`, checked at half past, closed an hour later."""
    inspector = inspector or loop.user("inspector")
    case = loop.report(now=reported, by=inspector, **report)
    for name in ("accept", "register", "dispatch", "accept_task"):
        case = loop.step(case, name, now=reported)
    case = loop.step(case, "finish", now=finished)
    checked = finished.replace(minute=30)
    case = loop.step(case, "send_check", now=checked, inspector_id=inspector.pk)
    case = loop.step(case, "check_pass", now=checked, by=inspector)
    return loop.step(case, "close", now=finished.replace(hour=finished.hour + 1))


@pytest.fixture
def march(city: City) -> dict[str, Case]:
    loop = Loop(city)
    # Street A (南园街道), one grid.
    a1 = _closed(loop, local(2026, 3, 2, 9), local(2026, 3, 2, 11))  # 2 of 4 工作时: on time
    a2 = _closed(loop, local(2026, 3, 2, 9), local(2026, 3, 30, 10))  # four weeks: late
    a3 = loop.report(now=local(2026, 3, 3, 9))
    for name in ("accept", "register", "dispatch"):
        a3 = loop.step(a3, name, now=local(2026, 3, 3, 10))  # still open: due, not closed
    a4 = loop.report(source="public", now=local(2026, 3, 4, 9))  # public, not registered
    a5 = loop.step(loop.report(now=local(2026, 3, 5, 9)), "void", now=local(2026, 3, 5, 10))
    # Street B (园岭街道), one grid: one case closed on time in March, one in February.
    b1 = _closed(
        loop,
        local(2026, 3, 10, 9),
        local(2026, 3, 10, 11),
        point=POINT_B,
        inspector=city.inspector_b,
    )
    b0 = _closed(
        loop,
        local(2026, 2, 10, 9),
        local(2026, 2, 10, 11),
        point=POINT_B,
        inspector=city.inspector_b,
    )
    return {"a1": a1, "a2": a2, "a3": a3, "a4": a4, "a5": a5, "b1": b1, "b0": b0}


@pytest.fixture
def public_march(city: City, march: dict[str, Case]) -> dict[str, Case]:
    """Public reports and inspector reports of March beside `march`, for 监督员 and 受理员
    (all times Asia/Shanghai; March 2026 has no holiday; 核实 limit 2 工作时)."""
    loop = Loop(city)
    inspector_b = city.inspector_b
    # p1 (Wed 11th): public, first of its problem, verified and registered → 漏报 of A.
    # 核实 stage 09:00 → due 11:00: sent 09:30, verified 10:00, both on time.
    p1 = loop.report(source="public", now=local(2026, 3, 11, 9))
    p1 = loop.step(p1, "to_verify", now=local(2026, 3, 11, 9))
    p1 = loop.step(p1, "send_verify", now=local(2026, 3, 11, 9, 30))
    p1 = loop.step(p1, "verify_confirm", now=local(2026, 3, 11, 10))
    p1 = loop.step(p1, "register", now=local(2026, 3, 11, 10, 30))
    # i1 (Fri 13th): A reports at 09:00; p3, the public's report of the same problem at
    # 10:00, is merged into it → p3 is no 漏报 (an inspector was first).
    i1 = loop.report(now=local(2026, 3, 13, 9))
    i1 = loop.step(i1, "accept", now=local(2026, 3, 13, 9, 5))
    p3 = loop.report(source="public", now=local(2026, 3, 13, 10))
    p3 = loop.step(p3, "to_verify", now=local(2026, 3, 13, 10))
    p3 = loop.step(p3, "merge", now=local(2026, 3, 13, 10, 10), into=i1.number)
    i1 = loop.step(i1, "register", now=local(2026, 3, 13, 10, 30))
    # p4 (Mon 16th): the public first at 09:00, A's report i2 at 09:10 merged into it →
    # p4 is 漏报 of A and i2 an invalid (duplicate) report. 核实 09:30 → due 11:30: sent
    # 11:40 (late), verified 14:30 (late).
    p4 = loop.report(source="public", now=local(2026, 3, 16, 9))
    i2 = loop.report(now=local(2026, 3, 16, 9, 10))
    i2 = loop.step(i2, "merge", now=local(2026, 3, 16, 9, 20), into=p4.number)
    p4 = loop.step(p4, "to_verify", now=local(2026, 3, 16, 9, 30))
    p4 = loop.step(p4, "send_verify", now=local(2026, 3, 16, 11, 40))
    p4 = loop.step(p4, "verify_confirm", now=local(2026, 3, 16, 14, 30))
    p4 = loop.step(p4, "register", now=local(2026, 3, 16, 15))
    # p5 (Tue 17th): public, found untrue by A in time (10:00, due 11:00), voided → no 漏报.
    p5 = loop.report(source="public", now=local(2026, 3, 17, 9))
    p5 = loop.step(p5, "to_verify", now=local(2026, 3, 17, 9))
    p5 = loop.step(p5, "send_verify", now=local(2026, 3, 17, 9, 10))
    p5 = loop.step(p5, "verify_reject", now=local(2026, 3, 17, 10))
    p5 = loop.step(p5, "approve_void", now=local(2026, 3, 17, 10, 30))
    # p6 (Tue 17th): public in street B, verified by B in time, registered → 漏报 of B.
    p6 = loop.report(source="public", point=POINT_B, now=local(2026, 3, 17, 9))
    p6 = loop.step(p6, "to_verify", now=local(2026, 3, 17, 9))
    p6 = loop.step(p6, "send_verify", now=local(2026, 3, 17, 9, 10), inspector_id=inspector_b.pk)
    p6 = loop.step(p6, "verify_confirm", now=local(2026, 3, 17, 9, 30), by=inspector_b)
    p6 = loop.step(p6, "register", now=local(2026, 3, 17, 10))
    return {"p1": p1, "p3": p3, "p4": p4, "p5": p5, "p6": p6, "i1": i1, "i2": i2}
