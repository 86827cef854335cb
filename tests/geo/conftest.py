"""Grid-building helpers for the geo tests: small squares in 福田区 (lon 114.05, lat 22.54)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from grid_shapes import A1, A2, B1, SIZE, square_geometry

from yiwang.geo import actions
from yiwang.geo.models import UnitGrid
from yiwang.org.models import Division, User


@pytest.fixture
def make_grid(root: User) -> Callable[..., UnitGrid]:
    def make(code: str, lon: float, lat: float, size: float = SIZE, **kw: Any) -> UnitGrid:
        return actions.create_grid(
            root,
            code=code,
            name=kw.pop("name", f"网格{code[-3:]}"),
            community_code=kw.pop("community_code", code[:12]),
            geometry=square_geometry(lon, lat, size),
            **kw,
        )

    return make


@pytest.fixture
def three_grids(
    org_tree: dict[str, Division], make_grid: Callable[..., UnitGrid]
) -> dict[str, UnitGrid]:
    # A2 is created before A1 on purpose: border answers must not depend on insertion order.
    return {"a2": make_grid(*A2), "a1": make_grid(*A1), "b1": make_grid(*B1)}
