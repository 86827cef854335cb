"""API shapes of the geo app (GeoJSON per RFC 7946 for grids)."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Schema


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None
    details: dict[str, Any] | None = None


class Ref(Schema):
    code: str
    name: str


class PointOut(Schema):
    lon: float
    lat: float
    crs: str = "wgs84"


class LocateOut(Schema):
    grid: Ref
    community: Ref
    street: Ref
    district: Ref
    point: PointOut


class PolygonOut(Schema):
    type: Literal["Polygon"] = "Polygon"
    coordinates: list[list[list[float]]]


class GridProperties(Schema):
    code: str
    name: str
    community_code: str
    community_name: str
    region_class: int
    region_class_label: str
    area_m2: float


class GridFeature(Schema):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: PolygonOut
    properties: GridProperties


class GridCollection(Schema):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[GridFeature]
    count: int  # features in this answer
    total: int  # grids matching the filter (may exceed count when truncated)
    truncated: bool
    crs: str


class ImportOut(Schema):
    created: int
    total: int
