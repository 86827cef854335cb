"""Shared test helpers of the catalogue tests (geometry and ids)."""

from __future__ import annotations

from typing import Any

# Centres of the two grids of the `grids` fixture (conftest.py), and a point in neither.
IN_A = (114.0505, 22.5405)
IN_B = (114.0525, 22.5405)
OUTSIDE = (114.0700, 22.5600)


def square(min_lon: float, min_lat: float, size: float = 0.001) -> dict[str, Any]:
    ring = [
        [min_lon, min_lat],
        [min_lon + size, min_lat],
        [min_lon + size, min_lat + size],
        [min_lon, min_lat + size],
        [min_lon, min_lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def ident(type_code: str, serial: int, district: str = "440304") -> str:
    return f"{district}{type_code}{serial:06d}"
