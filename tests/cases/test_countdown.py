"""The 待处置 countdown counts the same clock as the traffic light: working time for limits
in 工作时 / 工作日, wall time for limits in 小时. Expected values are counted by hand over
the week of National Day 2026 (holidays 10-01 … 10-07, 10-10 and 10-11 a weekend here)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from case_steps import Loop
from django.test import Client

from case_support import City
from yiwang.cases.views.worklists import countdown_text
from yiwang.core.workcalendar import SHANGHAI, Light, WorkCalendar, traffic_light


@pytest.fixture
def loop(city: City) -> Loop:
    return Loop(city)


HOLIDAYS = frozenset(date(2026, 10, d) for d in range(1, 8))
CAL = WorkCalendar(holidays=HOLIDAYS, years_with_data=frozenset({2026}))


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def test_working_days_left_across_the_holiday() -> None:
    # Tue 09-29 16:30–18:00 1.5 h, Wed 09-30 8 h, 10-01…10-07 nothing, Thu 10-08 8 h,
    # Fri 10-09 08:00–10:00 2 h: 19.5 h = 2 工作日 3.5 工作时.
    due = at(10, 9, 10)
    assert countdown_text(due, "work_days", at(9, 29, 16, 30), CAL) == "剩余 2 工作日 3.5 工作时"
    # From the middle of the holiday only 10-08 and the morning of 10-09 are left: 10 h.
    assert countdown_text(due, "work_days", at(10, 3, 12), CAL) == "剩余 1 工作日 2 工作时"
    # The same moment on the wall clock would have said 9 days 17 hours.
    assert countdown_text(due, "hours", at(9, 29, 16, 30), CAL) == "剩余 9天17小时"


def test_working_hours_left_skip_lunch_and_the_holiday() -> None:
    # Wed 09-30 17:00–18:00 1 h, Thu 10-08 08:00–11:30 3.5 h.
    due = at(10, 8, 11, 30)
    assert countdown_text(due, "work_hours", at(9, 30, 17), CAL) == "剩余 4.5 工作时"
    # 10-08 11:00–11:30 and nothing else: half an hour, shown to the tenth.
    assert countdown_text(due, "work_hours", at(10, 8, 11), CAL) == "剩余 0.5 工作时"
    # 10-08 08:00 → 11:30 minus 7 minutes: 3 h 23 min = 3.38 h, rounded down.
    assert countdown_text(due, "work_hours", at(10, 8, 8, 7), CAL) == "剩余 3.3 工作时"


def test_overdue_exactly_when_the_light_is_red() -> None:
    start, due = at(10, 8, 9), at(10, 9, 18)
    evening = at(10, 9, 20)
    assert traffic_light(start, due, evening, calendar=CAL, unit="work_days") == Light.RED
    # Overdue since 18:00 but no working time has passed since.
    assert countdown_text(due, "work_days", evening, CAL) == "已超期 0 工作时"
    # Sat/Sun 10-10/11 are off; Mon 10-12 08:00–09:15 is 1.25 h, shown as 1.2.
    assert countdown_text(due, "work_days", at(10, 12, 9, 15), CAL) == "已超期 1.2 工作时"
    # Exactly at the due moment: still in time, green or amber but not red.
    assert traffic_light(start, due, due, calendar=CAL, unit="work_days") != Light.RED
    assert countdown_text(due, "work_days", due, CAL) == "剩余 0 工作时"


@pytest.mark.django_db
def test_the_handlers_worklist_shows_working_time_left(
    client: Client, city: City, loop: Loop
) -> None:
    case = loop.drive("dispatched")
    assert case.stage_unit in ("work_hours", "work_days")
    client.force_login(city.users["handler"])
    html = client.get("/cases/").content.decode()
    row = html.split(f'data-number="{case.number}"', 1)[1].split("</tr>", 1)[0]
    countdown = re.search(r'<span class="countdown[^"]*"([^>]*)>([^<]*)<', row)
    assert countdown is not None, row
    attributes, text = countdown.groups()
    assert re.fullmatch(r"剩余 (\d+ 工作日( \d+(\.\d)? 工作时)?|\d+(\.\d)? 工作时)", text), text
    # The browser does not re-tick it on the wall clock.
    assert "data-due" not in attributes
    assert timedelta(0) < case.stage_due_at - case.stage_started_at  # type: ignore[operator]


@pytest.mark.django_db
def test_the_case_page_shows_the_same_working_time_countdown(
    client: Client, city: City, loop: Loop
) -> None:
    case = loop.drive("dispatched")
    client.force_login(city.users["handler"])
    html = client.get(f"/cases/{case.number}/").content.decode()
    countdown = re.search(r'<span class="countdown[^"]*">([^<]*)<', html)
    assert countdown is not None
    assert re.fullmatch(r"剩余 (\d+ 工作日( \d+(\.\d)? 工作时)?|\d+(\.\d)? 工作时)", countdown[1])
