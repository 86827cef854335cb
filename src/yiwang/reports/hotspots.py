"""Hotspots (黑点, 难点) on H3 cells: counts per cell, recurrence and the Getis-Ord Gi*.

Pure computations on rows already read through scope (`reports.queries` reads them); nothing
here touches the database.

- Cases carry no H3 column: cells are computed from the stored WGS84 lon/lat of the rows a
  query returns (about a microsecond a row with the h3 C library), so any resolution can be
  asked for without a migration of `cases`.
- The study area of Gi* is the set of cells covering the unit grids in the user's scope (a
  cell belongs to a grid when its centre lies in the grid, `h3.geo_to_cells`), plus any cell
  holding a case (a case near a grid edge can fall in a cell centred outside). Cells without
  cases count 0, so a cluster stands out against the quiet cells around it, and a uniform
  spread shows no hotspot.
- Gi* is esda's `G_Local(star=True)` on binary contiguity weights: a cell's neighbours are the
  six cells around it (`h3.grid_ring(cell, 1)`) inside the study area. Significance as in
  Getis & Ord (1995) and ArcGIS's Gi_Bin: the two-sided normal p-value of the Gi* z-score at
  0.01 / 0.05 / 0.10 gives 99 / 95 / 90 % confidence (|z| ≥ 2.576 / 1.960 / 1.645); the sign
  says hot or cold. The conditional-permutation pseudo p-value is reported beside it
  (`p_sim`, fixed seed: the same data give the same numbers) but does not classify: with
  count data most cells are 0, and a 0 cell among 0 neighbours ties every permutation, so
  the pseudo p-value calls it significant (cold) when it is only empty.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import h3
import numpy as np

DEFAULT_RESOLUTION = 9  # edge ≈ 0.2 km: a few street blocks
MIN_RESOLUTION, MAX_RESOLUTION = 6, 11
PERMUTATIONS = 999
SEED = 20_260_801
# (pseudo p-value at most, confidence in percent), strictest first.
LEVELS: tuple[tuple[float, int], ...] = ((0.01, 99), (0.05, 95), (0.10, 90))


@dataclass(frozen=True)
class CaseRow:
    """What a hotspot needs of one case (read through scope)."""

    number: str
    type_id: int
    lon: float
    lat: float
    reported_at: datetime


def cells_of(lons: Sequence[float], lats: Sequence[float], resolution: int) -> list[str]:
    """The H3 cell of every point, in order."""
    to_cell = h3.latlng_to_cell
    return [to_cell(lat, lon, resolution) for lon, lat in zip(lons, lats, strict=True)]


def count_cells(rows: Sequence[CaseRow], resolution: int) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for cell in cells_of([r.lon for r in rows], [r.lat for r in rows], resolution):
        counts[cell] += 1
    return dict(counts)


def area_cells(polygons: Iterable[dict[str, Any]], resolution: int) -> set[str]:
    """The cells whose centres lie in any of the GeoJSON polygons (the unit grids)."""
    cells: set[str] = set()
    for geometry in polygons:
        try:
            shape = h3.geo_to_h3shape(geometry)
        except (ValueError, TypeError, KeyError):
            continue  # a malformed outline adds nothing; its cases still add their cells
        cells.update(h3.h3shape_to_cells(shape, resolution))
    return cells


# ---- recurrence ------------------------------------------------------------------------------


@dataclass
class Recurrence:
    """One type recurring at one place: the busiest window of `days` days.

    The place is an H3 cell (`cell`), or, by radius, the cluster's first case (`lon`/`lat`,
    with `cell` the H3 cell that case lies in, for the map)."""

    cell: str
    type_id: int
    count: int  # cases in the busiest window
    window_start: datetime
    window_end: datetime
    total: int  # cases of this type at this place over the whole period
    numbers: list[str] = field(default_factory=list)  # the window's cases, oldest first
    lon: float | None = None  # by radius: the cluster's first case
    lat: float | None = None


def _busiest(members: list[CaseRow], span: timedelta) -> tuple[int, int]:
    """(size, first index) of the largest run of `members` (sorted by time) whose first and
    last reports are less than `span` apart; the earliest such run on ties."""
    best, best_start, start = 0, 0, 0
    # Two pointers: the window [start, end] holds reports less than `span` apart.
    for end, row in enumerate(members):
        while row.reported_at - members[start].reported_at >= span:
            start += 1
        if end - start + 1 > best:
            best, best_start = end - start + 1, start
    return best, best_start


def _found(
    members: list[CaseRow], cell: str, type_id: int, *, min_count: int, span: timedelta
) -> Recurrence | None:
    members.sort(key=lambda r: (r.reported_at, r.number))
    best, best_start = _busiest(members, span)
    if best < min_count:
        return None
    window = members[best_start : best_start + best]
    return Recurrence(
        cell=cell,
        type_id=type_id,
        count=best,
        window_start=window[0].reported_at,
        window_end=window[-1].reported_at,
        total=len(members),
        numbers=[r.number for r in window],
    )


def _ranked(found: list[Recurrence]) -> list[Recurrence]:
    found.sort(key=lambda r: (-r.count, -r.window_end.timestamp(), r.cell, r.type_id))
    return found


def recurrences(
    rows: Sequence[CaseRow], resolution: int, *, min_count: int, days: int
) -> list[Recurrence]:
    """(type, cell) pairs with at least `min_count` cases within some `days`-day window,
    the busiest window first (then the most recent)."""
    groups: dict[tuple[str, int], list[CaseRow]] = defaultdict(list)
    cells = cells_of([r.lon for r in rows], [r.lat for r in rows], resolution)
    for row, cell in zip(rows, cells, strict=True):
        groups[(cell, row.type_id)].append(row)
    span = timedelta(days=days)
    found: list[Recurrence] = []
    for (cell, type_id), members in groups.items():
        if len(members) < min_count:
            continue
        hit = _found(members, cell, type_id, min_count=min_count, span=span)
        if hit is not None:
            found.append(hit)
    return _ranked(found)


# ---- recurrence within a radius ----------------------------------------------------------------

MIN_RADIUS_M, MAX_RADIUS_M = 50, 500
EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG): great-circle distances


def distances_m(lon: float, lat: float, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Great-circle (haversine) distances in metres from one point to many; within 0.5 % of
    the WGS84 ellipsoid's geodesic, which is far below a GPS fix's error."""
    p1, p2 = np.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lons - lon)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def radius_clusters(rows: list[CaseRow], radius_m: float) -> list[list[CaseRow]]:
    """Leader clustering, greedy by the earliest case: the earliest case not yet in a cluster
    starts one, and every later case not yet in a cluster lying within `radius_m` of it
    joins it. Deterministic (cases ordered by report time, then number); every member is
    within `radius_m` of the cluster's first case, so no two are more than 2·`radius_m`
    apart, and a chain of cases cannot stretch a "place" along a whole street."""
    ordered = sorted(rows, key=lambda r: (r.reported_at, r.number))
    lons = np.array([r.lon for r in ordered], dtype=float)
    lats = np.array([r.lat for r in ordered], dtype=float)
    free = np.ones(len(ordered), dtype=bool)
    # Only cases within this latitude band can be near: a cheap pre-filter.
    band = radius_m / EARTH_RADIUS_M * 180 / np.pi * 1.01
    clusters: list[list[CaseRow]] = []
    for i, seed in enumerate(ordered):
        if not free[i]:
            continue
        near = free & (np.abs(lats - seed.lat) <= band)
        near[i] = True
        candidates = np.flatnonzero(near)
        close = candidates[
            distances_m(seed.lon, seed.lat, lons[candidates], lats[candidates]) <= radius_m
        ]
        free[close] = False
        free[i] = False
        members = sorted({int(j) for j in close} | {i})
        clusters.append([ordered[j] for j in members])
    return clusters


def recurrences_within(
    rows: Sequence[CaseRow],
    radius_m: float,
    resolution: int,
    *,
    min_count: int,
    days: int,
) -> list[Recurrence]:
    """Like `recurrences`, with "the same place" meaning one cluster of `radius_clusters`
    (per type) instead of one H3 cell; the place shown is the cluster's first case."""
    by_type: dict[int, list[CaseRow]] = defaultdict(list)
    for row in rows:
        by_type[row.type_id].append(row)
    span = timedelta(days=days)
    found: list[Recurrence] = []
    for type_id, members in by_type.items():
        if len(members) < min_count:
            continue
        for cluster in radius_clusters(members, radius_m):
            if len(cluster) < min_count:
                continue
            seed = cluster[0]
            cell = h3.latlng_to_cell(seed.lat, seed.lon, resolution)
            hit = _found(list(cluster), cell, type_id, min_count=min_count, span=span)
            if hit is not None:
                hit.lon, hit.lat = seed.lon, seed.lat
                found.append(hit)
    return _ranked(found)


# ---- Getis-Ord Gi* ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CellStat:
    cell: str
    count: int
    z: float  # Gi* z-score (analytical)
    p: float  # two-sided normal p-value of z (classifies)
    z_sim: float  # z-score against the permutations (nan without permutations)
    p_sim: float  # pseudo p-value of the permutations (nan without permutations)
    kind: str  # "hot", "cold" or ""
    confidence: int  # 99, 95, 90 or 0


def classify(z: float, p: float) -> tuple[str, int]:
    if not (np.isfinite(z) and np.isfinite(p)) or z == 0:
        return "", 0
    for alpha, confidence in LEVELS:
        if p <= alpha:
            return ("hot" if z > 0 else "cold"), confidence
    return "", 0


def getis_ord(
    counts: dict[str, int],
    area: set[str],
    *,
    permutations: int = PERMUTATIONS,
    seed: int = SEED,
) -> list[CellStat]:
    """Gi* of every cell of the study area (`area` ∪ the cells with cases), in cell order."""
    cells = sorted(area | set(counts))
    if not cells:
        return []
    y = np.array([counts.get(c, 0) for c in cells], dtype=float)
    # Equal counts everywhere (or one cell) have no variance: nothing stands out.
    if len(cells) < 3 or float(y.max()) == float(y.min()):
        return [
            CellStat(c, int(v), 0.0, 1.0, 0.0, 1.0, "", 0) for c, v in zip(cells, y, strict=True)
        ]

    # Imported here: esda and libpysal take about a second to import (scipy, sklearn), which
    # only this computation should pay.
    from esda.getisord import G_Local
    from libpysal.weights import W

    index = set(cells)
    neighbours = {c: sorted(n for n in h3.grid_ring(c, 1) if n in index) for c in cells}
    weights = W(neighbours, silence_warnings=True)
    weights.transform = "B"
    # n_jobs=1: the machine's cores serve the web requests; a city's cells take well under a
    # second in one process.
    with warnings.catch_warnings():
        # Disconnected parts of a scope (separate grids) and islands are expected; the
        # permutation z of an island is nan (reported as such), and esda's notice about its
        # future default alternative does not change the numbers used here.
        warnings.simplefilter("ignore")
        stats = G_Local(
            y,
            weights,
            transform="B",
            star=True,
            permutations=permutations,
            seed=seed,
            n_jobs=1,
        )
    # W orders observations by its id_order (the neighbours dict's insertion order = cells).
    assert list(weights.id_order) == cells
    out = []
    for i, cell in enumerate(cells):
        z = float(stats.Zs[i])
        p = float(2 * stats.p_norm[i])  # esda's p_norm is one-sided
        z_sim = float(stats.z_sim[i]) if permutations else float("nan")
        p_sim = float(stats.p_sim[i]) if permutations else float("nan")
        kind, confidence = classify(z, p)
        out.append(CellStat(cell, int(y[i]), z, p, z_sim, p_sim, kind, confidence))
    return out
