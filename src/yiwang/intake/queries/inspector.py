"""The inspector's phone (城管通): the inspector's tasks, nearest first."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from yiwang.cases import queries as case_queries
from yiwang.cases.models import Case
from yiwang.intake.queries.common import EARTH_RADIUS_M
from yiwang.org.models import User

# ---- the inspector's phone (城管通) --------------------------------------------------------

# The tasks one phone list shows; an inspector has tens, not hundreds.
TASK_LIST_LIMIT = 200


@dataclass(frozen=True)
class Task:
    case: Case
    kind: str  # "verify" | "check"
    distance_m: float | None  # from the phone's position, when it gave one


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (good to about 0.5 % against the ellipsoid)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def inspector_tasks(user: User, lon: float | None = None, lat: float | None = None) -> list[Task]:
    """The user's 核实 and 核查 tasks: nearest first from (lon, lat), else earliest due first.

    The worklists of the case loop decide what is a task (state, assignee, scope); the
    distance is computed here for the few rows, which keeps the database portable.
    """
    tasks: list[Task] = []
    for key, kind in (("verify_tasks", "verify"), ("check_tasks", "check")):
        for case in case_queries.worklist(user, key)[:TASK_LIST_LIMIT]:
            distance = (
                None if lon is None or lat is None else haversine_m(lon, lat, case.lon, case.lat)
            )
            tasks.append(Task(case, kind, distance))
    far = float("inf")
    no_due = datetime.max.replace(tzinfo=UTC)
    tasks.sort(
        key=lambda t: (
            far if t.distance_m is None else t.distance_m,
            t.case.stage_due_at or no_due,
            t.case.pk,
        )
    )
    return tasks[:TASK_LIST_LIMIT]
