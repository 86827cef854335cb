"""Geo API: locate a point, list and show unit grids (GeoJSON), import grids."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from ninja import Router, Status

from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.schemas import ErrorOut, Latitude, Longitude
from yiwang.core.scope import path_in_scope
from yiwang.core.textinput import SafeText, model_max_length
from yiwang.geo import actions, queries
from yiwang.geo import crs as crs_mod
from yiwang.geo.geometry import convert_geojson
from yiwang.geo.locate import locate as locate_point
from yiwang.geo.models import UnitGrid
from yiwang.geo.schemas import BBoxParam, CrsName, GridCollection, GridFeature, ImportOut, LocateOut
from yiwang.org.models import Division
from yiwang.org.permissions import acting_user

router = Router(tags=["空间网格"])
GridCode = SafeText(model_max_length(UnitGrid, "code"))

MAX_FEATURES = 5000


@router.get(
    "/locate",
    response={200: LocateOut, 400: ErrorOut, 404: ErrorOut},
    summary="定位：坐标 → 单元网格、社区、街道、区",
)
def locate(
    request: HttpRequest, lon: Longitude, lat: Latitude, crs: CrsName = "wgs84"
) -> dict[str, Any]:
    """`crs`: wgs84 | cgcs2000 | gcj02 | bd09. The answered point is always WGS84."""
    found = locate_point(lon, lat, crs)
    if found is None:
        raise NotFound("not_in_grid", "该点不在任何单元网格内。")
    if not path_in_scope(request.user, found.division_path):
        raise NotFound("out_of_scope", "该点所在的单元网格不在您的管辖范围内。")
    return {
        "grid": {"code": found.grid_code, "name": found.grid_name},
        "community": {"code": found.community_code, "name": found.community_name},
        "street": {"code": found.street_code, "name": found.street_name},
        "district": {"code": found.district_code, "name": found.district_name},
        "point": {"lon": found.lon, "lat": found.lat, "crs": crs_mod.WGS84},
    }


def _parse_bbox(raw: str, crs: str) -> queries.BBox:
    parts = raw.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidInput(
            "bad_bbox", "bbox 应为 4 个数：最小经度,最小纬度,最大经度,最大纬度。", "bbox"
        )
    min_lon, min_lat, max_lon, max_lat = values
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise InvalidInput(
            "bad_bbox", "bbox 的范围不正确：须最小值不大于最大值，且在经纬度范围内。", "bbox"
        )
    if crs in (crs_mod.WGS84, crs_mod.CGCS2000):
        return min_lon, min_lat, max_lon, max_lat
    corners = [crs_mod.to_wgs84(x, y, crs) for x in (min_lon, max_lon) for y in (min_lat, max_lat)]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return min(xs), min(ys), max(xs), max(ys)


def _feature(grid: UnitGrid, crs: str) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": grid.code,
        "geometry": convert_geojson(grid.geometry, crs),
        "properties": {
            "code": grid.code,
            "name": grid.name,
            "community_code": grid.community.code,
            "community_name": grid.community.name,
            "region_class": grid.region_class,
            "region_class_label": str(grid.get_region_class_display()),
            "area_m2": grid.area_m2,
        },
    }


@router.get(
    "/grids",
    response={200: GridCollection, 400: ErrorOut, 404: ErrorOut},
    summary="单元网格列表（GeoJSON FeatureCollection）",
)
def grid_list(
    request: HttpRequest,
    bbox: BBoxParam | None = None,
    division: SafeText(model_max_length(Division, "code")) | None = None,  # type: ignore[valid-type]
    crs: CrsName = "wgs84",
) -> JsonResponse:
    """`bbox` = minlon,minlat,maxlon,maxlat in `crs`; `division` = a division code (its subtree).

    Coordinates are answered in `crs` too. At most 5000 features; `truncated` says if more match.
    """
    box = _parse_bbox(bbox, crs) if bbox else None
    qs = queries.filter_grids(acting_user(request), bbox=box, division_code=division)
    rows = list(qs[: MAX_FEATURES + 1])
    truncated = len(rows) > MAX_FEATURES
    rows = rows[:MAX_FEATURES]
    total = qs.count() if truncated else len(rows)
    # Built as plain JSON: validating thousands of polygons through pydantic costs seconds.
    return JsonResponse(
        {
            "type": "FeatureCollection",
            "features": [_feature(g, crs) for g in rows],
            "count": len(rows),
            "total": total,
            "truncated": truncated,
            "crs": crs,
        },
        json_dumps_params={"ensure_ascii": False},
    )


@router.post(
    "/grids/import",
    response={201: ImportOut, 400: ErrorOut, 403: ErrorOut},
    summary="导入单元网格（GeoJSON FeatureCollection，全部成功或全部不导入）",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                media: {"schema": actions.FEATURE_COLLECTION_SCHEMA}
                for media in ("application/geo+json", "application/json")
            },
        }
    },
)
def grid_import(request: HttpRequest, crs: CrsName = "wgs84") -> Status[dict[str, int]]:
    """Body: a GeoJSON FeatureCollection. On any bad feature nothing is written and the
    answer is 400 with `details.errors` = [{index, ref, code, message, field}, ...]."""
    try:
        body = request.body
    except RequestDataTooBig as exc:
        raise InvalidInput(
            "file_too_large",
            f"文件超过 {settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1_000_000} MB 的上传上限，"
            "请分批导入。",
            "file",
        ) from exc
    summary = actions.import_grids(acting_user(request), body, crs=crs)
    return Status(201, {"created": summary.created, "total": summary.total})


# Registered after /grids/import so that path is not taken for a grid code.
@router.get(
    "/grids/{code}",
    response={200: GridFeature, 404: ErrorOut},
    summary="单个单元网格（GeoJSON Feature）",
)
def grid_detail(
    request: HttpRequest,
    code: GridCode,  # type: ignore[valid-type]
    crs: CrsName = "wgs84",
) -> dict[str, Any]:
    return _feature(queries.grid_detail(acting_user(request), code), crs)


@router.delete(
    "/grids/{code}",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="删除单元网格（管理员；被案卷或部件引用的网格不能删除：409 grid_in_use）",
)
def grid_delete(
    request: HttpRequest,
    code: GridCode,  # type: ignore[valid-type]
) -> Status[None]:
    actions.delete_grid(acting_user(request), code)
    return Status(204, None)
