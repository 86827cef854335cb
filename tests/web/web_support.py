"""Geometry helpers of the web tests: small squares in 福田区."""

from __future__ import annotations

from typing import Any

SIZE = 0.002
# Centres of the two demo grids (conftest.py); the grids do not touch.
CENTRE_A = (114.0510, 22.5410)
CENTRE_B = (114.0560, 22.5410)


def square(lon: float, lat: float, size: float = SIZE) -> dict[str, Any]:
    """A square polygon of ``size`` degrees centred on (lon, lat)."""
    h = size / 2
    ring = [
        [lon - h, lat - h],
        [lon + h, lat - h],
        [lon + h, lat + h],
        [lon - h, lat + h],
        [lon - h, lat - h],
    ]
    return {"type": "Polygon", "coordinates": [ring]}
