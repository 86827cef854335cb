"""Working-time calendar: hand-computed examples from the published 2026 schedule, and
properties checked against an independent minute-by-minute count.

2026 facts used below (State Council schedule, as carried by chinese-calendar 1.11):
元旦 1–3 Jan off, Sun 4 Jan worked; 中秋 Fri 25 – Sun 27 Sep off, Sun 20 Sep worked;
国庆 1–7 Oct off, Sat 10 Oct worked. 2027 has no data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache

import chinese_calendar
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from yiwang.core.holidays_seed import chinese_calendar_days, holiday_name, seeded_calendar
from yiwang.core.workcalendar import (
    SHANGHAI,
    Light,
    Unit,
    WorkCalendar,
    finished_on_time,
    parse_unit,
    traffic_light,
)

CAL = seeded_calendar()


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=SHANGHAI)


# -- examples, expected values worked out by hand -------------------------------------------


def test_national_day_2026_two_work_days_land_after_the_holiday() -> None:
    # Wed 30 Sep 16:00: 2 h left that day; 1–7 Oct off; Thu 8 Oct 8 h; Fri 9 Oct 4 h + 2 h.
    due = CAL.add(local(2026, 9, 30, 16), 2, "work_days")
    assert due == local(2026, 10, 9, 16)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 10, 9, 8, tzinfo=UTC)


def test_utc_input_gives_the_same_deadline() -> None:
    assert CAL.add(datetime(2026, 9, 30, 8, tzinfo=UTC), 2, "work_days") == local(2026, 10, 9, 16)


def test_national_day_holiday_days_and_makeup_saturday() -> None:
    assert [CAL.is_workday(date(2026, 10, d)) for d in range(1, 12)] == [
        False,  # 1 Thu 国庆
        False,
        False,
        False,
        False,
        False,
        False,  # 7 Wed 国庆
        True,  # 8 Thu
        True,  # 9 Fri
        True,  # 10 Sat 调休
        False,  # 11 Sun
    ]
    # Fri 9 Oct 17:00 + 2 工作时: 1 h on Friday, then the 调休 Saturday from 08:00.
    assert CAL.add(local(2026, 10, 9, 17), 2, "work_hours") == local(2026, 10, 10, 9)
    # The end of the last day before the holiday: next working moment is 8 Oct 08:00.
    assert CAL.add(local(2026, 9, 30, 18), 1, "work_hours") == local(2026, 10, 8, 9)


def test_makeup_sunday_counts_as_working() -> None:
    assert CAL.is_workday(date(2026, 9, 20))  # Sunday, 调休 for 中秋
    assert not CAL.is_workday(date(2026, 9, 19))  # the Saturday before stays off
    assert not CAL.is_workday(date(2026, 9, 25))  # Friday, 中秋
    # Started on the Saturday: the clock runs from Sunday 08:00.
    assert CAL.add(local(2026, 9, 19, 10), 4, "work_hours") == local(2026, 9, 20, 12)
    # Started on the 调休 Sunday itself.
    assert CAL.add(local(2026, 9, 20, 8), 1, "work_days") == local(2026, 9, 20, 18)
    # Thu 24 Sep 16:00 + 1 工作日: 2 h, then 中秋 25–27, then Mon 28 Sep 4 h + 2 h.
    assert CAL.add(local(2026, 9, 24, 16), 1, "work_days") == local(2026, 9, 28, 16)


def test_new_year_2026_across_the_year_boundary() -> None:
    # Wed 31 Dec 2025 17:00 + 2 工作时: 1 h, 1–3 Jan off, Sun 4 Jan (调休) 08:00 + 1 h.
    assert CAL.add(local(2025, 12, 31, 17), 2, "work_hours") == local(2026, 1, 4, 9)


def test_one_work_hour_from_half_past_eleven_skips_lunch() -> None:
    assert CAL.add(local(2026, 3, 10, 11, 30), 1, "work_hours") == local(2026, 3, 10, 14, 30)


def test_wall_clock_hours_ignore_lunch_nights_and_weekends() -> None:
    assert CAL.add(local(2026, 3, 10, 11, 30), 4, "hours") == local(2026, 3, 10, 15, 30)
    # Fri 22:00 + 4 小时 = Sat 02:00.
    assert CAL.add(local(2026, 3, 13, 22), 4, "hours") == local(2026, 3, 14, 2)
    # Inside 国庆.
    assert CAL.add(local(2026, 10, 1, 23), Decimal("1.5"), "hours") == local(2026, 10, 2, 0, 30)


def test_deadline_on_a_period_end_stays_there() -> None:
    assert CAL.add(local(2026, 3, 10, 8), 4, "work_hours") == local(2026, 3, 10, 12)
    assert CAL.add(local(2026, 3, 10, 14), 4, "work_hours") == local(2026, 3, 10, 18)
    # Friday 18:00 is the deadline, not Monday 08:00.
    assert CAL.add(local(2026, 3, 13, 8), 1, "work_days") == local(2026, 3, 13, 18)


def test_zero_amount_returns_the_start_unchanged() -> None:
    saturday_night = local(2026, 3, 14, 23)
    assert CAL.add(saturday_night, 0, "work_hours") == saturday_night
    assert CAL.add(saturday_night, 0, "hours") == saturday_night


def test_start_in_non_working_time_starts_at_next_working_moment() -> None:
    # Sat 14 Mar 2026 → Mon 16 Mar 08:00 + 0.5 h.
    assert CAL.add(local(2026, 3, 14, 10), 0.5, "work_hours") == local(2026, 3, 16, 8, 30)
    # Lunch → 14:00 + 1 h.
    assert CAL.add(local(2026, 3, 10, 12, 30), 1, "work_hours") == local(2026, 3, 10, 15)
    # Before work → 08:00 + 1 h.
    assert CAL.add(local(2026, 3, 10, 6), 1, "work_hours") == local(2026, 3, 10, 9)


def test_thirty_work_days_across_national_day() -> None:
    # Mon 14 Sep 2026 08:00. Working days from there: 14–18 Sep (5), Sun 20 (1),
    # 21–24 (4) → 10; 28–30 Sep (3) → 13; 8, 9, 10 Oct (3) → 16; 12–16 (5) → 21;
    # 19–23 (5) → 26; 26–29 Oct (4) → 30. The 30th ends Thu 29 Oct 18:00.
    assert CAL.add(local(2026, 9, 14, 8), 30, "work_days") == local(2026, 10, 29, 18)


def test_year_without_data_counts_weekdays_and_is_reported() -> None:
    assert CAL.missing_years(date(2026, 12, 1), date(2027, 2, 1)) == [2027]
    assert CAL.missing_years(date(2026, 1, 1), date(2026, 12, 31)) == []
    assert CAL.missing_years(date(2004, 1, 1), date(2026, 12, 31)) == []
    # 1 Jan 2027 is a Friday: without data it is an ordinary working day.
    assert CAL.is_workday(date(2027, 1, 1))
    assert not CAL.is_workday(date(2027, 1, 2))
    assert CAL.add(local(2026, 12, 31, 17), 2, "work_hours") == local(2027, 1, 1, 9)
    # Fri 1 Jan + Mon–Thu 4–7 Jan = 5 days.
    assert CAL.add(local(2027, 1, 1, 8), 5, "work_days") == local(2027, 1, 7, 18)


def test_days_entered_by_an_administrator_count_even_without_official_data() -> None:
    edited = WorkCalendar(
        holidays=CAL.holidays | {date(2027, 1, 1)},
        workdays=CAL.workdays,
        years_with_data=CAL.years_with_data,
    )
    assert not edited.is_workday(date(2027, 1, 1))
    assert edited.add(local(2026, 12, 31, 17), 2, "work_hours") == local(2027, 1, 4, 9)
    assert edited.missing_years(date(2027, 1, 1), date(2027, 1, 1)) == [2027]


def test_custom_work_periods() -> None:
    cal = WorkCalendar(
        periods=((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30))),
        holidays=CAL.holidays,
        workdays=CAL.workdays,
        years_with_data=CAL.years_with_data,
    )
    assert cal.work_seconds_per_day == int(7.5 * 3600)
    assert cal.add(local(2026, 3, 10, 8, 30), 1, "work_days") == local(2026, 3, 10, 17, 30)
    assert cal.add(local(2026, 3, 10, 11), 2, "work_hours") == local(2026, 3, 10, 14, 30)


def test_working_seconds_between_examples() -> None:
    # Fri 18 Sep 17:00 → Mon 21 Sep 09:00: 1 h Fri + 8 h 调休 Sunday + 1 h Mon.
    assert CAL.working_seconds_between(local(2026, 9, 18, 17), local(2026, 9, 21, 9)) == 36_000
    assert CAL.working_seconds_between(local(2026, 9, 21, 9), local(2026, 9, 18, 17)) == -36_000
    assert CAL.working_seconds_between(local(2026, 10, 1, 9), local(2026, 10, 7, 17)) == 0
    assert (
        CAL.elapsed(local(2026, 10, 1, 9), local(2026, 10, 7, 17), "hours") == (6 * 24 + 8) * 3600
    )


def test_suspension_stops_the_clock_and_resume_restarts_it_with_the_time_left() -> None:
    # Mon 9 Mar 08:00 + 10 工作时 → due Tue 10 Mar 10:00. Suspended Mon 10:00 (8 h left),
    # resumed Wed 11 Mar 15:00: 3 h Wed, 4 h Thu morning, 1 h → Thu 12 Mar 15:00.
    started, due = local(2026, 3, 9, 8), local(2026, 3, 10, 10)
    assert CAL.add(started, 10, "work_hours") == due
    assert CAL.remaining(local(2026, 3, 9, 10), due, "work_hours") == 8 * 3600
    new_due = CAL.resume_due(due, local(2026, 3, 9, 10), local(2026, 3, 11, 15), "work_hours")
    assert new_due == local(2026, 3, 12, 15)
    # Wall-clock stage: 3 h left at suspension, resumed at 20:00 → 23:00.
    wall = CAL.resume_due(
        local(2026, 3, 9, 12), local(2026, 3, 9, 9), local(2026, 3, 9, 20), "hours"
    )
    assert wall == local(2026, 3, 9, 23)
    # Already overdue when suspended: the deadline does not move.
    assert CAL.resume_due(due, local(2026, 3, 10, 11), local(2026, 3, 12, 8), "work_days") == due


def test_traffic_light_boundaries_on_working_time() -> None:
    # 10 工作时 from Mon 9 Mar 08:00, due Tue 10:00; 80 % = 8 working hours = Mon 18:00.
    started, due = local(2026, 3, 9, 8), local(2026, 3, 10, 10)

    def light(now: datetime) -> Light:
        return traffic_light(started, due, now, calendar=CAL, unit="work_hours")

    assert light(local(2026, 3, 9, 8)) == Light.GREEN
    assert light(local(2026, 3, 9, 17, 59, 59)) == Light.GREEN
    assert light(local(2026, 3, 9, 18)) == Light.AMBER
    # The night adds no working time: still amber, not red.
    assert light(local(2026, 3, 10, 7)) == Light.AMBER
    assert light(local(2026, 3, 10, 10)) == Light.AMBER
    assert light(local(2026, 3, 10, 10, 0, 0, 1)) == Light.RED
    assert Light.RED.label == "超期"


def test_traffic_light_boundaries_on_wall_clock() -> None:
    started, due = local(2026, 3, 9, 0), local(2026, 3, 9, 10)

    def light(now: datetime) -> Light:
        return traffic_light(started, due, now, calendar=CAL, unit="hours")

    assert light(local(2026, 3, 9, 7, 59, 59)) == Light.GREEN
    assert light(local(2026, 3, 9, 8)) == Light.AMBER
    assert light(local(2026, 3, 9, 10)) == Light.AMBER
    assert light(local(2026, 3, 9, 10, 0, 1)) == Light.RED


def test_finished_stage_is_judged_at_its_finish_time() -> None:
    started, due = local(2026, 3, 9, 8), local(2026, 3, 10, 10)
    much_later = local(2026, 6, 1, 9)
    early = traffic_light(
        started, due, much_later, calendar=CAL, unit="work_hours", finished_at=local(2026, 3, 9, 9)
    )
    late = traffic_light(
        started,
        due,
        much_later,
        calendar=CAL,
        unit="work_hours",
        finished_at=local(2026, 3, 10, 11),
    )
    assert (early, late) == (Light.GREEN, Light.RED)
    assert finished_on_time(due, due)
    assert not finished_on_time(due, due + timedelta(seconds=1))


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        CAL.add(local(2026, 3, 9, 8), -1, "work_hours")
    with pytest.raises(ValueError):
        CAL.add(datetime(2026, 3, 9, 8), 1, "work_hours")
    with pytest.raises(ValueError):
        CAL.add(local(2026, 3, 9, 8), 1, "fortnights")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        CAL.add(local(2026, 3, 9, 8), float("nan"), "hours")
    with pytest.raises(ValueError):
        WorkCalendar(periods=())
    with pytest.raises(ValueError):
        WorkCalendar(periods=((time(14), time(18)), (time(8), time(12))))
    with pytest.raises(ValueError):
        WorkCalendar(periods=((time(12), time(8)),))


def test_units_accept_chinese_labels() -> None:
    assert [parse_unit(u) for u in ("小时", "工作时", "工作日", "work_days")] == [
        "hours",
        "work_hours",
        "work_days",
        "work_days",
    ]
    with pytest.raises(ValueError):
        parse_unit("天")


def test_seed_from_chinese_calendar() -> None:
    holidays, workdays, years = chinese_calendar_days()
    assert years == set(range(2004, 2027))
    assert {date(2026, 10, d) for d in range(1, 8)} <= holidays
    assert {date(2026, 9, 20), date(2026, 10, 10), date(2026, 1, 4)} <= workdays
    assert not holidays & workdays
    # Beyond the package's data: nothing, and no error.
    assert chinese_calendar_days(2026, 2030)[2] == {2026}
    assert chinese_calendar_days(2030, 2031) == (set(), set(), set())
    assert holiday_name(date(2026, 10, 10)) == "National Day"
    assert holiday_name(date(2030, 10, 1)) is None


# -- properties -------------------------------------------------------------------------------


@cache
def official_workday(d: date) -> bool:
    """Independent of the module: the package's own answer, plain weekdays beyond it."""
    if d.year <= 2026:
        return bool(chinese_calendar.is_workday(d))
    return d.weekday() < 5


PERIODS_MIN = ((8 * 60, 12 * 60), (14 * 60, 18 * 60))

starts = st.datetimes(
    min_value=datetime(2025, 12, 20), max_value=datetime(2027, 1, 10), timezones=st.just(SHANGHAI)
)
minute_starts = starts.map(lambda d: d.replace(second=0, microsecond=0))
# Hundredths of an hour (36 s) are exact in Decimal, so sums are exact too.
work_amounts = st.integers(min_value=0, max_value=40 * 8 * 100).map(lambda n: Decimal(n) / 100)
work_units = st.sampled_from(["work_hours", "work_days"])
PROPS = settings(max_examples=200, deadline=None)


def amount_in_hours(amount: Decimal, unit: str) -> Decimal:
    return amount * 8 if unit == "work_days" else amount


@PROPS
@given(start=starts, a=work_amounts, b=work_amounts, unit=work_units)
def test_add_is_monotonic_in_amount(start: datetime, a: Decimal, b: Decimal, unit: Unit) -> None:
    lo, hi = sorted((a, b))
    assert CAL.add(start, lo, unit) <= CAL.add(start, hi, unit)


@PROPS
@given(s1=starts, s2=starts, amount=work_amounts, unit=work_units)
def test_add_is_monotonic_in_start(s1: datetime, s2: datetime, amount: Decimal, unit: Unit) -> None:
    early, late = sorted((s1, s2))
    assert CAL.add(early, amount, unit) <= CAL.add(late, amount, unit)


@PROPS
@given(start=starts, amount=work_amounts, unit=work_units)
def test_result_never_inside_non_working_time(start: datetime, amount: Decimal, unit: Unit) -> None:
    assume(amount > 0)
    due = CAL.add(start, amount, unit).astimezone(SHANGHAI)
    assert due > start
    assert official_workday(due.date())
    minute = due.hour * 60 + due.minute + (due.second + due.microsecond / 1e6) / 60
    # Inside a period or exactly on its end; never on its start (that would be 0 work).
    assert any(s < minute <= e for s, e in PERIODS_MIN)


@PROPS
@given(start=starts, a=work_amounts, b=work_amounts)
def test_adding_in_two_steps_equals_adding_once(start: datetime, a: Decimal, b: Decimal) -> None:
    assert CAL.add(CAL.add(start, a, "work_hours"), b, "work_hours") == CAL.add(
        start, a + b, "work_hours"
    )


@PROPS
@given(start=starts, amount=work_amounts, unit=work_units)
def test_working_time_up_to_the_deadline_is_the_amount(
    start: datetime, amount: Decimal, unit: Unit
) -> None:
    due = CAL.add(start, amount, unit)
    assert (
        Decimal(str(CAL.working_seconds_between(start, due)))
        == amount_in_hours(amount, unit) * 3600
    )


@PROPS
@given(start=starts, amount=work_amounts)
def test_a_work_day_is_eight_work_hours(start: datetime, amount: Decimal) -> None:
    assert CAL.add(start, amount, "work_days") == CAL.add(start, amount * 8, "work_hours")


@PROPS
@given(start=starts, amount=st.integers(min_value=0, max_value=24 * 60))
def test_wall_clock_hours_are_plain_elapsed_time(start: datetime, amount: int) -> None:
    hours = Decimal(amount) / 60
    assert CAL.add(start, hours, "hours") - start == timedelta(minutes=amount)


@settings(max_examples=120, deadline=None)
@given(start=minute_starts, minutes=st.integers(min_value=1, max_value=3 * 8 * 60))
def test_matches_a_minute_by_minute_count(start: datetime, minutes: int) -> None:
    """An independent oracle: walk minutes, counting those inside official working time."""
    cursor, counted = start, 0
    while counted < minutes:
        minute_of_day = cursor.hour * 60 + cursor.minute
        if official_workday(cursor.date()) and any(s <= minute_of_day < e for s, e in PERIODS_MIN):
            counted += 1
        cursor += timedelta(minutes=1)
    assert CAL.add(start, Decimal(minutes) / 60, "work_hours") == cursor


@PROPS
@given(
    start=starts,
    amount=work_amounts.filter(lambda a: a > 0),
    offsets=st.lists(st.integers(min_value=0, max_value=60 * 24 * 60), min_size=2, max_size=6),
    unit=st.sampled_from(["hours", "work_hours", "work_days"]),
)
def test_traffic_light_only_moves_forward(
    start: datetime, amount: Decimal, offsets: list[int], unit: Unit
) -> None:
    due = CAL.add(start, amount, unit)
    order = [Light.GREEN, Light.AMBER, Light.RED]
    lights = [
        traffic_light(start, due, start + timedelta(minutes=m), calendar=CAL, unit=unit)
        for m in sorted(offsets)
    ]
    ranks = [order.index(light) for light in lights]
    assert ranks == sorted(ranks)
