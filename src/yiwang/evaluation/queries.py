"""Indicators of regions and departments for a period, computed from the case data with
aggregate SQL (a fixed number of queries per evaluation, whatever the number of cases or
subjects), scoped to the acting user, scored with a stored scheme version.

Reads `cases` (the case row, its timeline `CaseEvent`, its `CaseStageRecord`s) through the
case scope; never writes. Definitions (docs/evaluation.md, "Indicators"), for a period
[start, end) on the Shanghai calendar:

- 上报数: cases reported in the period; 监督举报数: of them, from the public (公众, 12345);
- 立案数: cases registered (立案) in the period;
- 应结案数: cases registered in the period that are not 作废, 已合并, 挂账 or 挂账待审批 now;
- 结案数: of those, closed before the period's end; 按期结案数: of those, finished by the
  department no later than their handling deadline (处置时限, extensions included);
- 派遣数: 派遣 moves in the period; 返工数: 返工 moves (核查不通过, 值班长返工) in the period;
  处置数: 处置完毕 moves in the period;
- 按期处置数: handling stages (处置环节 records) finished in the period within their limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from yiwang.cases.models import Case, CaseEvent, CaseStageRecord, Source, Stage, State
from yiwang.cases.scope import in_division, in_scope
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.scope import scoped
from yiwang.evaluation.models import Scheme
from yiwang.evaluation.periods import Period, period_of
from yiwang.evaluation.scheme import region_class, score_subject
from yiwang.evaluation.scoring import Composite, rate
from yiwang.geo.models import UnitGrid
from yiwang.org.models import Department, Division, User
from yiwang.org.permissions import require_role
from yiwang.org.roles import Role

# Region level → the case column that names the region, and the grid column that does.
REGION_LEVELS: dict[str, tuple[str, str]] = {
    "district": ("district_code", "community__parent__parent__code"),
    "street": ("street_id", "community__parent_id"),
    "community": ("community_id", "community_id"),
    "grid": ("grid_id", "id"),
}
SUBJECT_KINDS = (
    "region",
    "department",
    "inspector",
    "operator",
    "dispatcher",
    "shift_lead",
    "handler",
)
PERSON_KINDS = ("inspector", "operator", "dispatcher", "shift_lead", "handler")
SUBJECT_ERROR = "考核对象应为区域、专业部门、监督员、受理员、派遣员、值班长或处置人员"
NOT_DUE = [State.VOIDED, State.MERGED, State.SUSPENDED, State.SUSPEND_REQUESTED]
PUBLIC_SOURCES = [Source.PUBLIC, Source.HOTLINE]
REWORK_MOVES = ["check_fail", "rework"]


@dataclass
class Row:
    key: Any
    name: str
    counts: dict[str, int]
    rates: dict[str, Decimal | None]
    result: Composite
    scheme: str  # code@version of the scheme used
    rank: int | None = None
    previous_score: Decimal | None = None  # 环比
    year_before_score: Decimal | None = None  # 同比
    extra: dict[str, Any] = field(default_factory=dict)


def current_scheme() -> Scheme:
    scheme = Scheme.objects.filter(is_current=True).first()
    if scheme is None:
        raise NotFound("no_scheme", "没有当前使用的考核方案，请系统管理员在后台设定")
    return scheme


def _window(column: str, period: Period) -> Q:
    start, end = period.bounds
    return Q(**{f"{column}__gte": start, f"{column}__lt": end})


def _case_counts(qs: QuerySet[Case], group: str, period: Period) -> dict[Any, dict[str, int]]:
    """One aggregate query: the case-row counts of each group."""
    _, end = period.bounds
    reported = _window("reported_at", period)
    registered = _window("registered_at", period)
    due = registered & ~Q(state__in=NOT_DUE)
    closed = due & Q(closed_at__lt=end)
    rows = (
        qs.filter(reported | registered)
        .order_by()
        .values(group)
        .annotate(
            reported=Count("id", filter=reported),
            public_reported=Count("id", filter=reported & Q(source__in=PUBLIC_SOURCES)),
            registered=Count("id", filter=registered),
            due=Count("id", filter=due),
            closed=Count("id", filter=closed),
            closed_on_time=Count("id", filter=closed & Q(handled_at__lte=F("handle_due_at"))),
        )
    )
    return {row.pop(group): row for row in rows}


def _rates(counts: dict[str, int]) -> dict[str, Decimal | None]:
    return {
        "public_report_rate": rate(counts["public_reported"], counts["reported"]),
        "close_rate": rate(counts["closed"], counts["due"]),
        "on_time_close_rate": rate(counts["closed_on_time"], counts["due"]),
    }


EMPTY_CASE_COUNTS = {
    "reported": 0,
    "public_reported": 0,
    "registered": 0,
    "due": 0,
    "closed": 0,
    "closed_on_time": 0,
}


def _rank(rows: list[Row]) -> list[Row]:
    """Highest score first, 无数据 last; equal scores share a rank."""
    rows.sort(key=lambda r: (r.result.score is None, -(r.result.score or 0), str(r.name)))
    previous: Decimal | None = None
    rank = 0
    for position, row in enumerate(rows, start=1):
        if row.result.score is None:
            row.rank = None
            continue
        if row.result.score != previous:
            rank = position
        row.rank = rank
        previous = row.result.score
    return rows


def _region_names(level: str, keys: Iterable[Any]) -> dict[Any, tuple[str, str]]:
    """key → (name, division code used for the region class)."""
    keys = list(keys)
    if level == "grid":
        return {
            g["id"]: (g["name"] or g["code"], g["code"])
            for g in UnitGrid.objects.filter(id__in=keys).values("id", "name", "code")
        }
    if level == "district":
        return {
            d["code"]: (d["name"], d["code"])
            for d in Division.objects.filter(code__in=keys).values("code", "name")
        }
    return {
        d["id"]: (d["name"], d["code"])
        for d in Division.objects.filter(id__in=keys).values("id", "name", "code")
    }


def region_rows(user: User, period: Period, level: str, scheme: Scheme | None = None) -> list[Row]:
    """Every region of `level` in the user's division with its indicators and score."""
    if level not in REGION_LEVELS:
        raise InvalidInput("invalid_level", "区域层级应为区县、街道、社区或网格", field="level")
    scheme = scheme or current_scheme()
    case_group, grid_group = REGION_LEVELS[level]
    counts = _case_counts(in_division(Case.objects.all(), user), case_group, period)
    grids_qs = scoped(UnitGrid.objects.all(), user, "division_path").order_by()
    grid_counts = {
        row[grid_group]: (row["n"], row["top_class"])
        for row in grids_qs.values(grid_group).annotate(
            n=Count("id"), top_class=Count("id", filter=Q(region_class=2))
        )
    }
    keys = set(counts) | set(grid_counts)
    names = _region_names(level, keys)
    rows = []
    for key in keys:
        c = counts.get(key, EMPTY_CASE_COUNTS)
        n_grids, class_two = grid_counts.get(key, (0, 0))
        name, code = names.get(key, (str(key), str(key)))
        per_grid = Decimal(c["registered"]) / n_grids if n_grids else None
        if level == "grid":
            # A grid carries its own class (一类/二类) in the grid table.
            cls = "2" if class_two else "1"
        else:
            cls = region_class(scheme.definition, code)
        values: dict[str, Decimal | int | None] = {**_rates(c), "register_per_grid": per_grid}
        result = score_subject(scheme.definition, "region", values, region_cls=cls)
        rows.append(
            Row(
                key,
                name,
                {**c, "grids": n_grids},
                {**_rates(c), "register_per_grid": per_grid},
                result,
                scheme.label,
                extra={"region_class": cls},
            )
        )
    return _rank(rows)


def department_rows(user: User, period: Period, scheme: Scheme | None = None) -> list[Row]:
    """Every department with cases in the user's scope, with its indicators and score."""
    scheme = scheme or current_scheme()
    scoped_cases = in_scope(Case.objects.filter(department__isnull=False), user)
    counts = _case_counts(scoped_cases, "department_id", period)
    case_ids = scoped_cases.values("id")
    handled = {
        row["case__department_id"]: row
        for row in CaseStageRecord.objects.filter(
            _window("finished_at", period), stage=Stage.HANDLE, case_id__in=case_ids
        )
        .order_by()
        .values("case__department_id")
        .annotate(stages=Count("id"), in_time=Count("id", filter=Q(finished_at__lte=F("due_at"))))
    }
    moves = {
        row["case__department_id"]: row
        for row in CaseEvent.objects.filter(
            _window("at", period),
            transition__in=["dispatch", "finish", *REWORK_MOVES],
            case_id__in=case_ids,
        )
        .order_by()
        .values("case__department_id")
        .annotate(
            dispatched=Count("id", filter=Q(transition="dispatch")),
            finished=Count("id", filter=Q(transition="finish")),
            reworked=Count("id", filter=Q(transition__in=REWORK_MOVES)),
        )
    }
    keys = set(counts) | set(handled) | set(moves)
    names = dict(Department.objects.filter(id__in=keys).values_list("id", "name"))
    rows = []
    for key in keys:
        c = dict(counts.get(key, EMPTY_CASE_COUNTS))
        h = handled.get(key, {"stages": 0, "in_time": 0})
        m = moves.get(key, {"dispatched": 0, "finished": 0, "reworked": 0})
        c.update(
            handle_stages=h["stages"],
            handled_on_time=h["in_time"],
            dispatched=m["dispatched"],
            finished=m["finished"],
            reworked=m["reworked"],
        )
        rates = {
            "close_rate": rate(c["closed"], c["due"]),
            "on_time_close_rate": rate(c["closed_on_time"], c["due"]),
            "on_time_handle_rate": rate(c["handled_on_time"], c["handle_stages"]),
            # 返工率 = 返工数 / 处置数: of the fixes the department reported, the share sent
            # back. More rework than fixes in one period (a fix of the month before sent
            # back) is capped at 100 %.
            "rework_rate": (
                None
                if c["finished"] == 0
                else min(Decimal(1), rate(c["reworked"], c["finished"]) or Decimal(0))
            ),
        }
        values: dict[str, Decimal | int | None] = {**rates, "register_count": c["registered"]}
        result = score_subject(scheme.definition, "department", values)
        rows.append(Row(key, names.get(key, str(key)), c, rates, result, scheme.label))
    return _rank(rows)


def evaluate(
    user: User, period: Period, kind: str, level: str = "street", compare: bool = True
) -> list[Row]:
    """Ranked rows of one subject kind, with 环比 and 同比 scores under the same scheme."""
    scheme = current_scheme()

    def run(p: Period) -> list[Row]:
        if kind == "region":
            return region_rows(user, p, level, scheme)
        if kind == "department":
            return department_rows(user, p, scheme)
        if kind in PERSON_KINDS:
            # people.py builds on this module's helpers, so it is imported here.
            from yiwang.evaluation.people import person_rows

            return person_rows(user, p, kind, scheme)
        raise InvalidInput("invalid_subject", SUBJECT_ERROR, field="subject")

    rows = run(period)
    if compare:
        before = {r.key: r.result.score for r in run(period.previous())}
        last_year = {r.key: r.result.score for r in run(period.year_before())}
        for row in rows:
            row.previous_score = before.get(row.key)
            row.year_before_score = last_year.get(row.key)
    return rows


# Who reads evaluations: the command centre and leaders (each within their division).
# Inspectors and handlers are the ones evaluated; they do not read the rankings here.
READER_ROLES = (Role.LEADER, Role.ADMIN, Role.SHIFT_LEAD, Role.DISPATCHER, Role.OPERATOR)


@dataclass
class Evaluation:
    kind: str
    level: str
    period: Period
    scheme: str
    rows: list[Row]


def evaluation_for(
    user: User,
    kind: str,
    period_kind: str,
    day: date,
    last: date | None = None,
    level: str = "street",
) -> Evaluation:
    """What the page and the API show: checked input, the user's scope, ranked rows."""
    require_role(user, READER_ROLES, "查看综合评价")
    if kind not in SUBJECT_KINDS:
        raise InvalidInput("invalid_subject", SUBJECT_ERROR, field="subject")
    period = period_of(period_kind, day, last)
    rows = evaluate(user, period, kind, level=level)
    return Evaluation(kind, level if kind == "region" else "", period, current_scheme().label, rows)
