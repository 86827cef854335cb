"""XLSX exports of an evaluation (the ranked table of the page) and of a responsibility list.

Both are `core.exports` exporters (registered by `EvaluationConfig.ready`): the page's
download is immediate for a small file and a background job beyond
`EXPORT_IMMEDIATE_ROWS` (`web.exports.deliver`), and a job re-runs the query with the
user's scope as it is when the job runs. Cells go through `core.spreadsheets.clean_cell`
(formula-injection safe: a name starting with ``=`` stays text).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from yiwang.cases.models import Case, Stage, State
from yiwang.core import spreadsheets
from yiwang.core.errors import InvalidInput
from yiwang.core.exports.registry import Prepared
from yiwang.evaluation import queries, responsibility, tables
from yiwang.evaluation.forms import EvaluationForm, ResponsibilityForm
from yiwang.org.models import User
from yiwang.web.lists import EXPORT_LIMIT

EVALUATION = "evaluation.ranking"
RESPONSIBILITY = "evaluation.responsibility"
SUBJECT_NAMES = dict(EvaluationForm.base_fields["subject"].choices)  # type: ignore[attr-defined]


def _form_error(form: Any) -> InvalidInput:
    messages = "；".join(str(e) for errors in form.errors.values() for e in errors)
    field = next(iter(form.errors), None)
    return InvalidInput("bad_filters", gettext("查询条件有误：") + messages, field)


def evaluation_filters(params: Mapping[str, str]) -> dict[str, str]:
    known = set(EvaluationForm.base_fields)
    return {name: params[name] for name in params if name in known and params[name]}


def evaluation_result(user: User, filters: Mapping[str, str]) -> queries.Evaluation:
    form = EvaluationForm(filters)
    if not form.is_valid():
        raise _form_error(form)
    data = form.cleaned_data
    return queries.evaluation_for(
        user,
        data["subject"],
        data["period"],
        data["day"] or date.today(),
        data.get("end"),
        level=data.get("level") or "street",
    )


def evaluation_prepared(result: queries.Evaluation) -> Prepared:
    rows = tables.export_rows(result)
    subject = str(SUBJECT_NAMES.get(result.kind, result.kind))
    return Prepared(
        basename="evaluation",
        label=f"{gettext('综合评价')}：{subject} {result.period.label}",
        headers=tables.export_headers(result),
        total=len(rows),
        truncated=False,
        rows=rows,
    )


def prepare_evaluation(user: User, filters: Mapping[str, str]) -> Prepared:
    return evaluation_prepared(evaluation_result(user, filters))


# ---- responsibility lists -------------------------------------------------------------------

RESPONSIBILITY_HEADERS: Sequence[Any] = (
    _("序号"),
    _("案卷号"),
    _("小类"),
    _("标题"),
    _("地址"),
    _("街道"),
    _("处置部门"),
    _("状态"),
    _("当前环节"),
    _("环节时限"),
    _("红绿灯"),
    _("已用天数"),
    _("上报时间"),
)


def responsibility_filters(params: Mapping[str, str]) -> dict[str, str]:
    return {name: params[name] for name in ("street", "department") if params.get(name)}


def responsibility_choice(user: User, filters: Mapping[str, str]) -> responsibility.Choice:
    form = ResponsibilityForm(user, filters)
    if not form.is_valid():
        raise _form_error(form)
    return responsibility.choose(
        user, form.cleaned_data.get("street") or "", form.cleaned_data.get("department") or ""
    )


def _problem_rows(qs: QuerySet[Case], limit: int, truncated: bool) -> Iterator[list[Any]]:
    states = {value: str(label) for value, label in State.choices}
    stages = {value: str(label) for value, label in Stage.choices}
    now = timezone.now()
    position = 0
    # In pages of a few hundred: the traffic lights need the calendar, read once per page.
    for start in range(0, limit, 500):
        chunk = list(qs[start : min(start + 500, limit)])
        if not chunk:
            break
        for line in responsibility.lines(chunk, now):
            c = line.case
            position += 1
            yield [
                position,
                c.number,
                f"{c.type.code} {c.type.name}",
                c.title,
                c.address,
                c.street.name,
                c.department.name if c.department else "",
                states.get(c.state, c.state),
                stages.get(c.stage, c.stage) if c.stage else "",
                c.stage_due_at,
                str(line.light.label) if line.light else "",
                line.days_open,
                c.reported_at,
            ]
    if truncated:
        yield [gettext("注：超过 %(limit)s 条，仅导出了前 %(limit)s 条。") % {"limit": limit}]


def prepare_responsibility(
    user: User, filters: Mapping[str, str], *, limit: int = EXPORT_LIMIT
) -> Prepared:
    choice = responsibility_choice(user, filters)
    qs = responsibility.problems_of(user, choice)
    counted = qs.order_by().values("pk")[: limit + 1].count()
    truncated = counted > limit
    about = choice.label or gettext("全部")
    return Prepared(
        # The sheet's name too: the street's or department's, as the list says.
        basename=f"{gettext('责任清单')}-{about}",
        label=f"{gettext('责任清单')}：{about}",
        headers=RESPONSIBILITY_HEADERS,
        total=min(counted, limit),
        truncated=truncated,
        rows=_problem_rows(qs, limit, truncated),
    )


# ---- one sheet per street or department ---------------------------------------------------

# A workbook of sheets is built in the request (the background job writes one sheet): it is
# for a district's or a city's lists, not for a province's. Beyond this many problems the
# reader exports street by street, or everything as one sheet (which may run as a job).
SHEETS_LIMIT = 5000


def _unique_title(name: str, used: set[str]) -> str:
    title = spreadsheets.sheet_title(name)
    n = 2
    while title in used:  # two names alike in their first 31 characters
        suffix = f"~{n}"
        title = spreadsheets.sheet_title(name)[: 31 - len(suffix)] + suffix
        n += 1
    used.add(title)
    return title


def responsibility_workbook(user: User, by: str) -> bytes:
    """Every street's (``by="street"``) or department's open problems, one sheet each, in
    the order of the summary table (most problems first), after a summary sheet."""
    if by not in ("street", "department"):
        raise InvalidInput("bad_grouping", "分页方式应为按街道或按部门", field="by")
    summary = responsibility.summary(user, by)
    total = sum(row.open for row in summary)
    if total > SHEETS_LIMIT:
        raise InvalidInput(
            "too_many_for_sheets",
            gettext("在办问题超过 %(limit)s 个，请按街道或部门分别导出。")
            % {"limit": SHEETS_LIMIT},
            field="by",
        )
    book = Workbook(write_only=True)
    used: set[str] = set()
    overview = book.create_sheet(_unique_title(gettext("汇总"), used))
    label = gettext("街道") if by == "street" else gettext("处置部门")
    overview.append([label, gettext("在办"), gettext("超期"), gettext("挂账")])
    for row in summary:
        overview.append(
            [spreadsheets.clean_cell(v) for v in (row.name, row.open, row.overdue, row.suspended)]
        )
    column = "street_id" if by == "street" else "department_id"
    problems = responsibility.open_problems(user)
    for row in summary:
        sheet = book.create_sheet(_unique_title(row.name, used))
        sheet.append([spreadsheets.clean_cell(str(h)) for h in RESPONSIBILITY_HEADERS])
        qs = problems.filter(**{column: row.key})
        for line in _problem_rows(qs, SHEETS_LIMIT, False):
            sheet.append([spreadsheets.clean_cell(v) for v in line])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
