"""Scores and grades of GB/T 30428.4 evaluation: pure functions, no database.

A scheme (see `evaluation.scheme`) says, per subject kind, which indicators count with
which weight and how each indicator's value becomes a 分值 (0–100):

- ``rate``: 分值 = rate × 100 (e.g. 结案率 0.95 → 95);
- ``complement``: 分值 = (1 − rate) × 100, for rates where less is better (漏报率, 返工率,
  监督举报率);
- ``band``: a count (or a count per grid) looked up in a band table; a band covers
  ``[from, next band's from)``, the last one up to infinity.

Zero denominators (documented in docs/evaluation.md): a rate whose denominator is 0 is
*undefined* (``None``, shown as 无数据), never 0 % or 100 %. An undefined indicator is left
out of the composite and its weight is shared among the defined ones in proportion to their
weights (the composite is Σ wᵢ·sᵢ / Σ wᵢ over the defined indicators). When no indicator is
defined the composite is undefined and so is the grade (无数据). A count is always defined
(0 cases is a value); a count per grid is undefined when the subject has no grid.

Arithmetic is Decimal throughout, so 93.6 is 93.6 and a boundary is never missed by a
binary rounding error; the score is rounded half-up to 0.01 and the grade is taken from
the rounded score (what the table shows is what was graded).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
SCORE_QUANTUM = Decimal("0.01")
NO_DATA = "无数据"


@dataclass(frozen=True)
class Band:
    """Values from `start` (inclusive) up to the next band's start score `score`."""

    start: Decimal
    score: Decimal


@dataclass(frozen=True)
class Part:
    """One indicator in a composite: its weight and its 分值 (None: no data)."""

    indicator: str
    weight: Decimal
    score: Decimal | None


@dataclass(frozen=True)
class Composite:
    score: Decimal | None  # rounded to 0.01; None when no indicator has data
    grade: str  # "A".."E" or 无数据
    parts: tuple[Part, ...]
    # The weight each part actually carried after sharing out undefined ones.
    effective_weights: Mapping[str, Decimal]


def to_decimal(value: int | float | str | Decimal) -> Decimal:
    # Floats go through str so 0.1 stays 0.1 (Decimal(0.1) is 0.1000000000000000055…).
    return value if isinstance(value, Decimal) else Decimal(str(value))


def rate(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator, or None (无数据) when the denominator is 0."""
    if denominator < 0 or numerator < 0:
        raise ValueError("counts are never negative")
    if denominator == 0:
        return None
    return Decimal(numerator) / Decimal(denominator)


def percent(value: Decimal | None, places: int = 2) -> Decimal | None:
    """A rate as a percentage rounded half-up (0.937242… → 93.72)."""
    if value is None:
        return None
    return (value * HUNDRED).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def rate_score(value: Decimal | float | None) -> Decimal | None:
    return None if value is None else to_decimal(value) * HUNDRED


def complement_score(value: Decimal | float | None) -> Decimal | None:
    return None if value is None else (1 - to_decimal(value)) * HUNDRED


def band_score(bands: Sequence[Band], value: Decimal | int | float | None) -> Decimal | None:
    """The score of the band `value` falls in (bands sorted by start, the first at 0)."""
    if value is None:
        return None
    v = to_decimal(value)
    if v < 0:
        raise ValueError("counts are never negative")
    chosen: Band | None = None
    for band in bands:
        if band.start <= v:
            chosen = band
        else:
            break
    if chosen is None:  # validated schemes start at 0, so only a broken table gets here
        raise ValueError("band table does not start at 0")
    return chosen.score


def grade(score: Decimal | None, thresholds: Sequence[tuple[str, Decimal]]) -> str:
    """The first grade whose lower bound the score reaches (thresholds highest first)."""
    if score is None:
        return NO_DATA
    for name, lower in thresholds:
        if score >= lower:
            return name
    return thresholds[-1][0]


def composite(parts: Sequence[Part], thresholds: Sequence[tuple[str, Decimal]]) -> Composite:
    defined = [p for p in parts if p.score is not None]
    total_weight = sum((p.weight for p in defined), Decimal(0))
    if not defined or total_weight == 0:
        return Composite(None, NO_DATA, tuple(parts), {p.indicator: Decimal(0) for p in parts})
    raw = sum((p.weight * p.score for p in defined if p.score is not None), Decimal(0))
    score = (raw / total_weight).quantize(SCORE_QUANTUM, rounding=ROUND_HALF_UP)
    all_weight = sum((p.weight for p in parts), Decimal(0))
    effective = {
        p.indicator: (p.weight * all_weight / total_weight if p.score is not None else Decimal(0))
        for p in parts
    }
    return Composite(score, grade(score, thresholds), tuple(parts), effective)
