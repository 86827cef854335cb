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
