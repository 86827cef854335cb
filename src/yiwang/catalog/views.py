"""Catalogue pages: the type catalogue and the component inventory."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from yiwang.catalog import exports, queries
from yiwang.catalog.models import Component, Kind
from yiwang.core.errors import NotFound
from yiwang.org import queries as org_queries
from yiwang.org.models import Division, User
from yiwang.org.permissions import acting_user
from yiwang.web import exports as web_exports
from yiwang.web.colors import COMPONENT_STATE_COLORS, UNKNOWN_STATE_COLOR
from yiwang.web.lists import (
    EXPORT_FORMATS,
    EXPORT_LIMIT,
    export_response,
    is_fragment,
    paginate,
    query_without,
    sort_columns,
    sort_order,
)

TYPE_SORTS = {
    "code": ["code"],
    "major": ["major_code", "code"],
    "name": ["name", "code"],
}
COMPONENT_SORTS = exports.SORTS


# ---------------------------------------------------------------------------
# Types


@login_required
def type_list(request: HttpRequest) -> HttpResponseBase:
    kind = request.GET.get("kind", Kind.COMPONENT)
    if kind not in Kind.values:
        kind = Kind.COMPONENT
    q = request.GET.get("q", "").strip()[:50]
    major = request.GET.get("major", "").strip()
    sort, order = sort_order(request, TYPE_SORTS, "code")

    all_of_kind = queries.types(acting_user(request), kind=kind)
    majors = list(
        all_of_kind.order_by("major_code").values_list("major_code", "major_name").distinct()
    )
    qs = queries.types(acting_user(request), kind=kind, q=q or None)
    if major:
        qs = qs.filter(major_code=major)
    qs = qs.order_by(*order)

    fmt = request.GET.get("export", "")
    if fmt in EXPORT_FORMATS:
        headers = [
            gettext("类型"),
            gettext("代码"),
            gettext("大类代码"),
            gettext("大类名称"),
            gettext("名称"),
            gettext("本地扩展"),
            gettext("可自处理"),
            gettext("启用"),
        ]
        rows = (
            (
                t.get_kind_display(),
                t.code,
                t.major_code,
                t.major_name,
                t.name,
                _yes_no(t.is_local),
                _yes_no(t.self_handle),
                _yes_no(t.is_active),
            )
            for t in qs[:EXPORT_LIMIT]
        )
        return export_response(fmt, f"types-{kind}", headers, rows)

    page = paginate(request, qs)
    context = {
        "kind": kind,
        "kinds": Kind.choices,
        "q": q,
        "major": major,
        "majors": majors,
        "sort": sort,
        "page": page,
        "columns": sort_columns(
            TYPE_SORTS,
            sort,
            {
                "code": _("代码"),
                "major": _("大类"),
                "name": _("名称"),
                "local": _("本地扩展"),
                "self_handle": _("可自处理"),
                "active": _("状态"),
            },
        ),
        "query_no_page": query_without(request, "page"),
        "query_no_sort": query_without(request, "page", "sort"),
        "query_no_kind": query_without(request, "page", "kind", "major"),
        "query_no_export": query_without(request, "page", "export"),
    }
    template = "catalog/_type_results.html" if is_fragment(request) else "catalog/types.html"
    return render(request, template, context)


def _export_components(request: HttpRequest, user: User, fmt: str) -> HttpResponseBase:
    """CSV streams at once; XLSX comes at once up to `EXPORT_IMMEDIATE_ROWS` rows, beyond
    that a POST queues a background job (a GET asks first: it must not start work)."""
    filters = exports.export_filters(request.GET)
    prepared = exports.prepare(user, filters, limit=EXPORT_LIMIT)
    return web_exports.deliver(
        request,
        user,
        fmt=fmt,
        kind=exports.COMPONENTS,
        prepared=prepared,
        filters=filters,
        limit=EXPORT_LIMIT,
        format_param="export",
    )


def _yes_no(flag: bool) -> str:
    return gettext("是") if flag else gettext("否")


# ---------------------------------------------------------------------------
# Components


@login_required
@require_http_methods(["GET", "POST"])
def component_list(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    filters = {
        "type_code": request.GET.get("type", "").strip(),
        "street_code": request.GET.get("street", "").strip(),
        "state": request.GET.get("state", "").strip(),
        "q": request.GET.get("q", "").strip()[:50],
    }
    if filters["state"] not in Component.State.values:
        filters["state"] = ""
    sort, _order = sort_order(request, COMPONENT_SORTS, exports.DEFAULT_SORT)
    fmt = request.GET.get("export", "")
    if fmt in EXPORT_FORMATS:
        return _export_components(request, user, fmt)
    if request.method == "POST":
        return HttpResponse(status=405, headers={"Allow": "GET"})
    qs = exports.filtered(user, exports.export_filters(request.GET))

    page = paginate(request, qs)
    context = {
        "filters": filters,
        "types": queries.component_types(user).filter(is_active=True),
        "streets": org_queries.divisions(user).filter(level=Division.Level.STREET),
        "states": Component.State.choices,
        "sort": sort,
        "page": page,
        "columns": sort_columns(
            COMPONENT_SORTS,
            sort,
            {
                "ident": _("标识码"),
                "name": _("名称"),
                "type": _("类型"),
                "state": _("状态"),
                "grid": _("单元网格"),
                "place": _("街道 / 社区"),
            },
        ),
        "query_no_page": query_without(request, "page"),
        "query_no_sort": query_without(request, "page", "sort"),
        "query_no_export": query_without(request, "page", "export"),
    }
    template = (
        "catalog/_component_results.html" if is_fragment(request) else "catalog/components.html"
    )
    return render(request, template, context)


@login_required
def component_detail(request: HttpRequest, ident: str) -> HttpResponse:
    try:
        component = queries.component_detail(acting_user(request), ident)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    map_data = {
        "point": [component.lat, component.lon],
        "grid": {"type": "Feature", "geometry": component.grid.geometry, "properties": {}},
        "tileUrl": settings.TILE_URL,
        "color": COMPONENT_STATE_COLORS.get(component.state, UNKNOWN_STATE_COLOR),
    }
    return render(
        request,
        "catalog/component_detail.html",
        {"component": component, "map_data": map_data},
    )
