"""Catalogue and component inventory API (mounted at /api/catalog)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status

from yiwang.catalog import actions, queries
from yiwang.catalog.models import Component, ObjectType
from yiwang.catalog.schemas import (
    ComponentDetailOut,
    ComponentFeatureCollection,
    ComponentOut,
    ImportOut,
    LocalTypeIn,
    TypeOut,
    TypePatch,
)
from yiwang.core.errors import InvalidInput
from yiwang.org.permissions import acting_user

router = Router(tags=["分类与部件"])

GEOJSON_CAP = 5000
_STATE_LABELS = {value: str(label) for value, label in Component.State.choices}


@router.get("/types", response=list[TypeOut], summary="部件与事项分类目录（GB/T 47678.5-2026）")
@paginate(PageNumberPagination, page_size=100, max_page_size=500)
def list_types(
    request: HttpRequest, kind: str | None = None, q: str | None = None
) -> QuerySet[ObjectType]:
    """`kind`: component（部件）或 matter（事项）；`q`：代码前缀、名称或大类名称。"""
    return queries.types(acting_user(request), kind=kind, q=q)


@router.post("/types", response={201: TypeOut}, summary="新增本地扩展类型（管理员）")
def create_type(request: HttpRequest, body: LocalTypeIn) -> Status:
    object_type = actions.create_local_type(acting_user(request), **body.dict())
    return Status(201, object_type)


@router.patch(
    "/types/{kind}/{code}", response=TypeOut, summary="修改类型的启用、可自处理（及本地类型名称）"
)
def patch_type(request: HttpRequest, kind: str, code: str, body: TypePatch) -> ObjectType:
    return actions.update_type(acting_user(request), kind, code, **body.dict())


def _component_filters(
    bbox: str | None,
    type_code: str | None,
    grid_code: str | None,
    street_code: str | None,
    state: str | None,
    q: str | None,
) -> dict[str, Any]:
    return {
        "bbox": queries.parse_bbox(bbox),
        "type_code": type_code,
        "grid_code": grid_code,
        "street_code": street_code,
        "state": state,
        "q": q,
    }


@router.get("/components", response=list[ComponentOut], summary="部件列表")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_components(
    request: HttpRequest,
    bbox: str | None = Query(None, description="最小经度,最小纬度,最大经度,最大纬度（WGS84）"),
    type_code: str | None = Query(None, alias="type", description="部件类型代码"),
    grid_code: str | None = Query(None, alias="grid", description="单元网格编码"),
    street_code: str | None = Query(None, alias="street", description="街道代码"),
    state: str | None = Query(None, description="intact/damaged/lost/abandoned/removed"),
    q: str | None = Query(None, description="标识码前缀或名称"),
) -> QuerySet[Component]:
    filters = _component_filters(bbox, type_code, grid_code, street_code, state, q)
    return queries.components(acting_user(request), **filters)


@router.get(
    "/components.geojson",
    response=ComponentFeatureCollection,
    summary=f"部件点位 GeoJSON（地图用，最多 {GEOJSON_CAP} 个）",
)
def components_geojson(
    request: HttpRequest,
    bbox: str | None = Query(None, description="最小经度,最小纬度,最大经度,最大纬度（WGS84）"),
    type_code: str | None = Query(None, alias="type"),
    grid_code: str | None = Query(None, alias="grid"),
    street_code: str | None = Query(None, alias="street"),
    state: str | None = None,
    q: str | None = None,
) -> dict[str, Any]:
    filters = _component_filters(bbox, type_code, grid_code, street_code, state, q)
    qs = queries.components(acting_user(request), **filters)
    rows = list(
        qs.values_list(
            "ident", "name", "type__code", "type__name", "state", "grid__code", "lon", "lat"
        )[: GEOJSON_CAP + 1]
    )
    truncated = len(rows) > GEOJSON_CAP
    rows = rows[:GEOJSON_CAP]
    features = [
        {
            "type": "Feature",
            "id": ident,
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "ident": ident,
                "name": name,
                "type_code": type_code_,
                "type_name": type_name,
                "state": state_,
                "state_label": _STATE_LABELS.get(state_, state_),
                "grid_code": grid,
            },
        }
        for ident, name, type_code_, type_name, state_, grid, lon, lat in rows
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "count": len(features),
        "truncated": truncated,
    }


@router.post(
    "/components/import",
    response={201: ImportOut},
    summary="导入部件普查数据（管理员；CSV 或 GeoJSON，全部成功或全部不导入）",
)
def import_components(
    request: HttpRequest,
    fmt: str = Query("csv", alias="format", description="csv 或 geojson"),
    crs: str = Query("wgs84", description="坐标系：wgs84、cgcs2000、gcj02、bd09"),
) -> Status:
    """请求体为文件原文。CSV 列名见 `yiwang.catalog.actions.import_components`；
    有错误时返回 400，`details.errors` 逐条列出（index 从 1 开始，ref 为标识码）。"""
    if fmt not in ("csv", "geojson"):
        raise InvalidInput("import_format", "导入格式应为 csv 或 geojson。", "format")
    summary = actions.import_components(
        acting_user(request),
        request.body,
        fmt="csv" if fmt == "csv" else "geojson",
        crs=crs,
    )
    return Status(201, {"created": summary.created, "total": summary.total})


# After /components/import: Django tries the URL patterns in order.
@router.get("/components/{ident}", response=ComponentDetailOut, summary="部件详情")
def component_detail(request: HttpRequest, ident: str) -> Component:
    return queries.component_detail(acting_user(request), ident)
