"""API shapes of evaluations (version 1)."""

from __future__ import annotations

from datetime import date

from ninja import Schema


class PeriodOut(Schema):
    kind: str
    start: date
    end: date  # the last day, inclusive
    label: str


class PartOut(Schema):
    indicator: str
    label: str
    weight: float
    effective_weight: float
    score: float | None  # 分值; null: 无数据


class RowOut(Schema):
    rank: int | None
    key: str
    name: str
    score: float | None
    grade: str
    previous_score: float | None  # 环比
    year_before_score: float | None  # 同比
    counts: dict[str, int]
    rates: dict[str, float | None]
    parts: list[PartOut]


class EvaluationOut(Schema):
    subject: str
    level: str
    scheme: str  # code@version
    period: PeriodOut
    previous_period: PeriodOut
    year_before_period: PeriodOut
    rows: list[RowOut]
