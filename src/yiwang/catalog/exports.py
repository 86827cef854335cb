"""The component inventory export (部件普查导出), for the page and the background job.

One definition serves the immediate download (CSV streamed, small XLSX) and the worker's
job for a large XLSX (`yiwang.core.exports`, registered under ``COMPONENTS`` by
`CatalogConfig.ready`). Both start from `queries.components`, so the file holds exactly
what its user may see — also when the job runs later, with the scope the user has then.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yiwang.catalog import queries
from yiwang.catalog.models import Component
from yiwang.core import spreadsheets
from yiwang.core.exports.registry import Prepared
from yiwang.org.models import User
from yiwang.web.lists import EXPORT_LIMIT, sort_fields

COMPONENTS = "catalog.components"
BASENAME = "components"
CHUNK = 2000

SORTS = {
    "ident": ["ident"],
    "name": ["name", "ident"],
    "type": ["type__code", "ident"],
    "state": ["state", "ident"],
    "grid": ["grid__code", "ident"],
}
DEFAULT_SORT = "ident"
# What the page's query string may carry into a job; nothing else is kept.
FILTERS = ("type", "street", "state", "q", "sort")

HEADERS: Sequence[Any] = (
    _("标识码"),
    _("名称"),
    _("类型代码"),
    _("类型名称"),
    _("状态"),
    _("单元网格"),
    _("街道"),
    _("社区"),
    _("经度"),
    _("纬度"),
    _("主管部门"),
    _("权属单位"),
    _("养护单位"),
    _("初始日期"),
    _("变更日期"),
    _("备注"),
)

_READ = (
    "ident",
    "name",
    "type__code",
    "type__name",
    "state",
    "grid__code",
    "street__name",
    "community__name",
    "lon",
    "lat",
    "authority_name",
    "owner",
    "maintainer",
    "initial_date",
    "change_date",
    "note",
)


def export_filters(params: Mapping[str, str]) -> dict[str, str]:
    return {name: params[name].strip() for name in FILTERS if params.get(name, "").strip()}


def filtered(user: User, filters: Mapping[str, str]) -> QuerySet[Component]:
    """The page's list: the user's components, filtered and in the asked order."""
    state = filters.get("state", "")
    _key, order = sort_fields(filters.get("sort"), SORTS, DEFAULT_SORT)
    return queries.components(
        user,
        type_code=filters.get("type") or None,
        street_code=filters.get("street") or None,
        state=state if state in Component.State.values else None,
        q=(filters.get("q") or "")[:50] or None,
    ).order_by(*order)


def _rows(qs: QuerySet[Component], limit: int, truncated: bool) -> Iterator[list[Any]]:
    states = {value: str(label) for value, label in Component.State.choices}
    with spreadsheets.tolerant_text(qs.db):
        for v in qs.values_list(*_READ)[:limit].iterator(chunk_size=CHUNK):
            yield [*v[:4], states.get(v[4], v[4]), *v[5:]]
    if truncated:
        yield [
            gettext(
                "注：符合条件的部件超过 %(limit)s 个，仅导出了前 %(limit)s 个，请缩小查询范围。"
            )
            % {"limit": limit}
        ]


def describe(filters: Mapping[str, str]) -> str:
    names = {"type": _("类型"), "street": _("街道"), "state": _("状态"), "q": _("关键词")}
    parts = [f"{names[k]}：{v}" for k, v in filters.items() if k in names]
    return "；".join(parts) or gettext("全部部件")


def prepare(user: User, filters: Mapping[str, str], *, limit: int = EXPORT_LIMIT) -> Prepared:
    qs = filtered(user, filters)
    counted = qs.order_by().values("pk")[: limit + 1].count()
    truncated = counted > limit
    return Prepared(
        basename=BASENAME,
        label=f"{gettext('部件清单')}：{describe(filters)}",
        headers=HEADERS,
        total=min(counted, limit),
        truncated=truncated,
        rows=_rows(qs, limit, truncated),
    )
