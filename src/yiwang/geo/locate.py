"""Point → unit grid, community, street, district.

The border rule (docs/geo.md): a point belongs to every grid whose polygon covers it —
inside or exactly on its boundary, within ``index.ON_BORDER_DEG`` (1e-9°, about 0.1 mm) —
and when several grids do (a point on an edge two grids share, or on a vertex three or four
share) the grid with the smallest code wins. The answer is the same whatever order the
grids were imported in and whichever CRS the point was given in: a GCJ-02 or BD-09 point is
converted to WGS84 first, and the conversions close to ~1e-13°, well inside the tolerance.
A point in no grid gets None — never the nearest grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from yiwang.geo import crs as crs_mod
from yiwang.geo import index as grid_index


@dataclass(frozen=True)
class Located:
    grid_id: int
    grid_code: str
    grid_name: str
    community_code: str
    community_name: str
    street_code: str
    street_name: str
    district_code: str
    district_name: str
    lon: float  # the WGS84 point that was located
    lat: float
    division_path: str = ""  # the community's division path, for scope checks


def _located(entry: grid_index.GridEntry, lon: float, lat: float) -> Located:
    return Located(
        grid_id=entry.grid_id,
        grid_code=entry.grid_code,
        grid_name=entry.grid_name,
        community_code=entry.community_code,
        community_name=entry.community_name,
        street_code=entry.street_code,
        street_name=entry.street_name,
        district_code=entry.district_code,
        district_name=entry.district_name,
        lon=lon,
        lat=lat,
        division_path=entry.division_path,
    )


def locate(lon: float, lat: float, crs: str = "wgs84") -> Located | None:
    """Locate one point given in ``crs`` (any alias parse_crs accepts). Unscoped.

    Raises InvalidInput (fields "lon"/"lat"/"crs") for unusable input.
    """
    crs = crs_mod.parse_crs(crs)
    crs_mod.check_lon_lat(lon, lat)
    lon, lat = crs_mod.to_wgs84(lon, lat, crs)
    return locate_many([(lon, lat)])[0]


def locate_many(points: list[tuple[float, float]]) -> list[Located | None]:
    """Locate many WGS84 (lon, lat) points with one index lookup; vectorised, for importers."""
    if not points:
        return []
    index = grid_index.get()
    coords = np.asarray(points, dtype=float).reshape(-1, 2)
    geoms = shapely.points(coords)
    hits = index.hits(geoms)
    return [
        _located(index.entries[h], float(x), float(y)) if h >= 0 else None
        for h, (x, y) in zip(hits.tolist(), coords.tolist(), strict=True)
    ]
