"""Working-time calendar: the one place where 工作时, 工作日, holidays and 调休 are computed.

Pure: no database, no settings, no clock. Callers pass the holiday data in (seeded from
chinese-calendar by ``core.holidays_seed`` and, later, from the editable holiday table) and
pass ``now`` explicitly, so every result is reproducible in tests.

Conventions (decided here once, relied on by the case loop):

* Datetimes must be aware; results are aware UTC. Wall times (work periods, which day a
  moment falls on) are read in the calendar's zone, Asia/Shanghai by default.
* A working moment is one inside a work period ``[start, end)`` of a working day.
* ``add(start, amount, unit)`` returns the *earliest* moment ``m >= start`` such that the
  time counted by ``unit`` between ``start`` and ``m`` reaches ``amount``. Consequences:
  amount 0 returns ``start`` itself (converted to UTC, not moved to the next working
  moment); a deadline that lands exactly on the end of a period stays there (12:00 or 18:00,
  not 14:00 or the next morning); a start in non-working time starts the clock at the next
  working moment. For a positive amount of working time the result therefore lies in
  ``(period start, period end]`` of a working day — never inside non-working time.
* Working time is counted in whole microseconds, so ``add(add(s, a), b) == add(s, a + b)``
  holds exactly for amounts that are whole microseconds.
* 1 工作日 = the working time of one full working day (8 工作时 with the default periods);
  a deadline in 工作日 is computed as that many 工作时.
* A day is a working day if it is a 调休 working day, else not if it is a holiday, else if it
  is Monday–Friday. Years outside ``years_with_data`` have no published schedule: their
  explicitly listed days still count, everything else is plain weekdays, and
  ``missing_years`` names them so administrators can be warned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import StrEnum
from typing import Literal, get_args
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

Unit = Literal["hours", "work_hours", "work_days"]
UNITS: tuple[Unit, ...] = get_args(Unit)
UNIT_LABELS: dict[str, str] = {"hours": "小时", "work_hours": "工作时", "work_days": "工作日"}

DEFAULT_PERIODS: tuple[tuple[time, time], ...] = (
    (time(8, 0), time(12, 0)),
    (time(14, 0), time(18, 0)),
)

# Amber starts when this fraction of the allowed time has elapsed (kept as a ratio of
# integers so the 80 % boundary is exact, not subject to float rounding).
AMBER_NUMERATOR = 4
AMBER_DENOMINATOR = 5

_US_PER_SECOND = 1_000_000
_US_PER_HOUR = 3600 * _US_PER_SECOND
_ONE_DAY = timedelta(days=1)


class Light(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"

    @property
    def label(self) -> str:
        return LIGHT_LABELS[self]


LIGHT_LABELS: dict[Light, str] = {Light.GREEN: "正常", Light.AMBER: "预警", Light.RED: "超期"}


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US_PER_SECOND + t.microsecond


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value!r}")


def _amount_us(amount: int | float | Decimal, per_unit_us: int) -> int:
    """Convert an amount of hours (or days) into whole microseconds, rejecting nonsense."""
    if isinstance(amount, bool) or not isinstance(amount, int | float | Decimal):
        raise ValueError(f"amount must be a number, got {amount!r}")
    try:
        # str() keeps 0.1 as 0.1 rather than its binary approximation.
        dec = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
    except InvalidOperation as exc:  # pragma: no cover - Decimal() of a number is total
        raise ValueError(f"amount is not a number: {amount!r}") from exc
    if not dec.is_finite():
        raise ValueError(f"amount must be finite, got {amount!r}")
    if dec < 0:
        raise ValueError(f"amount must not be negative, got {amount!r}")
    return int((dec * per_unit_us).to_integral_value(rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and work periods of one installation.

    ``periods`` are local wall-clock ``(start, end)`` pairs, sorted and not overlapping;
    ``holidays`` are days off (statutory holidays, weekend days inside them included),
    ``workdays`` are 调休 working days (usually a Saturday or Sunday), ``years_with_data``
    the years whose official schedule is loaded.
    """

    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    years_with_data: frozenset[int] = frozenset()
    tz: ZoneInfo = SHANGHAI
    _spans: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)
    _day_us: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        periods = tuple((start, end) for start, end in self.periods)
        if not periods:
            raise ValueError("at least one work period is required")
        spans: list[tuple[int, int]] = []
        for start, end in periods:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("work periods are local wall-clock times without tzinfo")
            s, e = _time_us(start), _time_us(end)
            if s >= e:
                raise ValueError(f"work period {start}–{end} must end after it starts")
            if spans and s < spans[-1][1]:
                raise ValueError("work periods must be sorted and must not overlap")
            spans.append((s, e))
        # Frozen dataclass: derived fields are set once here and never change.
        object.__setattr__(self, "periods", periods)
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        object.__setattr__(self, "years_with_data", frozenset(self.years_with_data))
        object.__setattr__(self, "_spans", tuple(spans))
        object.__setattr__(self, "_day_us", sum(e - s for s, e in spans))

    # -- days ---------------------------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5

    def missing_years(self, start: date, end: date) -> list[int]:
        """Years touched by ``[start, end]`` that have no official holiday data."""
        if end < start:
            start, end = end, start
        return [y for y in range(start.year, end.year + 1) if y not in self.years_with_data]

    @property
    def work_seconds_per_day(self) -> int:
        return self._day_us // _US_PER_SECOND

    # -- moments ------------------------------------------------------------------------

    def _local(self, value: datetime) -> tuple[date, int]:
        local = value.astimezone(self.tz)
        return local.date(), _time_us(local.time())

    def _at(self, d: date, offset_us: int) -> datetime:
        # Wall-clock arithmetic within the day, then to UTC.
        local = datetime.combine(d, time(0), tzinfo=self.tz) + timedelta(microseconds=offset_us)
        return local.astimezone(UTC)

    def is_working_moment(self, value: datetime) -> bool:
        _require_aware(value, "value")
        d, t = self._local(value)
        return self.is_workday(d) and any(s <= t < e for s, e in self._spans)

    def next_working_moment(self, value: datetime) -> datetime:
        """``value`` itself if it is a working moment, else the start of the next period."""
        _require_aware(value, "value")
        d, t = self._local(value)
        if self.is_workday(d):
            for s, e in self._spans:
                if t < e:
                    return self._at(d, max(s, t))
        d += _ONE_DAY
        while not self.is_workday(d):
            d += _ONE_DAY
        return self._at(d, self._spans[0][0])

    # -- arithmetic ---------------------------------------------------------------------

    def add(self, start: datetime, amount: int | float | Decimal, unit: Unit) -> datetime:
        """The deadline ``amount`` ``unit`` after ``start`` (see the module conventions)."""
        _require_aware(start, "start")
        if unit == "hours":
            return start.astimezone(UTC) + timedelta(microseconds=_amount_us(amount, _US_PER_HOUR))
        if unit == "work_hours":
            return self._add_work_us(start, _amount_us(amount, _US_PER_HOUR))
        if unit == "work_days":
            return self._add_work_us(start, _amount_us(amount, self._day_us))
        raise ValueError(f"unknown unit {unit!r}; expected one of {UNITS}")

    def add_seconds(self, start: datetime, seconds: float, unit: Unit) -> datetime:
        """Add a duration measured on ``unit``'s clock (wall or working) in seconds.

        Used to restart a suspended clock with the time that was left.
        """
        return self.add(start, Decimal(str(seconds)) / 3600, _hour_unit(unit))

    def _add_work_us(self, start: datetime, remaining: int) -> datetime:
        if remaining == 0:
            return start.astimezone(UTC)
        d, t = self._local(start)
        if self.is_workday(d):
            for s, e in self._spans:
                if t >= e:
                    continue
                begin = max(s, t)
                if remaining <= e - begin:
                    return self._at(d, begin + remaining)
                remaining -= e - begin
        while True:
            d += _ONE_DAY
            if not self.is_workday(d):
                continue
            # Whole days are skipped in one step; only the last day walks its periods.
            if remaining > self._day_us:
                remaining -= self._day_us
                continue
            for s, e in self._spans:
                if remaining <= e - s:
                    return self._at(d, s + remaining)
                remaining -= e - s

    def _work_us_between(self, a: datetime, b: datetime) -> int:
        if b < a:
            return -self._work_us_between(b, a)
        da, ta = self._local(a)
        db, tb = self._local(b)
        if da == db:
            return self._work_us_in_day(da, ta, tb)
        total = self._work_us_in_day(da, ta, self._spans[-1][1])
        d = da + _ONE_DAY
        while d < db:
            if self.is_workday(d):
                total += self._day_us
            d += _ONE_DAY
        return total + self._work_us_in_day(db, 0, tb)

    def _work_us_in_day(self, d: date, lo: int, hi: int) -> int:
        if not self.is_workday(d):
            return 0
        return sum(max(0, min(e, hi) - max(s, lo)) for s, e in self._spans)

    def working_seconds_between(self, a: datetime, b: datetime) -> float:
        """Working time in ``[a, b]`` in seconds; negative when ``b`` is before ``a``."""
        _require_aware(a, "a")
        _require_aware(b, "b")
        return self._work_us_between(a, b) / _US_PER_SECOND

    def _measure_us(self, a: datetime, b: datetime, unit: Unit) -> int:
        _require_aware(a, "a")
        _require_aware(b, "b")
        if _hour_unit(unit) == "hours":
            delta = b - a
            return (delta.days * 86_400 + delta.seconds) * _US_PER_SECOND + delta.microseconds
        return self._work_us_between(a, b)

    def elapsed(self, start: datetime, now: datetime, unit: Unit) -> float:
        """Seconds from ``start`` to ``now`` on ``unit``'s clock (wall for 小时, else working)."""
        return self._measure_us(start, now, unit) / _US_PER_SECOND

    def remaining(self, now: datetime, due_at: datetime, unit: Unit) -> float:
        """Seconds left until ``due_at`` on ``unit``'s clock; negative once overdue."""
        return self._measure_us(now, due_at, unit) / _US_PER_SECOND

    def resume_due(
        self, due_at: datetime, suspended_at: datetime, resumed_at: datetime, unit: Unit
    ) -> datetime:
        """New deadline after a suspension (挂账) from ``suspended_at`` to ``resumed_at``.

        The clock restarts with the time that was left at suspension. A stage that was
        already overdue when suspended keeps its deadline: a suspension does not excuse it.
        """
        left = self._measure_us(suspended_at, due_at, unit)
        if left <= 0:
            return due_at.astimezone(UTC)
        if _hour_unit(unit) == "hours":
            _require_aware(resumed_at, "resumed_at")
            return resumed_at.astimezone(UTC) + timedelta(microseconds=left)
        _require_aware(resumed_at, "resumed_at")
        return self._add_work_us(resumed_at, left)


def _hour_unit(unit: Unit) -> Literal["hours", "work_hours"]:
    if unit == "hours":
        return "hours"
    if unit in ("work_hours", "work_days"):
        return "work_hours"
    raise ValueError(f"unknown unit {unit!r}; expected one of {UNITS}")


def traffic_light(
    started_at: datetime,
    due_at: datetime,
    now: datetime,
    *,
    calendar: WorkCalendar,
    unit: Unit,
    finished_at: datetime | None = None,
    suspended_seconds: float = 0.0,
) -> Light:
    """Green / amber / red for a stage that started at ``started_at`` and is due at ``due_at``.

    Red when the judged moment is after ``due_at`` (exactly at ``due_at`` is still in time);
    amber once 80 % of the allowed time has elapsed, measured on the stage's clock (working
    time for 工作时/工作日, wall time for 小时); green before. A finished stage is judged at
    ``finished_at`` instead of ``now`` so its colour no longer changes (按时 vs 超期).
    ``suspended_seconds`` is clock time (on ``unit``'s clock) the deadline was moved by
    suspensions (挂账) that ended before the judged moment: it is left out of both the used
    and the allowed time, so a resumed stage is judged on the time it actually ran.
    """
    judged = finished_at if finished_at is not None else now
    _require_aware(judged, "now")
    if judged > due_at:
        return Light.RED
    excluded = round(suspended_seconds * _US_PER_SECOND)
    allowed = calendar._measure_us(started_at, due_at, unit) - excluded
    used = max(calendar._measure_us(started_at, judged, unit) - excluded, 0)
    if allowed <= 0 or used * AMBER_DENOMINATOR >= allowed * AMBER_NUMERATOR:
        return Light.AMBER
    return Light.GREEN


def finished_on_time(due_at: datetime, finished_at: datetime) -> bool:
    """按时/按期: finished no later than the deadline (exactly at the deadline counts)."""
    _require_aware(due_at, "due_at")
    _require_aware(finished_at, "finished_at")
    return finished_at <= due_at


def parse_unit(value: str) -> Unit:
    """Accept the stored English unit or its Chinese label (小时 / 工作时 / 工作日)."""
    for unit in UNITS:
        if value == unit or value == UNIT_LABELS[unit]:
            return unit
    raise ValueError(f"unknown unit {value!r}")


def calendar_from_days(
    holidays: Iterable[date],
    workdays: Iterable[date],
    years_with_data: Iterable[int],
    periods: Iterable[tuple[time, time]] = DEFAULT_PERIODS,
    tz: ZoneInfo = SHANGHAI,
) -> WorkCalendar:
    """Build a calendar from plain iterables (rows of the holiday table, seed data)."""
    return WorkCalendar(
        periods=tuple(periods),
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        years_with_data=frozenset(years_with_data),
        tz=tz,
    )


__all__ = [
    "AMBER_DENOMINATOR",
    "AMBER_NUMERATOR",
    "DEFAULT_PERIODS",
    "LIGHT_LABELS",
    "SHANGHAI",
    "UNITS",
    "UNIT_LABELS",
    "Light",
    "Unit",
    "WorkCalendar",
    "calendar_from_days",
    "finished_on_time",
    "parse_unit",
    "traffic_light",
]
