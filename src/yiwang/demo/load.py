"""Loading the whole demo city, phase by phase, with progress on stderr.

The order matters: the organisation first (grids belong to communities, staff to
departments), then grids (components and cases are located in them), components (cases
refer to them), the cases played through the workflow, and last what arrived by the
intake channels (cameras sit in grids, inspectors' tasks come from the cases).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO

from django.utils import timezone

from yiwang.core.progress import Progress
from yiwang.demo import cases, city, intake, passwords
from yiwang.reports.bulletins import actions as bulletin_actions
from yiwang.reports.bulletins.common import SHANGHAI

COMPONENT_CHUNK = 100


@dataclass(frozen=True)
class Loaded:
    """What one load created (all 0 when the demo was loaded already)."""

    grids: int
    components: int
    cases: int
    cameras: int
    received: int  # alarms, work orders, requests and reports of the intake channels
    # Keys issued by this load (shown once: only their hashes are stored).
    keys: dict[str, str] = field(default_factory=dict)
    bulletins: int = 0  # scheduled bulletins issued (yesterday, last week, last month)


def build(stream: IO[str] | None = None, *, channels: bool = True) -> Loaded:
    """Create what is missing of the demo city (without the intake channels' data when
    `channels` is false: the benchmark times that step on its own)."""
    with passwords.quick_hashes():
        admin = city.ensure_admin()
        with Progress(
            "区划、部门与人员", city.organisation_size(), unit="项", stream=stream
        ) as bar:
            city.ensure_organisation(admin, advance=bar.advance)
        with Progress("单元网格", len(city.lattice()), unit="个", stream=stream) as bar:
            grids = city.ensure_grids(admin, advance=bar.advance)
        with Progress("部件", city.COMPONENT_COUNT, unit="个", stream=stream) as bar:
            components = city.ensure_components(admin, advance=bar.advance, chunk=COMPONENT_CHUNK)
        created = cases.build_cases(admin, stream=stream)
        arrived = intake.build_intake(admin, stream=stream) if channels else intake.IntakeLoaded()
        bulletins = issue_bulletins()
    return Loaded(
        grids=grids,
        components=components,
        cases=created,
        cameras=arrived.cameras,
        received=arrived.received,
        keys=arrived.keys,
        bulletins=bulletins,
    )


def issue_bulletins(now: datetime | None = None) -> int:
    """Yesterday's 日盘点, last week's 周分析 and last month's 月通报 of the demo city, as
    the worker's schedule issues them (once: a second load finds them and adds nothing).
    The worker's catch-up adds the older days and weeks when it starts."""
    now = now or timezone.now()
    today = now.astimezone(SHANGHAI).date()
    periods = (
        ("daily", today - timedelta(days=1)),
        ("weekly", today - timedelta(days=7)),
        ("monthly", today.replace(day=1) - timedelta(days=1)),
    )
    issued = 0
    for division in bulletin_actions.bulletin_divisions():
        for kind, day in periods:
            if bulletin_actions.issue(kind, day, division, now=now) is not None:
                issued += 1
    return issued
