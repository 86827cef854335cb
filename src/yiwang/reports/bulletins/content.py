"""The content of one bulletin: the single structure every output is rendered from.

A bulletin is built once (`reports.bulletins.build`), stored frozen as JSON on its
`Bulletin` row, and then rendered as it was issued: the web page (ECharts), the XLSX and
the DOCX (charts drawn server-side) all read this structure and never the case tables, so
a published bulletin reads the same forever, whatever happens to the cases later.

Everything is plain JSON (str, int, float, None, lists): a section is an ordered list of
blocks — a paragraph of generated Chinese text, a table, or a chart.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Cell = str | int | float | None


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Paragraph(_Frozen):
    type: Literal["paragraph"] = "paragraph"
    text: str


class Table(_Frozen):
    type: Literal["table"] = "table"
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    note: str = ""  # shown under the table, e.g. how a rate is defined or "无数据" means


class Series(_Frozen):
    name: str
    data: list[float | int | None]  # one value per category; None = no data (a gap)


class Chart(_Frozen):
    type: Literal["chart"] = "chart"
    title: str
    # bar: vertical bars; hbar: horizontal bars (rankings); line: trends; pie: shares
    # (exactly one series).
    kind: Literal["bar", "hbar", "line", "pie"]
    categories: list[str]
    series: list[Series]
    unit: str = ""  # 件, %, 小时 …


Block = Annotated[Paragraph | Table | Chart, Field(discriminator="type")]


class Section(_Frozen):
    heading: str  # 一、受理情况
    blocks: list[Block]


class BulletinContent(_Frozen):
    kind: Literal["daily", "weekly", "monthly"]
    title: str  # 2026年11月城市管理问题月度通报
    period_label: str  # 2026年11月 / 2026年第48周（11月23日—11月29日） / 2026年12月1日
    period_start: str  # ISO date, first day (Asia/Shanghai)
    period_end: str  # ISO date, last day, included
    division_code: str  # the scope it covers
    division_name: str
    issuer: str  # 某某市城市运行管理服务中心
    generated_at: str  # ISO datetime with offset
    scheme: str = ""  # evaluation scheme code@version, when the bulletin scores anyone
    summary: list[str]  # the opening sentences (综述) a leader reads first
    sections: list[Section]
