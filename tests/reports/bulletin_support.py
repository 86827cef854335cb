"""Cases with known timelines for the bulletin tests, built through the real case actions
(the case-loop tests' driver `case_steps.Loop`), and the numbers counted by hand."""

from __future__ import annotations

import sys
from pathlib import Path

CASE_TESTS = str(Path(__file__).resolve().parents[1] / "cases")
if CASE_TESTS not in sys.path:
    sys.path.append(CASE_TESTS)

from datetime import datetime  # noqa: E402
from typing import Any  # noqa: E402

from case_steps import Loop, local  # noqa: E402

from case_support import City  # noqa: E402
from yiwang.cases.models import Case  # noqa: E402

__all__ = ["Loop", "closed_case", "local", "march_day"]


def closed_case(
    loop: Loop, reported: datetime, finished: datetime, inspector: Any = None, **report: Any
) -> Case:
    """Reported at `reported` (accepted, registered, dispatched and taken at once), fixed
    at `finished`, checked at half past, closed an hour after `finished`."""
    inspector = inspector or loop.user("inspector")
    case = loop.report(now=reported, by=inspector, **report)
    for name in ("accept", "register", "dispatch", "accept_task"):
        case = loop.step(case, name, now=reported)
    case = loop.step(case, "finish", now=finished)
    checked = finished.replace(minute=30)
    case = loop.step(case, "send_check", now=checked, inspector_id=inspector.pk)
    case = loop.step(case, "check_pass", now=checked, by=inspector)
    return loop.step(case, "close", now=finished.replace(hour=finished.hour + 1))


def march_day(city: City) -> dict[str, Case]:
    """Cases around Monday 2 March 2026 (a working day; 1 March is a Sunday), street A.

    Time limits (cases.defaults): 受理 1 工作时; work hours 08–12, 14–18.
    """
    loop = Loop(city)
    cases: dict[str, Case] = {}
    # c5: reported Thursday 26 Feb 09:00, never accepted: overdue since 26 Feb 10:00.
    cases["c5"] = loop.report(now=local(2026, 2, 26, 9))
    # c3: reported Sunday 1 March; accepted, registered, dispatched Monday 10:00.
    c3 = loop.report(now=local(2026, 3, 1, 9), type_code="06002")
    for name in ("accept", "register", "dispatch"):
        c3 = loop.step(c3, name, now=local(2026, 3, 2, 10))
    cases["c3"] = c3
    # c4: reported Sunday 1 March, handled Monday 11:00, closed Monday 12:00.
    cases["c4"] = closed_case(loop, local(2026, 3, 1, 9), local(2026, 3, 2, 11))
    # c1: reported Monday 09:00 by the inspector, registered and dispatched at once.
    c1 = loop.report(now=local(2026, 3, 2, 9))
    for name in ("accept", "register", "dispatch"):
        c1 = loop.step(c1, name, now=local(2026, 3, 2, 9))
    cases["c1"] = c1
    # c2: a public report Monday 10:00, never accepted: 受理 due 11:00 the same day.
    cases["c2"] = loop.report(source="public", now=local(2026, 3, 2, 10))
    # c6: reported Monday 17:30, not accepted: due Tuesday 08:30 (not overdue on Monday).
    cases["c6"] = loop.report(now=local(2026, 3, 2, 17, 30))
    return cases
