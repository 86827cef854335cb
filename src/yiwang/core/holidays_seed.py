"""Holiday and 调休 days from the chinese-calendar package, to seed the holiday table.

The package only knows the years whose schedule the State Council has published (up to
2026 in version 1.11). Years outside its data are simply not returned — never an error —
so the calendar treats them as plain weekdays and warns administrators about them.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import chinese_calendar

from yiwang.core.workcalendar import DEFAULT_PERIODS, WorkCalendar


def package_years() -> range:
    """The years for which the installed chinese-calendar package has a schedule."""
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def chinese_calendar_days(
    start_year: int = 2004, end_year: int = 2026
) -> tuple[set[date], set[date], set[int]]:
    """(days off, 调休 working days, years covered) for ``start_year..end_year`` inclusive.

    Days off are the package's holiday days, weekend days inside a holiday block included
    (harmless: they are off anyway, and keeping them shows the block whole in the table).
    """
    known = package_years()
    years = {y for y in range(start_year, end_year + 1) if y in known}
    holidays = {d for d in chinese_calendar.holidays if d.year in years}
    workdays = {d for d in chinese_calendar.workdays if d.year in years}
    # The package never lists a day as both; guard anyway so a working day always wins
    # in one place only (WorkCalendar.is_workday) and the seed stays unambiguous.
    holidays -= workdays
    return holidays, workdays, years


def holiday_name(d: date) -> str | None:
    """The package's English name of the holiday or 调休 block ``d`` belongs to, if any."""
    if d.year not in package_years():
        return None
    _on_holiday, name = chinese_calendar.get_holiday_detail(d)
    return name


@lru_cache(maxsize=1)
def seeded_calendar() -> WorkCalendar:
    """A calendar with the default work periods and all of the package's years.

    For tests and for installations whose holiday table is still empty; computed on first
    use, not at import.
    """
    holidays, workdays, years = chinese_calendar_days(package_years().start, 2100)
    return WorkCalendar(
        periods=DEFAULT_PERIODS,
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        years_with_data=frozenset(years),
    )
