"""Evaluation periods on the Asia/Shanghai calendar: day, week (Monday first), month,
quarter, year or a custom range; the period before (环比) and the same period a year
earlier (同比). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from yiwang.core.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
KINDS = ("day", "week", "month", "quarter", "year", "custom")


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _same_day_year_before(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


@dataclass(frozen=True)
class Period:
    kind: str
    start: date  # first day
    end: date  # the day after the last day

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes at Shanghai midnight."""
        return (
            datetime.combine(self.start, time(), SHANGHAI),
            datetime.combine(self.end, time(), SHANGHAI),
        )

    @property
    def label(self) -> str:
        last = self.end - timedelta(days=1)
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == "quarter":
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        if self.kind == "year":
            return f"{self.start.year}年"
        if self.kind == "day":
            return f"{self.start:%Y-%m-%d}"
        return f"{self.start:%Y-%m-%d}至{last:%Y-%m-%d}"

    def previous(self) -> Period:
        """环比: the period just before (a custom range: the same number of days before)."""
        if self.kind in ("month", "quarter", "year"):
            months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
            return Period(self.kind, _add_months(self.start, -months), self.start)
        length = self.end - self.start
        return Period(self.kind, self.start - length, self.start)

    def year_before(self) -> Period:
        """同比: the same period one year earlier (a week: the week 52 weeks before)."""
        if self.kind == "week":
            return Period(
                self.kind, self.start - timedelta(weeks=52), self.end - timedelta(weeks=52)
            )
        return Period(self.kind, _same_day_year_before(self.start), _same_day_year_before(self.end))


def period_of(kind: str, day: date, last: date | None = None) -> Period:
    """The period of `kind` holding `day`; for ``custom``, `day` to `last` inclusive."""
    # Far years have no cases and no previous year in `date` (year 1 → year 0): refused.
    if not 1900 <= day.year <= 9000 or (last is not None and not 1900 <= last.year <= 9000):
        raise InvalidInput("bad_date_range", "日期应在 1900 年至 9000 年之间", field="day")
    if kind == "day":
        return Period(kind, day, day + timedelta(days=1))
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Period(kind, monday, monday + timedelta(days=7))
    if kind == "month":
        first = day.replace(day=1)
        return Period(kind, first, _add_months(first, 1))
    if kind == "quarter":
        first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return Period(kind, first, _add_months(first, 3))
    if kind == "year":
        return Period(kind, date(day.year, 1, 1), date(day.year + 1, 1, 1))
    if kind == "custom":
        # bad_date_range: a date range that does not fit (the API's rule refusals).
        if last is None or last < day:
            raise InvalidInput("bad_date_range", "请填写不早于开始日期的结束日期", field="end")
        if (last - day).days > 3660:
            raise InvalidInput("bad_date_range", "统计区间不能超过十年", field="end")
        return Period(kind, day, last + timedelta(days=1))
    raise InvalidInput("invalid_period", "统计周期应为日、周、月、季、年或自定义", field="period")
