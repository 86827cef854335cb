"""Pieces shared by list pages: pagination, sorting and CSV/XLSX export."""

from __future__ import annotations

import io
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone

from yiwang.core import spreadsheets

PAGE_SIZE = 50
# Exports are for working lists, not bulk dumps; a cap keeps one request bounded.
EXPORT_LIMIT = 50_000
EXPORT_FORMATS = ("csv", "xlsx")


def paginate(
    request: HttpRequest, qs: QuerySet[Any] | Sequence[Any], per_page: int = PAGE_SIZE
) -> Page:
    """The requested page; a bad or out-of-range number gives the nearest valid page."""
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def sort_order(
    request: HttpRequest, allowed: Mapping[str, Sequence[str]], default: str
) -> tuple[str, list[str]]:
    """The sort key asked for (``name`` or ``-name``) if allowed, and its ORDER BY fields."""
    return sort_fields(request.GET.get("sort"), allowed, default)


def sort_fields(
    key: str | None, allowed: Mapping[str, Sequence[str]], default: str
) -> tuple[str, list[str]]:
    """`sort_order` for a key taken from anywhere (a stored export's filters)."""
    key = key or default
    field = key.removeprefix("-")
    if field not in allowed:
        key, field = default, default.removeprefix("-")
    order = list(allowed[field])
    if key.startswith("-"):
        order = [f[1:] if f.startswith("-") else f"-{f}" for f in order]
    return key, order


def query_without(request: HttpRequest, *names: str) -> str:
    """The current query string minus ``names`` (for page and sort links)."""
    params: QueryDict = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def is_fragment(request: HttpRequest) -> bool:
    """An HTMX swap of the results only (a history restore wants the whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )


def sort_columns(
    sorts: Collection[str],
    current: str,
    labels: Mapping[str, Any],
    *,
    descending_first: Collection[str] = (),
) -> list[dict[str, Any]]:
    """Header cells with the sort key a click asks for: the column's first order (ascending,
    or descending for ``descending_first`` such as times, newest first), then the other."""
    cells = []
    for key, label in labels.items():
        cell: dict[str, Any] = {"label": label, "key": key, "sortable": key in sorts}
        if key in sorts:
            cell["sorted"] = current.removeprefix("-") == key
            cell["descending"] = current == f"-{key}"
            first = f"-{key}" if key in descending_first else key
            other = key if first.startswith("-") else f"-{key}"
            cell["next"] = other if current == first else first
        cells.append(cell)
    return cells


def export_response(
    fmt: str, basename: str, headers: Sequence[Any], rows: Iterable[Sequence[Any]]
) -> HttpResponseBase:
    """A download of ``rows``, made safe for spreadsheets (`core.spreadsheets.clean_cell`).

    CSV streams (UTF-8 with BOM so Excel opens Chinese correctly): rows are written as the
    database yields them, so memory stays flat for any size. XLSX is built in the request
    and is for small lists; large case exports go through a background job instead.
    """
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{basename}-{stamp}.{fmt}"
    response: HttpResponseBase
    if fmt == "xlsx":
        buffer = io.BytesIO()
        spreadsheets.write_xlsx(buffer, basename, headers, rows)
        response = HttpResponse(buffer.getvalue(), content_type=spreadsheets.XLSX_CONTENT_TYPE)
    else:
        response = StreamingHttpResponse(
            spreadsheets.csv_chunks(headers, rows), content_type=spreadsheets.CSV_CONTENT_TYPE
        )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
