"""API shapes of the geo app (GeoJSON per RFC 7946 for grids)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from yiwang.geo import crs


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


def _letters_either_case(alias: str) -> str:
    return "".join(f"[{c}{c.upper()}]" if c.isalpha() else re.escape(c) for c in alias)


# Every name and alias `crs.parse_crs` knows, in either case, as the document's pattern.
CRS_PATTERN = "^(?:" + "|".join(_letters_either_case(a) for a in sorted(crs.aliases())) + ")$"
_CRS_RE = re.compile(CRS_PATTERN)


def _crs_name(value: str) -> str:
    if not _CRS_RE.fullmatch(value):
        raise PydanticCustomError(
            "unknown_crs", _("不支持的坐标系。可用：wgs84、cgcs2000、gcj02、bd09。")
        )
    return crs.parse_crs(value)


# A coordinate system named by the caller, answered as its canonical name (wgs84 …).
CrsName = Annotated[
    str,
    Field(
        json_schema_extra={"pattern": CRS_PATTERN}, description="wgs84 | cgcs2000 | gcj02 | bd09"
    ),
    AfterValidator(_crs_name),
]


_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?"
BBOX_PATTERN = rf"^{_NUMBER}(?:,{_NUMBER}){{3}}$"
_BBOX_RE = re.compile(BBOX_PATTERN)


def _bbox_shape(value: str) -> str:
    if not _BBOX_RE.fullmatch(value):
        raise PydanticCustomError(
            "bbox_format", _("应为 4 个以逗号分隔的数：最小经度,最小纬度,最大经度,最大纬度。")
        )
    return value


# The shape of a bounding box; its ranges (min ≤ max, within ±180/±90) are checked where
# it is read, in the caller's CRS.
BBoxParam = Annotated[
    str,
    Field(
        json_schema_extra={"pattern": BBOX_PATTERN},
        description="最小经度,最小纬度,最大经度,最大纬度",
    ),
    AfterValidator(_bbox_shape),
]
