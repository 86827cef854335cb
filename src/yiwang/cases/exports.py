"""The case search export (案卷查询导出): its columns and rows, for the page and the job.

The same definition serves the immediate download (CSV streamed, small XLSX) and the
background job that builds a large XLSX (`yiwang.core.exports`, registered under
``CASE_SEARCH`` by `CasesConfig.ready`). Both start from `queries.search`, so an export
sees exactly what its user may see — also when the job runs later.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

from django.db.models import Field, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yiwang.cases import queries
from yiwang.cases.forms import SearchForm, attach_error
from yiwang.cases.models import FINAL_STATES, Case
from yiwang.core import spreadsheets
from yiwang.core.errors import ActionError, InvalidInput
from yiwang.core.exports.registry import Prepared
from yiwang.org.models import User
from yiwang.web.lists import EXPORT_LIMIT, sort_fields

CASE_SEARCH = "cases.search"
BASENAME = "cases"

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
CHUNK = 2000

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


def ordered_search(user: User, form: SearchForm, sort: str | None) -> QuerySet[Case] | None:
    """The matching cases in the asked order, or None when the filters are invalid (the
    errors are then on the form)."""
    if not form.is_valid():
        return None
    try:
        qs = queries.search(user, form.filters())
    except ActionError as exc:
        attach_error(form, exc)
        return None
    _key, order = sort_fields(sort, SORTS, DEFAULT_SORT)
    return qs.order_by(*order)


def export_filters(params: Mapping[str, str]) -> dict[str, str]:
    """What a job keeps of a query string: the search fields and the sort, nothing else."""
    known = set(SearchForm.base_fields) | {"sort"}
    return {name: params[name] for name in params if name in known and params[name]}


def describe(form: SearchForm) -> str:
    """The filters in words, for the user's list of exports ("街道：南园街道；状态：待派遣")."""
    parts = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, "", False):
            continue
        # Codes and ids are shown by their names, as the form's lists show them.
        shown = (
            gettext("是")
            if value is True
            else dict(getattr(field, "choices", ())).get(str(value), value)
        )
        parts.append(f"{field.label}：{shown}")
    return "；".join(parts) or gettext("全部案卷")


# What a row reads: plain values, no model instances (building 50,000 cases and their
# related objects would cost more than writing the file).
_READ = (
    "number",
    "kind",
    "type__code",
    "type__name",
    "title",
    "source",
    "urgency",
    "state",
    "street__name",
    "community__name",
    "grid__code",
    "address",
    "lon",
    "lat",
    "department__name",
    "reported_at",
    "stage",
    "stage_due_at",
    "rework_count",
    "return_count",
    "extension_count",
    "closed_at",
)
_CHOICES = ("kind", "source", "urgency", "state", "stage")


def _labels() -> dict[str, dict[Any, str]]:
    """Each choice field's labels, translated once per export (``get_FOO_display`` would
    translate every choice again on every row: a millisecond a cell)."""
    fields = [cast(Field[Any, Any], Case._meta.get_field(name)) for name in _CHOICES]
    return {f.name: {value: str(label) for value, label in f.flatchoices} for f in fields}


def _rows(qs: QuerySet[Case], limit: int, truncated: bool) -> Iterator[list[Any]]:
    now = timezone.now()
    yes, no = gettext("是"), gettext("否")
    labels = _labels()
    kinds, sources, urgencies = labels["kind"], labels["source"], labels["urgency"]
    states, stages = labels["state"], labels["stage"]
    # Legacy rows may hold text the driver cannot decode; it is read replaced, not refused.
    with spreadsheets.tolerant_text(qs.db):
        for v in qs.values_list(*_READ)[:limit].iterator(chunk_size=CHUNK):
            state, due = v[7], v[17]
            overdue = due is not None and due < now and state not in FINAL_STATES
            # Times stay aware: the writers put them on the Shanghai clock.
            yield [
                v[0],
                kinds.get(v[1], v[1]),
                v[2],
                v[3],
                v[4],
                sources.get(v[5], v[5]),
                urgencies.get(v[6], v[6]),
                states.get(state, state),
                *v[8:14],
                v[14] or "",
                v[15],
                stages.get(v[16], v[16]) if v[16] else "",
                due,
                yes if overdue else no,
                *v[18:22],
            ]
    if truncated:
        yield [
            gettext(
                "注：符合条件的案卷超过 %(limit)s 条，仅导出了前 %(limit)s 条，请缩小查询范围。"
            )
            % {"limit": limit}
        ]


def prepare(user: User, filters: Mapping[str, str], *, limit: int = EXPORT_LIMIT) -> Prepared:
    """The export of ``user``'s search ``filters``; refuses invalid filters with the form's
    first error (a job re-checks them: the user's scope may have changed since)."""
    form = SearchForm(user, filters)
    qs = ordered_search(user, form, filters.get("sort"))
    if qs is None:
        messages = "；".join(str(e) for errors in form.errors.values() for e in errors)
        field = next(iter(form.errors), None)
        raise InvalidInput("bad_filters", gettext("查询条件有误：") + messages, field)
    counted = qs.order_by().values("pk")[: limit + 1].count()
    truncated = counted > limit
    return Prepared(
        basename=BASENAME,
        label=f"{gettext('案卷查询')}：{describe(form)}",
        headers=EXPORT_HEADERS,
        total=min(counted, limit),
        truncated=truncated,
        rows=_rows(qs, limit, truncated),
    )
