"""Parsing, validating and measuring grid polygons.

Rings are checked on the raw GeoJSON coordinates, before shapely would silently close an
open ring. Accepted geometry types: ``Polygon`` (holes allowed) and a ``MultiPolygon`` with
exactly one part, which some GIS exports write for every feature; it is stored as a
Polygon. A MultiPolygon with several parts is refused: a unit grid is one contiguous area.

All geometry leaves this module in WGS84, exterior ring counter-clockwise (RFC 7946).
"""

from __future__ import annotations

import math
from typing import Any

import shapely
from pyproj import Geod
from shapely.geometry import Polygon
from shapely.geometry.polygon import orient
from shapely.validation import explain_validity

from yiwang.core.errors import InvalidInput
from yiwang.geo import crs as crs_mod

_GEOD = Geod(ellps="WGS84")

Ring = list[tuple[float, float]]


def _bad(code: str, message: str) -> InvalidInput:
    return InvalidInput(code, message, "geometry")


def _position(raw: Any, where: str) -> tuple[float, float]:
    if not isinstance(raw, list | tuple) or len(raw) not in (2, 3):
        raise _bad("bad_coordinates", f"{where}的坐标应为 [经度, 纬度]。")
    lon, lat = raw[0], raw[1]
    if (
        isinstance(lon, bool)
        or isinstance(lat, bool)
        or not all(isinstance(v, int | float) for v in (lon, lat))
    ):
        raise _bad("bad_coordinates", f"{where}的坐标应为数字。")
    lon, lat = float(lon), float(lat)
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise _bad(
            "bad_coordinates",
            f"{where}的坐标 [{raw[0]}, {raw[1]}] 超出经纬度范围（是否为投影坐标或经纬度颠倒？）。",
        )
    return lon, lat


def _ring(raw: Any, label: str) -> Ring:
    if not isinstance(raw, list | tuple):
        raise _bad("bad_coordinates", f"{label}应为坐标数组。")
    points = [_position(p, f"{label}第 {i + 1} 个点") for i, p in enumerate(raw)]
    if len(points) < 4:
        raise _bad(
            "too_few_points",
            f"{label}只有 {len(points)} 个点；多边形的环至少需要 4 个点（首尾相同）。",
        )
    if points[0] != points[-1]:
        raise _bad(
            "unclosed_ring",
            f"{label}未闭合：首点 {list(points[0])} 与末点 {list(points[-1])} 不同。",
        )
    return points


def _polygon_rings(geometry: Any) -> list[Any]:
    if not isinstance(geometry, dict):
        raise _bad("bad_geometry", "缺少几何对象（geometry）。")
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        rings = coordinates
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, list) or len(coordinates) != 1:
            parts = len(coordinates) if isinstance(coordinates, list) else 0
            raise _bad(
                "multipart_geometry",
                f"MultiPolygon 含 {parts} 个部分；一个单元网格必须是单个连续的多边形。",
            )
        rings = coordinates[0]
    else:
        raise _bad("bad_geometry", f"几何类型应为 Polygon，实际为 {kind}。")
    if not isinstance(rings, list) or not rings:
        raise _bad("bad_coordinates", "多边形没有坐标。")
    return rings


def parse_polygon(geometry: Any, crs: str = crs_mod.WGS84) -> Polygon:
    """Validate a GeoJSON Polygon given in ``crs`` and return it as a WGS84 shapely Polygon.

    Raises InvalidInput (field "geometry") with one of the codes ``bad_geometry``,
    ``multipart_geometry``, ``bad_coordinates``, ``too_few_points``, ``unclosed_ring``,
    ``self_intersection``.
    """
    rings = []
    for i, raw in enumerate(_polygon_rings(geometry)):
        label = "外环" if i == 0 else f"第 {i} 个内环"
        ring = _ring(raw, label)
        if crs not in (crs_mod.WGS84, crs_mod.CGCS2000):
            ring = [crs_mod.to_wgs84(lon, lat, crs) for lon, lat in ring]
        rings.append(ring)
    polygon = Polygon(rings[0], rings[1:])
    if not polygon.is_valid:
        raise _bad(
            "self_intersection",
            f"多边形无效（自相交或退化）：{_explain(polygon)}。",
        )
    return orient(polygon, sign=1.0)


def _explain(polygon: Polygon) -> str:
    reason = explain_validity(polygon)
    # GEOS answers e.g. "Self-intersection[114.05 22.54]"; keep the location, name it in Chinese.
    for english, chinese in (
        ("Ring Self-intersection", "环自相交"),
        ("Self-intersection", "自相交"),
        ("Too few points", "点数过少"),
        ("Hole lies outside shell", "内环在外环之外"),
        ("Interior is disconnected", "内部不连通"),
        ("Nested holes", "内环嵌套"),
    ):
        if reason.startswith(english):
            return chinese + reason[len(english) :].replace("[", " 位于 [")
    return reason


def geodesic_area_m2(geometry: shapely.Geometry) -> float:
    """Area on the WGS84 ellipsoid in m² of the polygonal parts of ``geometry`` (lines count 0)."""
    if geometry.is_empty:
        return 0.0
    total = 0.0
    for part in shapely.get_parts(geometry):
        if isinstance(part, Polygon):
            area, _ = _GEOD.geometry_area_perimeter(part)
            total += abs(area)
        elif hasattr(part, "geoms"):  # a collection nested inside a collection
            total += geodesic_area_m2(part)
    return total


def to_geojson(polygon: Polygon, crs: str = crs_mod.WGS84) -> dict[str, Any]:
    """GeoJSON geometry of a WGS84 polygon, converted to ``crs`` for output."""

    def ring(coords: Any) -> list[list[float]]:
        if crs in (crs_mod.WGS84, crs_mod.CGCS2000):
            return [[x, y] for x, y in coords]
        return [list(crs_mod.from_wgs84(x, y, crs)) for x, y in coords]

    return {
        "type": "Polygon",
        "coordinates": [ring(polygon.exterior.coords)]
        + [ring(hole.coords) for hole in polygon.interiors],
    }


def convert_geojson(geometry: dict[str, Any], crs: str) -> dict[str, Any]:
    """A stored WGS84 GeoJSON polygon converted to ``crs`` (no shapely round trip)."""
    if crs in (crs_mod.WGS84, crs_mod.CGCS2000):
        return geometry
    return {
        "type": geometry["type"],
        "coordinates": [
            [list(crs_mod.from_wgs84(x, y, crs)) for x, y in ring]
            for ring in geometry["coordinates"]
        ],
    }


def from_stored(geometry: dict[str, Any]) -> Polygon:
    """A stored (already validated, WGS84) grid polygon as shapely."""
    rings = geometry["coordinates"]
    return Polygon(rings[0], rings[1:])
