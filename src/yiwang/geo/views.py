"""The map page: unit grids and components of the user's scope."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from yiwang.catalog.models import Component
from yiwang.geo import queries
from yiwang.org.permissions import acting_user
from yiwang.web.colors import COMPONENT_STATE_COLORS

# Text the map script shows; translated here so the script carries no UI strings.
MAP_LABELS = {
    "gridCode": _("网格编码"),
    "gridName": _("网格名称"),
    "community": _("社区"),
    "street": _("街道"),
    "district": _("区县"),
    "point": _("坐标"),
    "grids": _("单元网格"),
    "located": _("已定位网格"),
    "components": _("部件"),
    "componentStates": _("部件状态"),
    "legend": _("图例"),
    "ident": _("标识码"),
    "name": _("名称"),
    "type": _("类型"),
    "state": _("状态"),
    "detail": _("查看详情"),
    "locating": _("正在查询…"),
    "loadFailed": _("加载失败，请稍后重试。"),
    "gridsTruncated": _("当前范围内网格较多，仅显示部分，请放大地图。"),
    "componentsTruncated": _("当前范围内部件较多，仅显示部分，请放大地图。"),
    "componentsZoomIn": _("放大地图以显示部件。"),
    "gridsShown": _("显示网格"),
    "componentsShown": _("显示部件"),
    "notInScope": _("该位置不在您的管辖范围内。"),
}


@login_required
def map_page(request: HttpRequest) -> HttpResponse:
    config = {
        "tileUrl": settings.TILE_URL,
        "bounds": queries.scope_bounds(acting_user(request)),
        "gridsUrl": "/api/geo/grids",
        "locateUrl": "/api/geo/locate",
        "componentsUrl": "/api/catalog/components.geojson",
        "componentUrl": reverse("web:components"),
        "states": [
            {"value": state.value, "label": state.label, "color": COMPONENT_STATE_COLORS[state]}
            for state in Component.State
        ],
        "labels": MAP_LABELS,
    }
    return render(request, "geo/map.html", {"map_config": config})
