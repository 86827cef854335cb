"""Web fixtures: two grids (one per street) and one component in each, built by actions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from web_support import CENTRE_A, CENTRE_B, square

from yiwang.catalog.actions import create_component
from yiwang.geo import index as grid_index
from yiwang.geo.actions import create_grid
from yiwang.org.models import Division, User


@pytest.fixture(autouse=True)
def _fresh_grid_index() -> Iterator[None]:
    # Rolled-back tests also roll back the grid generation counter; never reuse an index.
    grid_index.invalidate()
    yield
    grid_index.invalidate()


@pytest.fixture
def demo(root: User, org_tree: dict[str, Division]) -> dict[str, Any]:
    grid_a = create_grid(
        root,
        code="440304001001001",
        name="南华一格",
        community_code="440304001001",
        geometry=square(*CENTRE_A),
    )
    grid_b = create_grid(
        root,
        code="440304002001001",
        name="园东一格",
        community_code="440304002001",
        geometry=square(*CENTRE_B),
    )
    lid_a = create_component(
        root,
        ident="44030401001000001",
        type_code="01001",
        name="南华供水井盖",
        lon=CENTRE_A[0],
        lat=CENTRE_A[1],
        state="damaged",
    )
    lid_b = create_component(
        root,
        ident="44030401002000001",
        type_code="01002",
        name="园东污水井盖",
        lon=CENTRE_B[0],
        lat=CENTRE_B[1],
    )
    return {"grid_a": grid_a, "grid_b": grid_b, "lid_a": lid_a, "lid_b": lid_b, **org_tree}
