"""Catalogue and component inventory API (mounted at /api/catalog).

No ``from __future__ import annotations`` here: ninja's paginated operations read their
parameters' types from the wrapper's signature, where names of this module do not resolve.
"""

from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status

from yiwang.catalog import actions, queries
from yiwang.catalog.models import Component, Kind, ObjectType
from yiwang.catalog.schemas import (
    ComponentDetailOut,
    ComponentFeatureCollection,
    ComponentOut,
    ImportOut,
    LocalTypeIn,
    TypeOut,
    TypePatch,
)
from yiwang.core.schemas import MAX_DB_INT
from yiwang.core.textinput import SafeText
from yiwang.geo.actions import FEATURE_COLLECTION_SCHEMA
from yiwang.geo.schemas import BBoxParam, CrsName
from yiwang.org.permissions import acting_user

router = Router(tags=["分类与部件"])

GEOJSON_CAP = 5000
StateParam = Literal[tuple(Component.State.values)]  # type: ignore[valid-type]
Text = SafeText(100)
# The document's description of an import file, by format.
IMPORT_BODY = {
    "required": True,
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/geo+json": {"schema": FEATURE_COLLECTION_SCHEMA},
    },
}


class BoundedPages(PageNumberPagination):
    """Page numbers bounded so the row offset fits the database (a larger page is empty)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_DB_INT // 1000)
        page_size: int | None = Field(None, ge=1)


_STATE_LABELS = {value: str(label) for value, label in Component.State.choices}


class TypeFilters(Schema):
    kind: Kind | None = None
    q: Text | None = None  # type: ignore[valid-type]


@router.get("/types", response=list[TypeOut], summary="部件与事项分类目录（GB/T 47678.5-2026）")
@paginate(BoundedPages, page_size=100, max_page_size=500)
def list_types(request: HttpRequest, filters: Query[TypeFilters]) -> QuerySet[ObjectType]:
    """`kind`: component（部件）或 matter（事项）；`q`：代码前缀、名称或大类名称。"""
    return queries.types(acting_user(request), kind=filters.kind, q=filters.q)


@router.post("/types", response={201: TypeOut}, summary="新增本地扩展类型（管理员）")
def create_type(request: HttpRequest, body: LocalTypeIn) -> Status:
    object_type = actions.create_local_type(acting_user(request), **body.dict())
    return Status(201, object_type)


@router.patch(
    "/types/{kind}/{code}", response=TypeOut, summary="修改类型的启用、可自处理（及本地类型名称）"
)
def patch_type(
    request: HttpRequest,
    kind: Kind,
    code: Text,  # type: ignore[valid-type]
    body: TypePatch,
) -> ObjectType:
    return actions.update_type(acting_user(request), kind, code, **body.dict())


class ComponentFilters(Schema):
    bbox: BBoxParam | None = Field(None, description="最小经度,最小纬度,最大经度,最大纬度（WGS84）")
    type_code: Text | None = Field(None, alias="type", description="部件类型代码")  # type: ignore[valid-type]
    grid_code: Text | None = Field(None, alias="grid", description="单元网格编码")  # type: ignore[valid-type]
    street_code: Text | None = Field(None, alias="street", description="街道代码")  # type: ignore[valid-type]
    state: StateParam | None = Field(  # type: ignore[valid-type]
        None, description="intact/damaged/lost/abandoned/removed"
    )
    q: Text | None = Field(None, description="标识码前缀或名称")  # type: ignore[valid-type]

    def as_kwargs(self) -> dict[str, Any]:
        return {
            "bbox": queries.parse_bbox(self.bbox),
            "type_code": self.type_code,
            "grid_code": self.grid_code,
            "street_code": self.street_code,
            "state": self.state,
            "q": self.q,
        }


@router.get("/components", response=list[ComponentOut], summary="部件列表")
@paginate(BoundedPages, page_size=50, max_page_size=500)
def list_components(request: HttpRequest, filters: Query[ComponentFilters]) -> QuerySet[Component]:
    return queries.components(acting_user(request), **filters.as_kwargs())


@router.get(
    "/components.geojson",
    response=ComponentFeatureCollection,
    summary=f"部件点位 GeoJSON（地图用，最多 {GEOJSON_CAP} 个）",
)
def components_geojson(request: HttpRequest, filters: Query[ComponentFilters]) -> dict[str, Any]:
    qs = queries.components(acting_user(request), **filters.as_kwargs())
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


class ImportOptions(Schema):
    fmt: Literal["csv", "geojson"] = Field("csv", alias="format", description="csv 或 geojson")
    crs: CrsName = Field("wgs84", description="坐标系：wgs84、cgcs2000、gcj02、bd09")


@router.post(
    "/components/import",
    response={201: ImportOut},
    summary="导入部件普查数据（管理员；CSV 或 GeoJSON，全部成功或全部不导入）",
    openapi_extra={"requestBody": IMPORT_BODY},
)
def import_components(request: HttpRequest, options: Query[ImportOptions]) -> Status:
    """请求体为文件原文。CSV 列名见 `yiwang.catalog.actions.import_components`；
    有错误时返回 400，`details.errors` 逐条列出（index 从 1 开始，ref 为标识码）。"""
    summary = actions.import_components(
        acting_user(request),
        request.body,
        fmt=options.fmt,
        crs=options.crs,
    )
    return Status(201, {"created": summary.created, "total": summary.total})


# After /components/import: Django tries the URL patterns in order.
@router.get("/components/{ident}", response=ComponentDetailOut, summary="部件详情")
def component_detail(request: HttpRequest, ident: Text) -> Component:  # type: ignore[valid-type]
    return queries.component_detail(acting_user(request), ident)
