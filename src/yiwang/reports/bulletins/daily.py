"""日盘点: what happened on one Shanghai day in a division.

Definitions (docs/reports.md, "Bulletins"):

- 受理 (intake): cases reported that day, whatever became of them later (a report later
  voided or merged was still received), by source and by type;
- 立案 / 派遣 / 结案: cases with a 立案 / 派遣 / 结案 (结案 or 自处理结案) move on their timeline
  that day, each case once;
- 超期在办 (overdue open cases): cases open when the bulletin is built (not 结案, 作废,
  已合并 and not 挂账 — a suspended clock does not run) whose current stage deadline
  is before the end of the day, by the department holding them (未派遣: still with the
  command centre);
- 新增红灯 (newly red): of those, the ones whose stage deadline fell within the day.

Everything is aggregated in SQL (a fixed number of queries); only the newly red list is rows,
capped at `RED_LIMIT`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count

from yiwang.cases.models import Source, Stage
from yiwang.org.models import User
from yiwang.reports.bulletins import common as c
from yiwang.reports.bulletins import sentences
from yiwang.reports.bulletins.content import Cell, Chart, Paragraph, Section, Series, Table

RED_LIMIT = 50
TOP_TYPES = 10


def intake_by_source(reader: User, span: c.Span) -> list[tuple[str, int]]:
    """(source label, count) for every source, in the fixed order of the sources."""
    rows = (
        c.division_cases(reader)
        .filter(reported_at__gte=span.start, reported_at__lt=span.end)
        .values("source")
        .annotate(k=Count("id"))
    )
    counts = {r["source"]: r["k"] for r in rows}
    return [(str(label), counts.get(key, 0)) for key, label in Source.choices]


def intake_by_type(reader: User, span: c.Span, limit: int = TOP_TYPES) -> list[dict[str, Any]]:
    """Types by intake, most first; beyond `limit` types the rest are one row 其他."""
    rows = list(
        c.division_cases(reader)
        .filter(reported_at__gte=span.start, reported_at__lt=span.end)
        .values("type__code", "type__name")
        .annotate(k=Count("id"))
        .order_by("-k", "type__code")
    )
    top = [
        {"code": r["type__code"], "name": r["type__name"], "count": r["k"]} for r in rows[:limit]
    ]
    rest = sum(r["k"] for r in rows[limit:])
    if rest:
        top.append({"code": "", "name": "其他", "count": rest})
    return top


def overdue_by_department(reader: User, end: datetime) -> list[tuple[str, int]]:
    rows = (
        c.division_cases(reader)
        .exclude(state__in=c.NOT_RUNNING)
        .filter(stage_due_at__lt=end)
        .values("department__name")
        .annotate(k=Count("id"))
        .order_by("-k", "department__name")
    )
    return [(r["department__name"] or "未派遣（指挥中心）", r["k"]) for r in rows]


def newly_red(reader: User, span: c.Span) -> tuple[list[list[Any]], int]:
    qs = (
        c.division_cases(reader)
        .exclude(state__in=c.NOT_RUNNING)
        .filter(stage_due_at__gte=span.start, stage_due_at__lt=span.end)
    )
    total = qs.count()
    stages = dict(Stage.choices)
    rows = [
        [
            number,
            type_name,
            street or "",
            str(stages.get(stage, stage)),
            department or "未派遣",
            due.astimezone(c.SHANGHAI).strftime("%m-%d %H:%M") if due else "",
        ]
        for number, type_name, street, stage, department, due in qs.order_by(
            "stage_due_at", "id"
        ).values_list(
            "number", "type__name", "street__name", "stage", "department__name", "stage_due_at"
        )[:RED_LIMIT]
    ]
    return rows, total


def build_daily_sections(reader: User, span: c.Span) -> tuple[list[str], list[Section]]:
    sources = intake_by_source(reader, span)
    types = intake_by_type(reader, span)
    moved = c.moves(reader, span)
    overdue = overdue_by_department(reader, span.end)
    red_rows, red_total = newly_red(reader, span)
    intake = sum(k for _, k in sources)
    previous_intake = sum(k for _, k in intake_by_source(reader, span.previous()))
    summary = sentences.daily_summary(
        day=span.first,
        intake=intake,
        previous_intake=previous_intake,
        sources=sources,
        moved=moved,
        overdue=sum(k for _, k in overdue),
        red=red_total,
    )
    source_rows: list[list[Cell]] = [[label, k, c.pct(c.share(k, intake))] for label, k in sources]
    source_rows.append(["合计", intake, c.pct(1.0) if intake else "无数据"])
    shown_sources = [(label, k) for label, k in sources if k]
    intake_section = Section(
        heading="一、受理情况",
        blocks=[
            Paragraph(text=summary[0]),
            Table(
                title="按来源统计",
                columns=["来源", "受理数（件）", "占比"],
                rows=source_rows,
            ),
            Chart(
                title="受理来源构成",
                kind="pie",
                categories=[label for label, _ in shown_sources],
                series=[Series(name="受理数", data=[k for _, k in shown_sources])],
                unit="件",
            ),
            Table(
                title="按问题类型统计（前10类）",
                columns=["类型代码", "问题类型", "受理数（件）"],
                rows=[[t["code"], t["name"], t["count"]] for t in types],
                note="" if types else "当日无受理。",
            ),
            Chart(
                title="受理问题类型",
                kind="hbar",
                categories=[t["name"] for t in types],
                series=[Series(name="受理数", data=[t["count"] for t in types])],
                unit="件",
            ),
        ],
    )
    moves_section = Section(
        heading="二、办理情况",
        blocks=[
            Table(
                title="当日流转",
                columns=["环节", "案卷数（件）"],
                rows=[
                    ["立案", moved["registered"]],
                    ["派遣", moved["dispatched"]],
                    ["结案", moved["closed"]],
                ],
                note="按案卷时间轴当日的立案、派遣、结案（含自处理结案）操作计数，每件案卷计一次。",
            ),
            Chart(
                title="当日立案、派遣、结案",
                kind="bar",
                categories=["立案", "派遣", "结案"],
                series=[
                    Series(
                        name="案卷数",
                        data=[moved["registered"], moved["dispatched"], moved["closed"]],
                    )
                ],
                unit="件",
            ),
        ],
    )
    overdue_section = Section(
        heading="三、超期与红灯案卷",
        blocks=[
            Table(
                title="超期在办案卷（按部门）",
                columns=["部门", "超期案卷数（件）"],
                rows=[[name, k] for name, k in overdue],
                note="统计截至通报生成时仍在办理、当前环节时限早于当日24时的案卷（挂账案卷不计）。"
                if overdue
                else "无超期在办案卷。",
            ),
            Chart(
                title="超期在办案卷（按部门）",
                kind="hbar",
                categories=[name for name, _ in overdue[:15]],
                series=[Series(name="超期案卷", data=[k for _, k in overdue[:15]])],
                unit="件",
            ),
            Table(
                title="当日新增红灯案卷",
                columns=["案卷号", "问题类型", "街道", "当前环节", "承办部门", "环节时限"],
                rows=red_rows,
                note=(
                    f"共{c.n(red_total)}件"
                    + (f"，列出时限最早的{RED_LIMIT}件" if red_total > RED_LIMIT else "")
                    + "。新增红灯：截至生成时仍在办理、当前环节时限在当日内到期的案卷。"
                ),
            ),
        ],
    )
    return summary, [intake_section, moves_section, overdue_section]
