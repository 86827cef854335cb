"""The holiday / 调休 calendar and the daily work periods; administrators only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from typing import Any

from django.db import transaction

from yiwang.cases import deadlines
from yiwang.cases.actions.reference_checks import choice, first_writer
from yiwang.cases.models import CalendarDay, CalendarYear, WorkPeriod
from yiwang.core import audit, generations
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.org.models import User
from yiwang.org.permissions import require_admin

CALENDAR_GENERATION = deadlines.CALENDAR_GENERATION
# The holiday table covers the years a deployed system can meet; outside them a date
# is almost certainly a typo (2206 for 2026).
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_WORK_PERIODS = 6


def _day(value: Any) -> date:
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value).strip())
        except ValueError:
            raise InvalidInput("invalid_date", "日期格式应为 YYYY-MM-DD。", "day") from None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise InvalidInput("invalid_date", f"日期应在 {FIRST_YEAR} 至 {LAST_YEAR} 年之间。", "day")
    return value


@transaction.atomic
def set_calendar_day(actor: User, *, day: date, kind: str, name: str = "") -> CalendarDay:
    """Mark a day as a holiday (休) or a 调休 working day (班); replaces any earlier entry."""
    require_admin(actor, "维护节假日与调休")
    day = _day(day)
    kind = choice(
        kind, CalendarDay.Kind, "invalid_day_kind", "类别应为 休息日 或 调休上班。", "kind"
    )
    name = str(name or "").strip()
    if len(name) > 50:
        raise InvalidInput("too_long", "名称不能超过 50 字。", "name")
    row = CalendarDay.objects.select_for_update().filter(date=day).first()
    old = None if row is None else {"kind": row.kind, "name": row.name}
    if row is None:
        with first_writer():
            row = CalendarDay.objects.create(date=day, kind=kind, name=name)
    else:
        row.kind, row.name = kind, name
        row.save(update_fields=["kind", "name"])
    audit.record(
        actor,
        "cases.set_calendar_day",
        row,
        f"{day:%Y-%m-%d} 设为{row.get_kind_display()}{f'（{name}）' if name else ''}",
        day=day.isoformat(),
        old=old,
        new={"kind": kind, "name": name},
    )
    generations.bump(CALENDAR_GENERATION)
    return row


@transaction.atomic
def clear_calendar_day(actor: User, day: date) -> None:
    """Remove a day's entry: it follows its weekday again."""
    require_admin(actor, "维护节假日与调休")
    day = _day(day)
    row = CalendarDay.objects.select_for_update().filter(date=day).first()
    if row is None:
        raise NotFound("calendar_day_not_found", f"{day:%Y-%m-%d} 没有节假日或调休记录。", "day")
    audit.record(
        actor,
        "cases.clear_calendar_day",
        row,
        f"删除 {day:%Y-%m-%d} 的{row.get_kind_display()}记录",
        day=day.isoformat(),
        old={"kind": row.kind, "name": row.name},
    )
    row.delete()
    generations.bump(CALENDAR_GENERATION)


def _year(value: Any) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("invalid_year", "年份应为四位数字。", "year") from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput("invalid_year", f"年份应在 {FIRST_YEAR} 至 {LAST_YEAR} 之间。", "year")
    return year


@transaction.atomic
def mark_year_complete(actor: User, year: int, source: str = "manual") -> CalendarYear:
    """Declare a year's holidays and 调休 days entered, which silences its warning."""
    require_admin(actor, "维护节假日与调休")
    year = _year(year)
    source = str(source or "").strip() or "manual"
    if len(source) > 50:
        raise InvalidInput("too_long", "来源不能超过 50 字。", "source")
    row, created = CalendarYear.objects.update_or_create(year=year, defaults={"source": source})
    holidays = CalendarDay.objects.filter(date__year=year, kind=CalendarDay.Kind.HOLIDAY).count()
    audit.record(
        actor,
        "cases.mark_year_complete",
        row,
        f"{year} 年节假日数据已维护（来源：{source}，休息日 {holidays} 天）",
        created=created,
        source=source,
    )
    generations.bump(CALENDAR_GENERATION)
    return row


@transaction.atomic
def unmark_year(actor: User, year: int) -> None:
    """Take back `mark_year_complete`: the year is warned about again."""
    require_admin(actor, "维护节假日与调休")
    year = _year(year)
    row = CalendarYear.objects.filter(year=year).first()
    if row is None:
        raise NotFound("calendar_year_not_found", f"{year} 年未标记为已维护。", "year")
    audit.record(actor, "cases.unmark_year", row, f"取消 {year} 年节假日数据已维护标记")
    row.delete()
    generations.bump(CALENDAR_GENERATION)


def _fmt(t: time) -> str:
    return f"{t:%H:%M}"


def validate_work_periods(periods: Sequence[tuple[time, time]]) -> list[tuple[time, time]]:
    """Non-empty, each inside one day and ending after it starts, sorted, not overlapping."""
    if not periods:
        raise InvalidInput("work_periods_required", "至少需要一个工作时段。", "periods")
    if len(periods) > MAX_WORK_PERIODS:
        raise InvalidInput(
            "too_many_periods", f"工作时段不能超过 {MAX_WORK_PERIODS} 个。", "periods"
        )
    clean: list[tuple[time, time]] = []
    for pair in periods:
        try:
            start, end = pair
        except (TypeError, ValueError):
            raise InvalidInput(
                "invalid_period", "工作时段应为（开始, 结束）。", "periods"
            ) from None
        if not isinstance(start, time) or not isinstance(end, time):
            raise InvalidInput("invalid_period", "工作时段的开始和结束应为时刻。", "periods")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise InvalidInput("invalid_period", "工作时段按北京时间填写，不带时区。", "periods")
        if end <= start:
            raise InvalidInput(
                "invalid_period",
                f"工作时段 {_fmt(start)}–{_fmt(end)} 的结束应晚于开始（不能跨越午夜）。",
                "periods",
            )
        if clean and start < clean[-1][1]:
            prev = clean[-1]
            raise InvalidInput(
                "periods_overlap",
                f"工作时段 {_fmt(start)}–{_fmt(end)} 与 {_fmt(prev[0])}–{_fmt(prev[1])} "
                "重叠或未按时间先后排列。",
                "periods",
            )
        clean.append((start, end))
    return clean


@transaction.atomic
def set_work_periods(actor: User, periods: Sequence[tuple[time, time]]) -> list[WorkPeriod]:
    """Replace the daily work periods (default 08:00–12:00, 14:00–18:00)."""
    require_admin(actor, "修改工作时段")
    clean = validate_work_periods(periods)
    old = [f"{_fmt(p.start)}–{_fmt(p.end)}" for p in WorkPeriod.objects.order_by("start")]
    WorkPeriod.objects.all().delete()
    WorkPeriod.objects.bulk_create([WorkPeriod(start=s, end=e) for s, e in clean])
    new = [f"{_fmt(s)}–{_fmt(e)}" for s, e in clean]
    audit.record(
        actor,
        "cases.set_work_periods",
        ("cases.workperiod", "*"),
        f"工作时段改为 {'、'.join(new)}",
        old=old,
        new=new,
    )
    generations.bump(CALENDAR_GENERATION)
    return list(WorkPeriod.objects.order_by("start"))
