"""Catalogue fixtures: two small grids, one per street of the org tree, built by actions."""

from __future__ import annotations

import pytest
from catalog_support import square

from yiwang.geo.actions import create_grid
from yiwang.geo.models import UnitGrid
from yiwang.org.models import Division, User


@pytest.fixture
def grids(root: User, org_tree: dict[str, Division]) -> dict[str, UnitGrid]:
    return {
        "a": create_grid(
            root,
            code="440304001001001",
            name="南华一格",
            community_code="440304001001",
            geometry=square(114.050, 22.540),
        ),
        "b": create_grid(
            root,
            code="440304002001001",
            name="园东一格",
            community_code="440304002001",
            geometry=square(114.052, 22.540),
        ),
    }
