"""Case search (案卷查询) with HTMX-updated results, and its CSV / XLSX export."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yiwang.cases import deadlines, queries
from yiwang.cases.forms import SearchForm, attach_error
from yiwang.cases.models import FINAL_STATES, Case
from yiwang.catalog import queries as catalog_queries
from yiwang.catalog.models import Kind
from yiwang.core.errors import ActionError
from yiwang.org.permissions import acting_user
from yiwang.web.lists import (
    EXPORT_FORMATS,
    EXPORT_LIMIT,
    PAGE_SIZE,
    export_response,
    is_fragment,
    query_without,
    sort_columns,
    sort_order,
)

# Sortable columns → ORDER BY (ascending); "-key" reverses. The id keeps pages stable.
SORTS: dict[str, list[str]] = {
    "number": ["number"],
    "type": ["type__code", "id"],
    "state": ["state", "id"],
    "street": ["street__code", "id"],
    "grid": ["grid__code", "id"],
    "department": ["department__name", "id"],
    "reported": ["reported_at", "id"],
    "due": ["stage_due_at", "id"],
}
DEFAULT_SORT = "-reported"
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
CHUNK = 2000
# Filters folded under "更多条件" on phones.
MORE_FILTERS = ("kind", "type", "source", "street", "grid", "department", "date_from", "date_to")


def _searched(request: HttpRequest, form: SearchForm) -> QuerySet[Case] | None:
    """The matching cases in the asked order, or None when the filters are invalid."""
    if not form.is_valid():
        return None
    try:
        qs = queries.search(acting_user(request), form.filters())
    except ActionError as exc:
        attach_error(form, exc)
        return None
    _, order = sort_order(request, SORTS, DEFAULT_SORT)
    return qs.order_by(*order)


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
        for case in rows:
            case.light = queries.light(case, now, cal=cal)  # type: ignore[attr-defined]
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

EXPORT_HEADERS: Sequence[Any] = (
    _("案卷号"),
    _("类型"),
    _("小类代码"),
    _("小类"),
    _("标题"),
    _("来源"),
    _("紧急程度"),
    _("状态"),
    _("街道"),
    _("社区"),
    _("网格"),
    _("地址"),
    _("经度"),
    _("纬度"),
    _("处置部门"),
    _("上报时间"),
    _("当前环节"),
    _("环节时限"),
    _("是否超期"),
    _("返工次数"),
    _("回退次数"),
    _("延期次数"),
    _("结案时间"),
)


def _local(value: datetime | None) -> datetime | None:
    """Asia/Shanghai wall time without tzinfo: spreadsheets cannot hold an offset."""
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _export_rows(qs: QuerySet[Case], limit: int, truncated: bool) -> Iterator[list[Any]]:
    now = timezone.now()
    yes, no = gettext("是"), gettext("否")
    for c in qs.select_related("community")[:limit].iterator(chunk_size=CHUNK):
        overdue = (
            c.stage_due_at is not None and c.stage_due_at < now and c.state not in FINAL_STATES
        )
        yield [
            c.number,
            c.get_kind_display(),
            c.type.code,
            c.type.name,
            c.title,
            c.get_source_display(),
            c.get_urgency_display(),
            c.get_state_display(),
            c.street.name,
            c.community.name,
            c.grid.code,
            c.address,
            c.lon,
            c.lat,
            c.department.name if c.department else "",
            _local(c.reported_at),
            c.get_stage_display() if c.stage else "",
            _local(c.stage_due_at),
            yes if overdue else no,
            c.rework_count,
            c.return_count,
            c.extension_count,
            _local(c.closed_at),
        ]
    if truncated:
        yield [
            gettext(
                "注：符合条件的案卷超过 %(limit)s 条，仅导出了前 %(limit)s 条，请缩小查询范围。"
            )
            % {"limit": limit}
        ]


@login_required
def export(request: HttpRequest) -> HttpResponse:
    fmt = request.GET.get("format", "xlsx")
    if fmt not in EXPORT_FORMATS:
        return HttpResponse(gettext("导出格式应为 xlsx 或 csv。"), status=400)
    form = SearchForm(acting_user(request), request.GET)
    qs = _searched(request, form)
    if qs is None:
        errors = "；".join(str(e) for errs in form.errors.values() for e in errs)
        return HttpResponse(
            gettext("查询条件有误：") + errors,
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    truncated = qs.order_by()[: EXPORT_LIMIT + 1].count() > EXPORT_LIMIT
    response = export_response(
        fmt, "cases", EXPORT_HEADERS, _export_rows(qs, EXPORT_LIMIT, truncated)
    )
    if truncated:
        response["X-Export-Truncated"] = str(EXPORT_LIMIT)
    return response
