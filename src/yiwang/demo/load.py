"""Loading the whole demo city, phase by phase, with progress on stderr.

The order matters: the organisation first (grids belong to communities, staff to
departments), then grids (components and cases are located in them), components (cases
refer to them), and the cases played through the workflow last.
"""

from __future__ import annotations

from typing import IO

from yiwang.core.progress import Progress
from yiwang.demo import cases, city, passwords

COMPONENT_CHUNK = 100


def build(stream: IO[str] | None = None) -> dict[str, int]:
    """Create what is missing of the demo city; returns how many grids, components and
    cases were created (all 0 when it is loaded already)."""
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
    return {"grids": grids, "components": components, "cases": created}
