"""Periods on the Shanghai calendar, 环比 and 同比."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from yiwang.core.errors import InvalidInput
from yiwang.evaluation.periods import period_of

SH = ZoneInfo("Asia/Shanghai")


def test_month_bounds_are_shanghai_midnights() -> None:
    p = period_of("month", date(2026, 12, 31))
    assert (p.start, p.end) == (date(2026, 12, 1), date(2027, 1, 1))
    assert p.bounds == (datetime(2026, 12, 1, tzinfo=SH), datetime(2027, 1, 1, tzinfo=SH))
    assert p.bounds[0].utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]
    assert p.label == "2026年12月"
    assert (p.previous().start, p.previous().end) == (date(2026, 11, 1), date(2026, 12, 1))
    assert (p.year_before().start, p.year_before().end) == (date(2025, 12, 1), date(2026, 1, 1))


def test_week_quarter_year_day_custom() -> None:
    week = period_of("week", date(2026, 12, 2))  # a Wednesday
    assert (week.start, week.end) == (date(2026, 11, 30), date(2026, 12, 7))
    assert week.previous().start == date(2026, 11, 23)
    assert week.year_before().start == date(2025, 12, 1)  # 52 weeks: a Monday again
    q = period_of("quarter", date(2026, 2, 28))
    assert (q.start, q.end, q.label) == (date(2026, 1, 1), date(2026, 4, 1), "2026年第1季度")
    assert q.previous().start == date(2025, 10, 1)
    assert period_of("year", date(2026, 7, 1)).previous().start == date(2025, 1, 1)
    day = period_of("day", date(2024, 2, 29))
    assert day.year_before().start == date(2023, 2, 28)
    custom = period_of("custom", date(2026, 3, 1), date(2026, 3, 10))
    assert custom.end == date(2026, 3, 11)
    assert (custom.previous().start, custom.previous().end) == (date(2026, 2, 19), date(2026, 3, 1))


def test_bad_periods_are_refused() -> None:
    with pytest.raises(InvalidInput):
        period_of("custom", date(2026, 3, 10), date(2026, 3, 1))
    with pytest.raises(InvalidInput):
        period_of("fortnight", date(2026, 3, 10))
    with pytest.raises(InvalidInput):
        period_of("year", date(1, 1, 1))  # no year before it
