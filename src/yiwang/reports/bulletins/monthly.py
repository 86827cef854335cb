"""月通报: one calendar month of a division — headline figures, the rankings and grades of
every subject kind the evaluation supports, what improved and what worsened, and the
before/after counts of the spots under key supervision (重点监管).

Reads the evaluation through its queries (`yiwang.evaluation.queries.evaluate`, once per
subject kind in its `SUBJECT_KINDS` and per period: this month, the month before (环比) and
the same month a year earlier (同比)), so the bulletin's scores are the evaluation page's.

Definitions (docs/reports.md, "Bulletins"):

- 受理: cases reported in the month; 结案: cases with a 结案 / 自处理结案 move in the month;
- 按期处置率: handling stages (处置环节) finished in the month within their limit / handling
  stages finished in the month (无数据 when none finished);
- rankings: the evaluation's composite scores and grades A–E under the current scheme;
  streets are the region kind at street level;
- a supervised spot's before/after: cases (not 作废 or 已合并) reported in the spot's H3
  cell, read in the bulletin's scope. "After" is the part of the month the spot was under
  supervision: from the later of the month's start and the supervision's start, to the
  earliest of the month's end, the release and the moment the bulletin is built. "Before"
  is a window of the same length ending when supervision started. So a spot supervised
  since 10 October, in the November bulletin, compares November (30 days) with the 30 days
  before 10 October.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import h3
from django.db.models import Count, F, Q

from yiwang.cases.models import CaseStageRecord, Stage, State
from yiwang.core.scope import scoped
from yiwang.evaluation import queries as evaluation
from yiwang.org.models import User
from yiwang.reports.bulletins import common as c
from yiwang.reports.bulletins import sentences
from yiwang.reports.bulletins.content import Chart, Paragraph, Section, Series, Table
from yiwang.reports.bulletins.parallel import side_by_side
from yiwang.reports.models import SupervisedSpot

SUBJECT_NAMES = {
    "region": "街道",
    "department": "专业部门",
    "dispatcher": "派遣员",
    "shift_lead": "值班长",
    "inspector": "监督员",
    "operator": "受理员",
    "handler": "处置人员",
}
RATE_COLUMNS = 4  # indicator columns shown per ranking (the first ones of the rows' rates)
CHART_ROWS = 15
SPOT_LIMIT = 50
CHINESE_NUMBERS = "一二三四五六七八九十"


def subject_name(kind: str) -> str:
    return SUBJECT_NAMES.get(kind, kind)


def intake(reader: User, span: c.Span) -> int:
    return (
        c.division_cases(reader)
        .filter(reported_at__gte=span.start, reported_at__lt=span.end)
        .count()
    )


def on_time_handling(reader: User, span: c.Span) -> tuple[int, int]:
    """(handling stages finished in the span, of them within their limit)."""
    qs = CaseStageRecord.objects.filter(
        stage=Stage.HANDLE, finished_at__gte=span.start, finished_at__lt=span.end
    )
    got = (
        scoped(qs, reader, "case__division_path")
        .order_by()
        .aggregate(k=Count("id"), in_time=Count("id", filter=Q(finished_at__lte=F("due_at"))))
    )
    return got["k"], got["in_time"]


def overview(reader: User, span: c.Span) -> sentences.Overview:
    previous = span.previous()
    stages, in_time = on_time_handling(reader, span)
    stages_before, in_time_before = on_time_handling(reader, previous)
    closed = c.closed_counts(reader, [span, previous, span.year_before()])
    return sentences.Overview(
        intake=intake(reader, span),
        previous_intake=intake(reader, previous),
        year_before_intake=intake(reader, span.year_before()),
        closed=closed[0],
        on_time_rate=c.share(in_time, stages),
        previous_on_time_rate=c.share(in_time_before, stages_before),
        previous_closed=closed[1],
        year_before_closed=closed[2],
    )


@dataclass
class Ranking:
    kind: str
    rows: list[Any]  # evaluation rows of the month
    previous: dict[Any, Any]  # key → row of the month before
    year_before: dict[Any, Any]  # key → row of the same month a year earlier


def rankings(reader: User, span: c.Span) -> list[Ranking]:
    period = evaluation.period_of("month", span.first)
    periods = (period, period.previous(), period.year_before())
    jobs = [(kind, p) for kind in evaluation.SUBJECT_KINDS for p in periods]
    runs = side_by_side(
        lambda job: evaluation.evaluate(reader, job[1], job[0], level="street", compare=False),
        jobs,
    )
    out = []
    for i, kind in enumerate(evaluation.SUBJECT_KINDS):
        now, before, year_before = runs[3 * i : 3 * i + 3]
        out.append(
            Ranking(
                kind,
                now,
                {r.key: r for r in before},
                {r.key: r for r in year_before},
            )
        )
    return out


def _score(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _diff(now: Decimal | None, before: Decimal | None) -> str:
    if now is None or before is None:
        return "—"
    return c.signed(now - before)


def ranking_blocks(r: Ranking) -> list[Any]:
    name = subject_name(r.kind)
    rate_keys = list(r.rows[0].rates)[:RATE_COLUMNS] if r.rows else []
    rows = []
    for row in r.rows:
        before = r.previous.get(row.key)
        last_year = r.year_before.get(row.key)
        score = row.result.score
        previous_score = before.result.score if before else None
        year_score = last_year.result.score if last_year else None
        rows.append(
            [
                row.rank if row.rank is not None else "—",
                str(row.name),
                _score(score) if score is not None else "无数据",
                row.result.grade,
                _score(previous_score) if previous_score is not None else "无数据",
                _diff(score, previous_score),
                _score(year_score) if year_score is not None else "无数据",
                _diff(score, year_score),
                *(
                    c.pct(row.rates.get(k))
                    if k != "register_per_grid"
                    else (
                        f"{float(row.rates[k]):.2f}" if row.rates.get(k) is not None else "无数据"
                    )
                    for k in rate_keys
                ),
            ]
        )
    scored = [row for row in r.rows if row.result.score is not None][:CHART_ROWS]
    grades = Counter(row.result.grade for row in r.rows if row.result.score is not None)
    no_data = sum(1 for row in r.rows if row.result.score is None)
    blocks: list[Any] = [
        Paragraph(text=sentences.grades_sentence(name, dict(grades), no_data)),
        Table(
            title=f"{name}综合评价排名",
            columns=[
                "排名",
                "名称",
                "综合得分",
                "等级",
                "上月得分",
                "环比（分）",
                "去年同期得分",
                "同比（分）",
                *(sentences.indicator_name(k) for k in rate_keys),
            ],
            rows=rows,
            note="" if rows else f"本月无{name}参与考核。",
        ),
    ]
    if scored:
        blocks.append(
            Chart(
                title=f"{name}综合得分",
                kind="hbar",
                categories=[str(row.name) for row in scored],
                series=[
                    Series(name="本月", data=[_score(row.result.score) for row in scored]),
                    Series(
                        name="上月",
                        data=[
                            _score(r.previous[row.key].result.score)
                            if row.key in r.previous
                            else None
                            for row in scored
                        ],
                    ),
                ],
                unit="分",
            )
        )
    return blocks


def movers(r: Ranking) -> list[sentences.Mover]:
    out = []
    for row in r.rows:
        before = r.previous.get(row.key)
        if row.result.score is None or before is None or before.result.score is None:
            continue
        out.append(
            sentences.Mover(
                name=str(row.name),
                score=row.result.score,
                previous=before.result.score,
                rates=dict(row.rates),
                previous_rates=dict(before.rates),
            )
        )
    return out


# ---- supervised spots ------------------------------------------------------------------------


def _cell_box(cell: str) -> tuple[float, float, float, float]:
    boundary = h3.cell_to_boundary(cell)
    lats = [p[0] for p in boundary]
    lons = [p[1] for p in boundary]
    return min(lons), max(lons), min(lats), max(lats)


def cases_in_cell(reader: User, cell: str, start: datetime, end: datetime) -> int:
    """Counted cases (not 作废 / 已合并) reported in [start, end) inside the cell: a box
    around the cell in SQL, the exact cell test on the few rows inside the box."""
    if end <= start:
        return 0
    west, east, south, north = _cell_box(cell)
    resolution = h3.get_resolution(cell)
    points = (
        c.division_cases(reader)
        .exclude(state__in=[State.VOIDED, State.MERGED])
        .filter(
            reported_at__gte=start,
            reported_at__lt=end,
            lon__gte=west,
            lon__lte=east,
            lat__gte=south,
            lat__lte=north,
        )
        .values_list("lat", "lon")
    )
    return sum(1 for lat, lon in points if h3.latlng_to_cell(lat, lon, resolution) == cell)


@dataclass(frozen=True)
class SpotCount:
    cell: str
    reason: str
    started_at: datetime
    after: tuple[datetime, datetime]
    before: tuple[datetime, datetime]
    after_count: int
    before_count: int


def spot_counts(reader: User, span: c.Span, now: datetime) -> tuple[list[SpotCount], int]:
    month_end = min(span.end, now)
    spots = scoped(SupervisedSpot.objects.all(), reader, "division_path").filter(
        Q(released_at__isnull=True) | Q(released_at__gt=span.start),
        started_at__lt=month_end,
    )
    total = spots.count()
    out = []
    for spot in spots.order_by("started_at", "id")[:SPOT_LIMIT]:
        a0 = max(span.start, spot.started_at)
        a1 = min(month_end, spot.released_at or month_end)
        length = max(a1 - a0, timedelta(0))
        b0, b1 = spot.started_at - length, spot.started_at
        out.append(
            SpotCount(
                cell=spot.cell,
                reason=spot.reason,
                started_at=spot.started_at,
                after=(a0, a1),
                before=(b0, b1),
                after_count=cases_in_cell(reader, spot.cell, a0, a1),
                before_count=cases_in_cell(reader, spot.cell, b0, b1),
            )
        )
    return out, total


def _window(w: tuple[datetime, datetime]) -> str:
    start, end = (m.astimezone(c.SHANGHAI) for m in w)
    return f"{start:%m-%d %H:%M} 至 {end:%m-%d %H:%M}"


def spot_blocks(counts: list[SpotCount], total: int) -> list[Any]:
    if not counts:
        return [Paragraph(text="本月无重点监管点位。")]
    after = sum(s.after_count for s in counts)
    before = sum(s.before_count for s in counts)
    text = (
        f"本月共有重点监管点位{c.n(total)}处，监管期内发生问题{c.n(after)}件，"
        f"监管前同等时长内{c.n(before)}件，"
        f"{c.versus('', after, before, '监管前为零')}。"
    )
    return [
        Paragraph(text=text),
        Table(
            title="重点监管点位监管前后对比",
            columns=[
                "H3 单元",
                "监管理由",
                "监管开始",
                "监管期内区间",
                "问题数",
                "监管前同长区间",
                "问题数",
                "变化",
            ],
            rows=[
                [
                    s.cell,
                    s.reason,
                    c.local_text(s.started_at),
                    _window(s.after),
                    s.after_count,
                    _window(s.before),
                    s.before_count,
                    c.versus("", s.after_count, s.before_count, "监管前为零"),
                ]
                for s in counts
            ],
            note="问题数：该 H3 单元内上报的案卷（作废、已合并不计）。"
            "监管期内区间为本月中处于监管的时段（截至通报生成时）；监管前同长区间为监管开始前同样时长。"
            + (f"共{c.n(total)}处，列出最早开始的{SPOT_LIMIT}处。" if total > SPOT_LIMIT else ""),
        ),
        Chart(
            title="重点监管点位问题数（监管前后）",
            kind="bar",
            categories=[s.cell for s in counts[:CHART_ROWS]],
            series=[
                Series(name="监管前", data=[s.before_count for s in counts[:CHART_ROWS]]),
                Series(name="监管期内", data=[s.after_count for s in counts[:CHART_ROWS]]),
            ],
            unit="件",
        ),
    ]


def build_monthly_sections(
    reader: User, span: c.Span, division_name: str, now: datetime
) -> tuple[list[str], list[Section], str]:
    o = overview(reader, span)
    ranked = rankings(reader, span)
    spots, spot_total = spot_counts(reader, span, now)
    summary = [sentences.monthly_overview(division_name, o)]
    for r in ranked:
        if r.kind in ("region", "department"):
            summary.append(sentences.movers_sentence(subject_name(r.kind), movers(r)))
    sections = [
        Section(
            heading="一、总体情况",
            blocks=[
                Paragraph(text=summary[0]),
                Table(
                    title="主要指标",
                    columns=["指标", "本月", "上月", "环比", "去年同期", "同比"],
                    rows=[
                        [
                            "受理数（件）",
                            o.intake,
                            o.previous_intake,
                            c.change(o.intake, o.previous_intake),
                            o.year_before_intake,
                            c.change(o.intake, o.year_before_intake),
                        ],
                        [
                            "按期处置率",
                            c.pct(o.on_time_rate),
                            c.pct(o.previous_on_time_rate),
                            c.points(o.on_time_rate, o.previous_on_time_rate) or "—",
                            "—",
                            "—",
                        ],
                        [
                            "结案数（件）",
                            o.closed,
                            o.previous_closed,
                            c.change(o.closed, o.previous_closed),
                            o.year_before_closed,
                            c.change(o.closed, o.year_before_closed),
                        ],
                    ],
                    note="按期处置率 = 本月处置完毕且未超过处置时限的处置环节数 ÷ "
                    "本月处置完毕的处置环节数。",
                ),
            ],
        )
    ]
    for i, r in enumerate(ranked, start=2):
        number = CHINESE_NUMBERS[i - 1] if i <= len(CHINESE_NUMBERS) else str(i)
        blocks = ranking_blocks(r)
        if r.kind in ("region", "department"):
            blocks.insert(
                0, Paragraph(text=sentences.movers_sentence(subject_name(r.kind), movers(r)))
            )
        sections.append(Section(heading=f"{number}、{subject_name(r.kind)}考核排名", blocks=blocks))
    last = len(sections) + 1
    label = CHINESE_NUMBERS[last - 1] if last <= len(CHINESE_NUMBERS) else str(last)
    sections.append(
        Section(heading=f"{label}、重点监管点位", blocks=spot_blocks(spots, spot_total))
    )
    return summary, sections, evaluation.current_scheme().label
