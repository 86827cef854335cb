"""Coordinate reference systems met in Chinese city data: WGS84, CGCS2000, GCJ-02, BD-09.

Everything is stored in WGS84 (ARCHITECTURE.md rule 5). CGCS2000 differs from WGS84 by a
few centimetres, far below what a unit grid or a reported point can resolve, so it is
treated as equal. GCJ-02 (the "Mars" offset of AMap/Tencent maps) and BD-09 (Baidu, which
applies a second offset on top of GCJ-02) are converted at the edge with the publicly
known formulas. GCJ-02 has no closed-form inverse: the inverse here iterates the forward
formula until the round trip closes (well under 0.5 m); the one-step approximation found
in many snippets is off by up to a few metres.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from yiwang.core.errors import InvalidInput

WGS84 = "wgs84"
CGCS2000 = "cgcs2000"
GCJ02 = "gcj02"
BD09 = "bd09"
CRS_NAMES = (WGS84, CGCS2000, GCJ02, BD09)
CRS_LABELS = {
    WGS84: "WGS84",
    CGCS2000: "CGCS2000",
    GCJ02: "GCJ-02（高德、腾讯）",
    BD09: "BD-09（百度）",
}

_ALIASES = {
    WGS84: {
        "wgs84",
        "wgs-84",
        "wgs_84",
        "wgs 84",
        "epsg:4326",
        "4326",
        "crs84",
        "urn:ogc:def:crs:ogc:1.3:crs84",
        "urn:ogc:def:crs:epsg::4326",
    },
    CGCS2000: {
        "cgcs2000",
        "cgcs-2000",
        "cgcs_2000",
        "epsg:4490",
        "4490",
        "urn:ogc:def:crs:epsg::4490",
    },
    GCJ02: {"gcj02", "gcj-02", "gcj_02", "gcj", "mars", "amap", "gaode"},
    BD09: {"bd09", "bd-09", "bd_09", "bd09ll", "baidu"},
}
_ALIAS_TO_NAME = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}


def aliases() -> list[str]:
    """Every name `parse_crs` accepts (lower case)."""
    return list(_ALIAS_TO_NAME)


# Krasovsky 1940 ellipsoid, as used by the GCJ-02 obfuscation.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0

_INVERSE_TOLERANCE_DEG = 1e-10  # ~0.01 mm; the loop converges in 3–5 steps in China
_INVERSE_MAX_STEPS = 30


def parse_crs(value: str, field: str = "crs") -> str:
    """Normalise a CRS name or alias to one of ``CRS_NAMES``."""
    key = " ".join((value or "").strip().lower().split())
    name = _ALIAS_TO_NAME.get(key)
    if name is None:
        raise InvalidInput(
            "unknown_crs",
            f"不支持的坐标系：{value}。可用：wgs84、cgcs2000、gcj02、bd09。",
            field,
        )
    return name


def out_of_china(lon: float, lat: float) -> bool:
    """The rough rectangle outside which GCJ-02 applies no offset (the common convention)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _offset_lat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _offset_lon(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def _gcj_delta(lon: float, lat: float) -> tuple[float, float]:
    d_lat = _offset_lat(lon - 105.0, lat - 35.0)
    d_lon = _offset_lon(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1.0 - _KRASOVSKY_EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / (
        (_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * math.pi
    )
    d_lon = (d_lon * 180.0) / (_KRASOVSKY_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return d_lon, d_lat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if out_of_china(lon, lat):
        return lon, lat
    d_lon, d_lat = _gcj_delta(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Exact inverse by fixed-point iteration: find w with wgs84_to_gcj02(w) == (lon, lat)."""
    if out_of_china(lon, lat):
        return lon, lat
    return _invert(wgs84_to_gcj02, lon, lat, (lon, lat))


def _invert(
    forward: Callable[[float, float], tuple[float, float]],
    lon: float,
    lat: float,
    start: tuple[float, float],
) -> tuple[float, float]:
    """Find p with forward(p) == (lon, lat) by fixed-point iteration from ``start``.

    Both offsets are small and smooth, so the error shrinks by orders of magnitude per step.
    """
    p_lon, p_lat = start
    for _ in range(_INVERSE_MAX_STEPS):
        f_lon, f_lat = forward(p_lon, p_lat)
        e_lon, e_lat = lon - f_lon, lat - f_lat
        p_lon += e_lon
        p_lat += e_lat
        if abs(e_lon) < _INVERSE_TOLERANCE_DEG and abs(e_lat) < _INVERSE_TOLERANCE_DEG:
            break
    return p_lon, p_lat


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Exact inverse of ``gcj02_to_bd09``: the common one-step formula, then iterated.

    The one-step formula alone is off by up to ~3e-7° (3 cm): enough to move a point given
    on a grid's border in BD-09 to the neighbour's side.
    """
    x, y = lon - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return _invert(gcj02_to_bd09, lon, lat, (z * math.cos(theta), z * math.sin(theta)))


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Convert a point given in ``crs`` (a normalised name, see ``parse_crs``) to WGS84."""
    if crs in (WGS84, CGCS2000):
        return lon, lat
    if crs == GCJ02:
        return gcj02_to_wgs84(lon, lat)
    if crs == BD09:
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    raise ValueError(f"unknown CRS {crs!r}")


def from_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Convert a WGS84 point to ``crs`` (a normalised name)."""
    if crs in (WGS84, CGCS2000):
        return lon, lat
    if crs == GCJ02:
        return wgs84_to_gcj02(lon, lat)
    if crs == BD09:
        return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    raise ValueError(f"unknown CRS {crs!r}")


def check_lon_lat(lon: float, lat: float, lon_field: str = "lon", lat_field: str = "lat") -> None:
    """Refuse non-finite or out-of-range degrees (e.g. projected metres or swapped axes)."""
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise InvalidInput("bad_coordinates", f"经度 {lon} 不在 -180 到 180 之间。", lon_field)
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise InvalidInput("bad_coordinates", f"纬度 {lat} 不在 -90 到 90 之间。", lat_field)
