"""Case search (案卷查询) with HTMX-updated results, and its CSV / XLSX export."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from yiwang.cases import deadlines, exports, queries
from yiwang.cases.exports import DEFAULT_SORT, SORTS
from yiwang.cases.forms import SearchForm
from yiwang.cases.models import Case
from yiwang.catalog import queries as catalog_queries
from yiwang.catalog.models import Kind
from yiwang.core.errors import ActionError
from yiwang.org.permissions import acting_user
from yiwang.web import exports as web_exports
from yiwang.web.lists import (
    EXPORT_FORMATS,
    EXPORT_LIMIT,
    PAGE_SIZE,
    is_fragment,
    query_without,
    sort_columns,
    sort_order,
)

COLUMNS = {
    "number": _("案卷号"),
    "type": _("小类"),
    "title": _("标题"),
    "street": _("街道"),
    "grid": _("单元网格"),
    "state": _("状态"),
    "department": _("处置部门"),
    "reported": _("上报时间"),
    "due": _("环节时限"),
}
# Times read newest first on the first click of their header; codes and names A → Z.
NEWEST_FIRST = ("reported",)
# Filters folded under "更多条件" on phones.
MORE_FILTERS = ("kind", "type", "source", "street", "grid", "department", "date_from", "date_to")


def _searched(request: HttpRequest, form: SearchForm) -> QuerySet[Case] | None:
    """The matching cases in the asked order, or None when the filters are invalid."""
    return exports.ordered_search(acting_user(request), form, request.GET.get("sort"))


def _page(request: HttpRequest, qs: QuerySet[Case]) -> tuple[Page, int]:
    """The requested page, counting at most COUNT_CAP + 1 rows (shown as "10000+")."""
    count = queries.capped_count(qs)
    paginator = Paginator(qs, PAGE_SIZE)
    # Paginator would otherwise run an exact COUNT(*) over every match.
    paginator.count = count  # type: ignore[misc]
    return paginator.get_page(request.GET.get("page")), count


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(acting_user(request), request.GET)
    qs = _searched(request, form)
    sort, _order = sort_order(request, SORTS, DEFAULT_SORT)
    context: dict[str, Any] = {
        "form": form,
        "sort": sort,
        "columns": sort_columns(SORTS, sort, COLUMNS, descending_first=NEWEST_FIRST),
        "query_no_page": query_without(request, "page"),
        "query_no_sort": query_without(request, "page", "sort"),
        "export_query": query_without(request, "page", "format"),
        "count_cap": queries.COUNT_CAP,
        "export_limit": EXPORT_LIMIT,
        "type_label": _type_label(form),
        "more_open": any(request.GET.get(name) for name in MORE_FILTERS)
        or any(name in form.errors for name in MORE_FILTERS),
    }
    if qs is not None:
        page, count = _page(request, qs)
        cal, now = deadlines.calendar(), timezone.now()
        rows = list(page.object_list)
        targets = queries.merge_targets(rows)
        for case in rows:
            case.light = queries.light(case, now, cal=cal)  # type: ignore[attr-defined]
            # A merged duplicate is shown with the case that carries its result.
            case.merge_target = targets.get(case.pk, "")  # type: ignore[attr-defined]
        context.update(
            searched=True, page=page, rows=rows, count=count, capped=count > queries.COUNT_CAP
        )
    if is_fragment(request):
        return render(request, "cases/_s_results.html", {**context, "fragment": True})
    return render(request, "cases/search.html", context, status=200 if qs is not None else 400)


def _type_label(form: SearchForm) -> str:
    """The chosen type shown back in the picker ("01001 供水井盖")."""
    code = (form.data.get("type") or "").strip()
    if not code:
        return ""
    kind = form.data.get("kind")
    found = catalog_queries.types(None, kind=kind if kind in Kind.values else None).filter(
        code=code
    )
    names = list(found.values_list("name", flat=True)[:2])
    return f"{code} {names[0]}" if len(names) == 1 else code


# ---- export ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def export(request: HttpRequest) -> HttpResponseBase:
    """CSV streams at once; XLSX comes at once up to `EXPORT_IMMEDIATE_ROWS` rows, beyond
    that a POST queues a background job (a GET asks first: it must not start work)."""
    fmt = request.GET.get("format", "xlsx")
    if fmt not in EXPORT_FORMATS:
        return HttpResponse(gettext("导出格式应为 xlsx 或 csv。"), status=400)
    user = acting_user(request)
    filters = exports.export_filters(request.GET)
    try:
        prepared = exports.prepare(user, filters, limit=EXPORT_LIMIT)
    except ActionError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    return web_exports.deliver(
        request,
        user,
        fmt=fmt,
        kind=exports.CASE_SEARCH,
        prepared=prepared,
        filters=filters,
        limit=EXPORT_LIMIT,
        format_param="format",
    )
