"""The in-process spatial index of all unit grids.

Built once per process from the database and kept at module level together with the
``grids`` generation it was built from. Every lookup reads that generation (one small
query) and rebuilds when it moved, so a grid created or deleted by any process (web,
worker, another web process) is seen on the next lookup without a restart.

The index is not scoped: it answers "where is this point"; callers apply the user's scope.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely import STRtree

from yiwang.core import generations
from yiwang.geo.geometry import from_stored
from yiwang.geo.models import UnitGrid
from yiwang.org.models import Division

GENERATION = "grids"

# How close to a grid a point must be to count as on it: 1e-9° is about 0.1 mm, far below
# what any survey resolves and far above the float noise (~1e-13°) of the CRS conversions,
# so a border point given in GCJ-02 or BD-09 stays on the border after conversion.
ON_BORDER_DEG = 1e-9


@dataclass(frozen=True)
class GridEntry:
    """What a lookup answers with, resolved once at build time (no queries per lookup)."""

    grid_id: int
    grid_code: str
    grid_name: str
    community_code: str
    community_name: str
    street_code: str
    street_name: str
    district_code: str
    district_name: str
    division_path: str


@dataclass(frozen=True)
class GridIndex:
    generation: int
    entries: tuple[GridEntry, ...]  # sorted by grid code: a lower position = a smaller code
    polygons: Any  # numpy object array of prepared shapely polygons, aligned with entries
    tree: STRtree | None

    def hits(self, points: Any) -> Any:
        """For each point (numpy array of shapely Points) the entry position, or -1.

        The border rule (see ``geo.locate``): a point within ``ON_BORDER_DEG`` of a grid is
        in it, and of several such grids the one with the smallest code wins, so the
        answer never depends on insertion order or on the last bits of a conversion.
        """
        result = np.full(len(points), -1, dtype=np.int64)
        if self.tree is None or len(points) == 0:
            return result
        point_idx, grid_idx = self.tree.query(points, predicate="dwithin", distance=ON_BORDER_DEG)
        if len(point_idx) == 0:
            return result
        best = np.full(len(points), len(self.entries), dtype=np.int64)
        np.minimum.at(best, point_idx, grid_idx)
        found = best < len(self.entries)
        result[found] = best[found]
        return result


_lock = threading.Lock()
_index: GridIndex | None = None


def _ancestors(paths: list[str]) -> dict[str, Division]:
    codes = {code for path in paths for code in path.strip("/").split("/") if code}
    return {
        d.code: d for d in Division.objects.filter(code__in=codes).only("code", "name", "level")
    }


def build() -> GridIndex:
    # Read the generation before the rows: a change in between makes the next lookup rebuild.
    generation = generations.current(GENERATION)
    rows = list(
        UnitGrid.objects.order_by("code").values_list(
            "id", "code", "name", "geometry", "division_path"
        )
    )
    divisions = _ancestors([row[4] for row in rows])
    entries = []
    for grid_id, code, name, _, path in rows:
        chain = [divisions[c] for c in path.strip("/").split("/") if c in divisions]
        by_level = {d.level: d for d in chain}
        community = by_level.get(Division.Level.COMMUNITY)
        street = by_level.get(Division.Level.STREET)
        # Cities without counties (东莞, 中山) hang streets directly under the city.
        district = by_level.get(Division.Level.COUNTY) or by_level.get(Division.Level.CITY)
        entries.append(
            GridEntry(
                grid_id=grid_id,
                grid_code=code,
                grid_name=name,
                community_code=community.code if community else "",
                community_name=community.name if community else "",
                street_code=street.code if street else "",
                street_name=street.name if street else "",
                district_code=district.code if district else "",
                district_name=district.name if district else "",
                division_path=path,
            )
        )
    polygons = np.array([from_stored(row[3]) for row in rows], dtype=object)
    if len(polygons):
        shapely.prepare(polygons)
    tree = STRtree(polygons) if len(polygons) else None
    return GridIndex(generation=generation, entries=tuple(entries), polygons=polygons, tree=tree)


def get() -> GridIndex:
    """The current index, rebuilt if the grids changed since it was built."""
    global _index
    generation = generations.current(GENERATION)
    index = _index
    if index is not None and index.generation == generation:
        return index
    with _lock:
        index = _index
        if index is None or index.generation != generation:
            index = build()
            _index = index
    return index


def invalidate() -> None:
    """Forget the cached index (tests: a rolled-back transaction also rolls back generations)."""
    global _index
    with _lock:
        _index = None
