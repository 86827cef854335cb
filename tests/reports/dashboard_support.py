"""Building a small day of cases for the dashboard tests, through the real case actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from case_support import POINT_A, POINT_B, City
from yiwang.cases import actions
from yiwang.cases.models import Case

# Who makes each move (a key of City.users) and what it needs.
ACTOR = {
    "accept": "operator",
    "register": "shift_lead",
    "dispatch": "dispatcher",
    "accept_task": "handler",
    "finish": "handler",
    "send_check": "operator",
    "check_pass": "inspector",
    "close": "shift_lead",
}
TO_CLOSED = (
    "accept",
    "register",
    "dispatch",
    "accept_task",
    "finish",
    "send_check",
    "check_pass",
    "close",
)
TYPES = [("matter", "06001"), ("matter", "06002"), ("matter", "06010"), ("component", "01001")]


@dataclass
class Day:
    """What was done, counted by the test itself (the expected figures)."""

    reported_today: dict[str, int] = field(default_factory=dict)  # by source
    registered: int = 0
    dispatched: int = 0
    closed: int = 0
    cases: list[Case] = field(default_factory=list)


def step(city: City, case: Case, name: str, *, now: datetime | None = None) -> Case:
    inputs: dict[str, Any] = {}
    if name == "dispatch":
        inputs = {"department_id": city.municipal.pk}
    elif name == "send_check":
        inputs = {"inspector_id": city.users["inspector"].pk}
    elif name == "finish":
        inputs = {"result": "已按要求处理完毕"}
    return actions.transition(
        city.users[ACTOR[name]], case.number, name, version=case.version, inputs=inputs, now=now
    )


def build_day(city: City, n: int = 36, *, old: int = 4, late: int = 0) -> Day:
    """`n` cases reported today from several sources and moved to different stages,
    `old` cases reported three days ago still waiting for acceptance (overdue now), and
    `late` cases dispatched to the municipal department thirty days ago (overdue there)."""
    day = Day()
    sources = ["inspector", "public", "hotline", "inspector", "video", "inspector"]
    inspected = 0
    for i in range(n):
        source = sources[i % len(sources)]
        kind, code = TYPES[i % len(TYPES)]
        by = city.users["inspector"] if source == "inspector" else city.users["operator"]
        point = POINT_A if source == "inspector" or i % 2 else POINT_B
        lon = point[0] + (i % 7) * 0.00012
        lat = point[1] + (i % 5) * 0.0002
        case = actions.report_case(
            by, kind=kind, type_code=code, title=f"大屏测试案卷{i}", lon=lon, lat=lat, source=source
        )
        day.reported_today[source] = day.reported_today.get(source, 0) + 1
        # Inspectors' reports go straight to acceptance; the others wait for verification.
        depth = inspected % 5 if source == "inspector" else 0
        inspected += source == "inspector"
        # depth: 0 reported, 1 accepted, 2 registered, 3 dispatched, 4 closed
        moves = {0: (), 1: TO_CLOSED[:1], 2: TO_CLOSED[:2], 3: TO_CLOSED[:4], 4: TO_CLOSED}[depth]
        for name in moves:
            case = step(city, case, name)
        day.registered += depth >= 2
        day.dispatched += depth >= 3
        day.closed += depth == 4
        day.cases.append(case)
    past = timezone.now() - timedelta(days=3)
    for i in range(old):
        day.cases.append(
            actions.report_case(
                city.users["inspector"],
                kind="matter",
                type_code="06001",
                title=f"超期未受理{i}",
                lon=POINT_A[0] + 0.0002 * i,
                lat=POINT_A[1] + 0.0009,
                source="inspector",
                now=past,
            )
        )
    month_ago = timezone.now() - timedelta(days=30)
    for i in range(late):
        case = actions.report_case(
            city.users["inspector"],
            kind="matter",
            type_code="06002",
            title=f"超期未处置{i}",
            lon=POINT_A[0] + 0.0002 * i,
            lat=POINT_A[1] - 0.0008,
            source="inspector",
            now=month_ago,
        )
        for name in TO_CLOSED[:3]:
            case = step(city, case, name, now=month_ago)
        day.cases.append(case)
    return day


def local_now() -> datetime:
    return timezone.localtime()
