"""周分析: one Monday–Sunday week of a division, against the week before.

Definitions (docs/reports.md, "Bulletins"):

- daily trend: cases reported each day (受理) and cases closed each day (结案 moves on the
  timeline, each case once a day), this week and the week before, day by day;
- top types and top grids: by cases reported in the week;
- repeat locations (重复发生点位): the recurrence of the hotspot page
  (`reports.queries.recurrences`): one type at least `REPEAT_MIN` times in one H3 cell
  (resolution 9) within `REPEAT_DAYS` days, among the week's reports (作废 and 已合并
  left out, as on the hotspot page);
- departments' 按期处置率: the evaluation's department indicator ``on_time_handle_rate``
  (docs/evaluation.md), computed here for both weeks in one query: handling stages (处置环节)
  finished in the week within their limit / finished in the week, by the case's department;
  departments with no handling finished in either week are not listed.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate

from yiwang.cases.models import CaseStageRecord, Stage
from yiwang.core.scope import scoped
from yiwang.org.models import User
from yiwang.reports import queries as hotspot_queries
from yiwang.reports.bulletins import common as c
from yiwang.reports.bulletins import sentences
from yiwang.reports.bulletins.content import Cell, Chart, Paragraph, Section, Series, Table

TOP = 10
REPEAT_MIN = 3
REPEAT_DAYS = 7
REPEAT_RESOLUTION = 9
REPEAT_LIMIT = 20
RateRow = tuple[int, int, Decimal | None]


def daily_counts(
    reader: User, span: c.Span
) -> tuple[list[float | int | None], list[float | int | None]]:
    """Reported and closed per day of the span, in day order (2 queries)."""
    reported = {
        r["d"]: r["k"]
        for r in c.division_cases(reader)
        .filter(reported_at__gte=span.start, reported_at__lt=span.end)
        .annotate(d=TruncDate("reported_at", tzinfo=c.SHANGHAI))
        .values("d")
        .annotate(k=Count("id"))
    }
    closed = {
        r["d"]: r["k"]
        for r in c.division_events(reader, span)
        .filter(transition__in=c.CLOSE_MOVES)
        .annotate(d=TruncDate("at", tzinfo=c.SHANGHAI))
        .values("d")
        .annotate(k=Count("case", distinct=True))
    }
    days = [span.first + timedelta(days=i) for i in range(span.days)]
    in_days: list[float | int | None] = [reported.get(d, 0) for d in days]
    out_days: list[float | int | None] = [closed.get(d, 0) for d in days]
    return in_days, out_days


def total(values: list[float | int | None]) -> int:
    return int(sum(v or 0 for v in values))


def top_types(reader: User, span: c.Span, previous: c.Span) -> list[list[Any]]:
    base = c.division_cases(reader).filter(
        reported_at__gte=previous.start, reported_at__lt=span.end
    )
    this_week = Q(reported_at__gte=span.start)
    rows = (
        base.values("type__code", "type__name")
        .annotate(k=Count("id", filter=this_week), before=Count("id", filter=~this_week))
        .filter(k__gt=0)
        .order_by("-k", "type__code")[:TOP]
    )
    return [[r["type__code"], r["type__name"], r["k"], r["before"]] for r in rows]


def top_grids(reader: User, span: c.Span) -> list[list[Any]]:
    rows = (
        c.division_cases(reader)
        .filter(reported_at__gte=span.start, reported_at__lt=span.end, grid__isnull=False)
        .values("grid__code", "grid__name", "street__name")
        .annotate(k=Count("id"))
        .order_by("-k", "grid__code")[:TOP]
    )
    return [
        [r["grid__code"], r["grid__name"] or r["grid__code"], r["street__name"] or "", r["k"]]
        for r in rows
    ]


def repeats(reader: User, span: c.Span) -> tuple[list[list[Any]], int]:
    filters = hotspot_queries.Filters(span.first, span.last, resolution=REPEAT_RESOLUTION)
    found = hotspot_queries.recurrences(reader, filters, min_count=REPEAT_MIN, days=REPEAT_DAYS)
    names = hotspot_queries.type_names({r.type_id for r in found[:REPEAT_LIMIT]})
    rows = []
    for r in found[:REPEAT_LIMIT]:
        code, name = names.get(r.type_id, ("", ""))
        numbers = "、".join(r.numbers[:5]) + ("等" if len(r.numbers) > 5 else "")
        rows.append(
            [
                r.cell,
                f"{name}（{code}）",
                r.count,
                r.window_start.astimezone(c.SHANGHAI).strftime("%m-%d %H:%M"),
                r.window_end.astimezone(c.SHANGHAI).strftime("%m-%d %H:%M"),
                numbers,
            ]
        )
    return rows, len(found)


def on_time_rates(
    reader: User, span: c.Span, previous: c.Span
) -> tuple[dict[str, RateRow], dict[str, RateRow]]:
    """Department name → (handling stages finished, of them within their limit, 按期处置率),
    for the week and the week before, in one query (the evaluation's department indicator
    `on_time_handle_rate`: 处置 stage records finished in the period, by the case's
    department)."""
    this_week = Q(finished_at__gte=span.start)
    in_time = Q(finished_at__lte=F("due_at"))
    qs = CaseStageRecord.objects.filter(
        stage=Stage.HANDLE,
        finished_at__gte=previous.start,
        finished_at__lt=span.end,
        case__department__isnull=False,
    )
    rows = (
        scoped(qs, reader, "case__division_path")
        .order_by()
        .values("case__department__name")
        .annotate(
            k=Count("id", filter=this_week),
            ok=Count("id", filter=this_week & in_time),
            k0=Count("id", filter=~this_week),
            ok0=Count("id", filter=~this_week & in_time),
        )
    )
    now: dict[str, RateRow] = {}
    before: dict[str, RateRow] = {}
    for r in rows:
        name = r["case__department__name"]
        now[name] = (r["k"], r["ok"], rate(r["ok"], r["k"]))
        before[name] = (r["k0"], r["ok0"], rate(r["ok0"], r["k0"]))
    return now, before


def rate(part: int, whole: int) -> Decimal | None:
    return Decimal(part) / Decimal(whole) if whole else None


def build_weekly_sections(reader: User, span: c.Span) -> tuple[list[str], list[Section]]:
    previous = span.previous()
    reported, closed = daily_counts(reader, span)
    reported_before, closed_before = daily_counts(reader, previous)
    types = top_types(reader, span, previous)
    grids = top_grids(reader, span)
    repeat_rows, repeat_total = repeats(reader, span)
    rates, rates_before = on_time_rates(reader, span, previous)
    departments = sorted(rates.items(), key=lambda kv: (kv[1][2] is None, -(kv[1][2] or 0), kv[0]))
    with_rate = [(name, v[2]) for name, v in departments if v[2] is not None]
    lowest = min(with_rate, key=lambda kv: (kv[1], kv[0])) if with_rate else None
    summary = sentences.weekly_summary(
        intake=total(reported),
        previous_intake=total(reported_before),
        closed=total(closed),
        previous_closed=total(closed_before),
        top_type=(types[0][1], types[0][2]) if types else None,
        top_grid=(grids[0][1], grids[0][3]) if grids else None,
        repeats=repeat_total,
        lowest_department=lowest,
    )
    days = [f"{c.WEEKDAYS[i]} {(span.first + timedelta(days=i)):%m-%d}" for i in range(span.days)]
    trend_rows: list[list[Cell]] = [
        [days[i], reported[i], reported_before[i], closed[i], closed_before[i]]
        for i in range(span.days)
    ]
    trend_rows.append(
        ["合计", total(reported), total(reported_before), total(closed), total(closed_before)]
    )
    trend = Section(
        heading="一、受理与结案趋势",
        blocks=[
            Paragraph(text=summary[0]),
            Chart(
                title="每日受理、结案（本周与上周）",
                kind="line",
                categories=days,
                series=[
                    Series(name="本周受理", data=reported),
                    Series(name="上周受理", data=reported_before),
                    Series(name="本周结案", data=closed),
                    Series(name="上周结案", data=closed_before),
                ],
                unit="件",
            ),
            Table(
                title="每日受理、结案",
                columns=["日期", "本周受理", "上周同日受理", "本周结案", "上周同日结案"],
                rows=trend_rows,
            ),
        ],
    )
    hot = Section(
        heading="二、高发问题与网格",
        blocks=[
            Table(
                title="受理最多的问题类型（前10类）",
                columns=["类型代码", "问题类型", "本周受理", "上周受理"],
                rows=types,
                note="" if types else "本周无受理。",
            ),
            Chart(
                title="受理最多的问题类型",
                kind="hbar",
                categories=[r[1] for r in types],
                series=[Series(name="本周受理", data=[r[2] for r in types])],
                unit="件",
            ),
            Table(
                title="问题最多的网格（前10个）",
                columns=["网格编码", "网格", "街道", "本周受理"],
                rows=grids,
                note="" if grids else "本周无受理。",
            ),
            Table(
                title="重复发生点位",
                columns=["H3 单元", "问题类型", "次数", "首次上报", "末次上报", "案卷"],
                rows=repeat_rows,
                note=(
                    f"同一类型问题在同一 H3 单元（分辨率{REPEAT_RESOLUTION}，约 0.1 平方千米）"
                    f"{REPEAT_DAYS}天内发生{REPEAT_MIN}次及以上。共{c.n(repeat_total)}处"
                    + (f"，列出前{REPEAT_LIMIT}处" if repeat_total > REPEAT_LIMIT else "")
                    + "。"
                ),
            ),
        ],
    )
    dept_rows: list[list[Cell]] = []
    for name, (stages, in_time, value) in departments:
        before = rates_before.get(name, (0, 0, None))[2]
        moved = c.points(value, before)
        dept_rows.append([name, stages, in_time, c.pct(value), c.pct(before), moved or "—"])
    shown = [(name, v[2]) for name, v in departments if v[2] is not None][:15]
    on_time = Section(
        heading="三、部门按期处置情况",
        blocks=[
            Table(
                title="部门按期处置率",
                columns=["部门", "处置数", "按期处置数", "按期处置率", "上周按期处置率", "变化"],
                rows=dept_rows,
                note="按期处置率 = 本周内处置完毕且未超过处置时限的处置环节数 ÷ "
                "本周内处置完毕的处置环节数；某周无处置完毕的为“无数据”。",
            ),
            Chart(
                title="部门按期处置率",
                kind="hbar",
                categories=[name for name, _ in shown],
                series=[
                    Series(
                        name="按期处置率",
                        data=[round(float(v) * 100, 1) for _, v in shown if v is not None],
                    )
                ],
                unit="%",
            ),
        ],
    )
    return summary, [trend, hot, on_time]
