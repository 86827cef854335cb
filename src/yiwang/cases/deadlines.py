"""Stage limits and due times: the editable tables fed into the pure working-time calendar.

Both the calendar (holidays, 调休, work periods) and the time-limit table are
cached in process and rebuilt when their generation changes, so an edit made by
an administrator in any process reaches every process at its next read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext

from yiwang.cases.models import CalendarDay, CalendarYear, Stage, TimeLimit, TimeUnit, Urgency
from yiwang.catalog.models import ObjectType
from yiwang.core import generations
from yiwang.core.workcalendar import SHANGHAI, WorkCalendar

CALENDAR_GENERATION = "calendar"
LIMITS_GENERATION = "time_limits"
DEFAULT_PERIODS = ((time(8, 0), time(12, 0)), (time(14, 0), time(18, 0)))


@dataclass(frozen=True)
class Limit:
    amount: Decimal
    unit: str

    @property
    def label(self) -> str:
        amount = self.amount.normalize()
        return f"{amount:f} {TimeUnit(self.unit).label}"


_calendar_cache: tuple[int, WorkCalendar] | None = None
_limits_cache: tuple[int, dict[tuple[Any, ...], Limit]] | None = None


def build_calendar() -> WorkCalendar:
    from yiwang.cases.models import WorkPeriod

    periods = [(p.start, p.end) for p in WorkPeriod.objects.order_by("start")] or list(
        DEFAULT_PERIODS
    )
    holidays: set[date] = set()
    workdays: set[date] = set()
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        (holidays if kind == CalendarDay.Kind.HOLIDAY else workdays).add(day)
    years = frozenset(CalendarYear.objects.values_list("year", flat=True))
    return WorkCalendar(
        periods=tuple(periods),
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        years_with_data=years,
    )


def calendar() -> WorkCalendar:
    global _calendar_cache
    gen = generations.current(CALENDAR_GENERATION)
    if _calendar_cache is None or _calendar_cache[0] != gen:
        _calendar_cache = (gen, build_calendar())
    return _calendar_cache[1]


def _limit_table() -> dict[tuple[Any, ...], Limit]:
    global _limits_cache
    gen = generations.current(LIMITS_GENERATION)
    if _limits_cache is None or _limits_cache[0] != gen:
        table: dict[tuple[Any, ...], Limit] = {}
        for row in TimeLimit.objects.all():
            key = (row.type_id, row.kind, row.major_code, row.urgency, row.stage)
            table[key] = Limit(row.amount, row.unit)
        _limits_cache = (gen, table)
    return _limits_cache[1]


# Shipped when the table has no row at all for a (stage, urgency); administrators edit
# the table itself (seeded by a data migration with these values).
FALLBACK: dict[tuple[str, str], Limit] = {
    (Stage.ACCEPT, Urgency.NORMAL): Limit(Decimal(2), TimeUnit.WORK_HOURS),
    (Stage.ACCEPT, Urgency.URGENT): Limit(Decimal("0.5"), TimeUnit.HOURS),
}


def limit_for(obj_type: ObjectType, urgency: str, stage: str) -> Limit:
    """The most specific limit: the type's own, its major category's, its kind's, or the default."""
    table = _limit_table()
    for key in (
        (obj_type.pk, "", "", urgency, stage),
        (None, obj_type.kind, obj_type.major_code, urgency, stage),
        (None, obj_type.kind, "", urgency, stage),
        (None, "", "", urgency, stage),
    ):
        limit = table.get(key)
        if limit is not None:
            return limit
    return FALLBACK.get((stage, urgency)) or Limit(Decimal(1), TimeUnit.WORK_DAYS)


def due_at(start: datetime, limit: Limit) -> datetime:
    return calendar().add(start, limit.amount, limit.unit)  # type: ignore[arg-type]


def clock_seconds(start: datetime, end: datetime, unit: str) -> float:
    """Seconds from `start` to `end` on the unit's own clock (working or wall)."""
    return calendar().elapsed(start, end, unit)  # type: ignore[arg-type]


def remaining_seconds(now: datetime, due: datetime, unit: str) -> float:
    """Allowance left before `due` on the unit's own clock (working or wall); 0 once overdue."""
    return max(calendar().remaining(now, due, unit), 0.0)  # type: ignore[arg-type]


def calendar_warnings(today: date | None = None) -> list[str]:
    """Warnings for administrators about years the calendar has no holiday data for.

    The current year always matters; the next one from December on, when deadlines
    start to reach into it.
    """
    today = today or datetime.now(SHANGHAI).date()
    years = [today.year] + ([today.year + 1] if today.month == 12 else [])
    known = calendar().years_with_data
    return [
        gettext("%(year)s 年节假日数据尚未维护，工作时按周一至周五计算，请在“节假日与调休”中维护。")
        % {"year": year}
        for year in years
        if year not in known
    ]


def resume_due(due: datetime, paused_at: datetime, resumed_at: datetime, unit: str) -> datetime:
    """The deadline after a suspension: the clock restarts with what was left when it stopped."""
    return calendar().resume_due(due, paused_at, resumed_at, unit)  # type: ignore[arg-type]
