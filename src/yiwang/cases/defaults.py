"""Shipped defaults for the editable tables: time limits and the holiday calendar.

The per-type numbers of GB/T 30428.8 are not public (STANDARDS.md §3), so these
are sensible practice values; administrators edit the table, not this file.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal

# (stage, urgency) → (amount, unit) for every type.
GLOBAL_LIMITS: dict[tuple[str, str], tuple[Decimal, str]] = {
    ("accept", "normal"): (Decimal(1), "work_hours"),
    ("accept", "urgent"): (Decimal("0.5"), "hours"),
    ("verify", "normal"): (Decimal(2), "work_hours"),
    ("verify", "urgent"): (Decimal(1), "hours"),
    ("register", "normal"): (Decimal(1), "work_hours"),
    ("register", "urgent"): (Decimal("0.5"), "hours"),
    ("dispatch", "normal"): (Decimal(1), "work_hours"),
    ("dispatch", "urgent"): (Decimal("0.5"), "hours"),
    ("handle", "normal"): (Decimal(2), "work_days"),
    ("handle", "urgent"): (Decimal(4), "hours"),
    ("check", "normal"): (Decimal(4), "work_hours"),
    ("check", "urgent"): (Decimal(2), "hours"),
    ("close", "normal"): (Decimal(2), "work_hours"),
    ("close", "urgent"): (Decimal(1), "hours"),
}

# Handling limits by major category (normal urgency); both kinds share majors 01–05.
HANDLE_BY_MAJOR: dict[tuple[str, str], tuple[Decimal, str]] = {
    **{(kind, "01"): (Decimal(3), "work_days") for kind in ("component", "matter")},
    **{(kind, "02"): (Decimal(3), "work_days") for kind in ("component", "matter")},
    **{(kind, "03"): (Decimal(1), "work_days") for kind in ("component", "matter")},
    **{(kind, "04"): (Decimal(3), "work_days") for kind in ("component", "matter")},
    **{(kind, "05"): (Decimal(5), "work_days") for kind in ("component", "matter")},
    ("matter", "06"): (Decimal(4), "work_hours"),  # 市容环境: garbage must not wait
    ("matter", "07"): (Decimal(2), "work_days"),
    ("matter", "08"): (Decimal(3), "work_days"),
    ("matter", "09"): (Decimal(4), "work_hours"),  # 街面秩序: the stall moves on
    ("matter", "10"): (Decimal(5), "work_days"),
}

WORK_PERIODS = [(time(8, 0), time(12, 0)), (time(14, 0), time(18, 0))]

HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def seed(apps: object) -> None:
    """Fill empty tables (used by the data migration; existing rows are kept)."""
    from yiwang.core.holidays_seed import chinese_calendar_days, holiday_name

    get = apps.get_model  # type: ignore[attr-defined]
    TimeLimit = get("cases", "TimeLimit")
    if not TimeLimit.objects.exists():
        rows = [
            TimeLimit(stage=stage, urgency=urgency, amount=amount, unit=unit)
            for (stage, urgency), (amount, unit) in GLOBAL_LIMITS.items()
        ]
        rows += [
            TimeLimit(
                kind=kind, major_code=major, stage="handle", urgency="normal", amount=a, unit=u
            )
            for (kind, major), (a, u) in HANDLE_BY_MAJOR.items()
        ]
        TimeLimit.objects.bulk_create(rows)
    WorkPeriod = get("cases", "WorkPeriod")
    if not WorkPeriod.objects.exists():
        WorkPeriod.objects.bulk_create([WorkPeriod(start=s, end=e) for s, e in WORK_PERIODS])
    CalendarDay, CalendarYear = get("cases", "CalendarDay"), get("cases", "CalendarYear")
    if not CalendarYear.objects.exists():
        holidays, workdays, years = chinese_calendar_days(2004, 2026)
        known = set(CalendarDay.objects.values_list("date", flat=True))
        days = [
            CalendarDay(
                date=d,
                kind=kind,
                name=HOLIDAY_NAMES_ZH.get(holiday_name(d) or "", holiday_name(d) or ""),
            )
            for kind, dates in (("holiday", holidays), ("workday", workdays))
            for d in sorted(dates)
            if d not in known
        ]
        CalendarDay.objects.bulk_create(days)
        CalendarYear.objects.bulk_create([CalendarYear(year=y) for y in sorted(years)])
