"""Grid shapes shared by the geo tests: small squares in 福田区 (lon 114.05, lat 22.54)."""

from __future__ import annotations

from typing import Any

# Two neighbouring grids in community A (sharing the edge lon = 114.052) and one in B.
A1 = ("440304001001001", 114.050, 22.540)
A2 = ("440304001001002", 114.052, 22.540)
B1 = ("440304002001001", 114.060, 22.540)
SIZE = 0.002


def square_geometry(lon: float, lat: float, size: float = SIZE) -> dict[str, Any]:
    """A counter-clockwise square with its south-west corner at (lon, lat)."""
    # Rounded so that neighbours built from the same numbers share their edge exactly.
    east, north = round(lon + size, 9), round(lat + size, 9)
    ring = [[lon, lat], [east, lat], [east, north], [lon, north], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(code: str, geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"code": code, **props}, "geometry": geometry}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}
