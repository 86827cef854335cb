"""Loading the whole demo city, phase by phase, with progress on stderr.

The order matters: the organisation first (grids belong to communities, staff to
departments), then grids (components and cases are located in them), components (cases
refer to them), the cases played through the workflow, and last what arrived by the
intake channels (cameras sit in grids, inspectors' tasks come from the cases).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO

from yiwang.core.progress import Progress
from yiwang.demo import cases, city, intake, passwords

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
    return Loaded(
        grids=grids,
        components=components,
        cases=created,
        cameras=arrived.cameras,
        received=arrived.received,
        keys=arrived.keys,
    )
