"""Deadline vectors computed by hand with the seeded 2026 calendar, through the real actions.

2026 facts used (State Council schedule, seeded from chinese-calendar):
中秋 9-25..27 off; 国庆 10-01..07 off; 调休 working days Sunday 9-20 and Saturday 10-10.
Work periods 08:00–12:00 and 14:00–18:00; 1 工作日 = 8 工作时.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from case_support import POINT_A, City
from yiwang.cases import actions, deadlines
from yiwang.cases.actions import reference
from yiwang.cases.models import State, TimeLimit

SH = ZoneInfo("Asia/Shanghai")

WARNING_2027 = "2027 年节假日数据尚未维护，工作时按周一至周五计算，请在“节假日与调休”中维护。"


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def step(case: Any, user: Any, name: str, now: datetime, **inputs: Any) -> Any:
    return actions.transition(user, case.number, name, version=case.version, inputs=inputs, now=now)


def dispatched(city: City, code: str, now: datetime, urgency: str = "normal") -> Any:
    """A case reported, registered and dispatched to the municipal department at `now`."""
    u = city.users
    case = actions.report_case(
        u["inspector"],
        kind="matter",
        type_code=code,
        title="测试案卷",
        urgency=urgency,
        lon=POINT_A[0],
        lat=POINT_A[1],
        now=now,
    )
    case = step(case, u["operator"], "accept", now)
    case = step(case, u["shift_lead"], "register", now)
    return step(case, u["dispatcher"], "dispatch", now, department_id=city.municipal.pk)


def shipped_handle_limit(major: str, urgency: str = "normal") -> tuple[str, str]:
    row = TimeLimit.objects.get(
        type=None, kind="matter", major_code=major, stage="handle", urgency=urgency
    )
    return f"{row.amount.normalize():f}", row.unit


def test_two_working_days_across_national_day(city: City) -> None:
    assert shipped_handle_limit("07") == ("2", "work_days")  # 07001 非法小广告
    case = dispatched(city, "07001", at(2026, 9, 30, 16, 0))
    # Wed 9-30 16–18 (2h); 10-01..07 off; Thu 10-08 8h (10h); Fri 10-09 08–12, 14–16 (16h).
    assert case.state == State.DISPATCHED
    assert case.stage_due_at == at(2026, 10, 9, 16, 0)
    assert case.handle_due_at == at(2026, 10, 9, 16, 0)
    record = case.stages.get(stage="handle")
    assert record.due_at == at(2026, 10, 9, 16, 0)


def test_four_working_hours_on_a_make_up_sunday(city: City) -> None:
    assert shipped_handle_limit("06") == ("4", "work_hours")  # 06001 私搭乱建
    case = dispatched(city, "06001", at(2026, 9, 20, 9, 0))
    # Sunday 9-20 is a 调休 working day: 09–12 (3h), 14–15 (1h).
    assert case.stage_due_at == at(2026, 9, 20, 15, 0)


def test_urgent_four_hours_run_on_the_wall_clock(city: City) -> None:
    row = TimeLimit.objects.get(type=None, kind="", major_code="", stage="handle", urgency="urgent")
    assert (f"{row.amount.normalize():f}", row.unit) == ("4", "hours")
    assert not TimeLimit.objects.filter(kind="matter", major_code="07", urgency="urgent").exists()
    # National Day, late evening: the wall clock does not care.
    case = dispatched(city, "07001", at(2026, 10, 1, 22, 0), urgency="urgent")
    assert case.stage_due_at == at(2026, 10, 2, 2, 0)


def test_approved_extension_moves_the_deadline(city: City) -> None:
    u = city.users
    case = dispatched(city, "07001", at(2026, 9, 30, 16, 0))
    case = step(case, u["handler"], "accept_task", at(2026, 10, 8, 9, 0))
    case = step(
        case, u["handler"], "request_extension", at(2026, 10, 8, 10, 0),
        amount="1", unit="work_days", note="需协调城管执法",
    )  # fmt: skip
    assert case.state == State.EXTENSION_REQUESTED
    assert case.stage_due_at == at(2026, 10, 9, 16, 0)  # unchanged until approved
    case = step(case, u["dispatcher"], "approve_extension", at(2026, 10, 8, 11, 0))
    # From the old deadline Fri 10-09 16:00: 16–18 (2h); Sat 10-10 is a 调休 working day:
    # 08–12 (6h), 14–16 (8h).
    assert case.state == State.HANDLING
    assert case.stage_due_at == at(2026, 10, 10, 16, 0)
    assert case.handle_due_at == at(2026, 10, 10, 16, 0)
    assert case.extension_count == 1
    assert case.stages.get(stage="handle").due_at == at(2026, 10, 10, 16, 0)


def test_denied_extension_keeps_the_deadline(city: City) -> None:
    u = city.users
    case = dispatched(city, "07001", at(2026, 9, 30, 16, 0))
    case = step(case, u["handler"], "accept_task", at(2026, 10, 8, 9, 0))
    case = step(
        case, u["handler"], "request_extension", at(2026, 10, 8, 10, 0),
        amount="3", unit="work_days", note="需协调",
    )  # fmt: skip
    case = step(case, u["dispatcher"], "deny_extension", at(2026, 10, 8, 11, 0), note="可按期完成")
    assert case.state == State.HANDLING
    assert case.stage_due_at == at(2026, 10, 9, 16, 0)


def test_suspension_stops_the_clock_and_resume_restarts_it(city: City) -> None:
    u = city.users
    # Thu 6-04 11:00 + 2 工作日: Thu 11–12, 14–18 (5h); Fri 8h (13h); Mon 6-08 08–11 (16h).
    case = dispatched(city, "07001", at(2026, 6, 4, 11, 0))
    assert case.stage_due_at == at(2026, 6, 8, 11, 0)
    case = step(case, u["handler"], "accept_task", at(2026, 6, 4, 14, 0))
    case = step(case, u["handler"], "request_suspend", at(2026, 6, 5, 15, 0), note="待管线迁改")
    case = step(case, u["dispatcher"], "approve_suspend", at(2026, 6, 5, 16, 0))
    # Fri 16:00: 16–18 (2h) and Mon 08–11 (3h) were left.
    assert case.state == State.SUSPENDED
    assert case.stage_due_at is None
    assert case.stage_remaining_seconds == 5 * 3600
    case = step(case, u["dispatcher"], "resume", at(2026, 6, 8, 10, 0))
    # Mon 10:00 + 5 工作时: 10–12 (2h), 14–17 (5h).
    assert case.state == State.HANDLING
    assert case.stage_due_at == at(2026, 6, 8, 17, 0)
    assert case.handle_due_at == at(2026, 6, 8, 17, 0)
    record = case.stages.get(stage="handle")
    assert record.due_at == at(2026, 6, 8, 17, 0)
    assert (
        record.suspended_seconds == (at(2026, 6, 8, 10, 0) - at(2026, 6, 5, 16, 0)).total_seconds()
    )
    assert record.paused_at is None


def test_a_year_without_holiday_data_counts_weekdays_and_warns(city: City) -> None:
    # 2027 is past the seeded data: National Day is not known, Fri 10-01 counts as working.
    # Fri 10-01 09:00 + 16h: Fri 09–12, 14–18 (7h); Mon 10-04 (15h); Tue 10-05 08–09 (16h).
    case = dispatched(city, "07001", at(2027, 10, 1, 9, 0))
    assert case.stage_due_at == at(2027, 10, 5, 9, 0)
    assert deadlines.calendar_warnings(date(2027, 3, 1)) == [WARNING_2027]
    assert deadlines.calendar_warnings(date(2026, 12, 1)) == [WARNING_2027]  # December: next year
    assert deadlines.calendar_warnings(date(2026, 11, 30)) == []
    # Far in the future, still no crash: plain weekdays.
    later = dispatched(city, "06001", at(2035, 6, 1, 17, 0))  # a Friday
    assert later.stage_due_at == at(2035, 6, 4, 11, 0)  # Fri 17–18 (1h), Mon 08–11 (4h)


def test_entering_next_years_holidays_moves_later_deadlines_and_silences_the_warning(
    city: City,
) -> None:
    for day in range(1, 8):
        reference.set_calendar_day(
            city.root, day=date(2027, 10, day), kind="holiday", name="国庆节"
        )
    reference.mark_year_complete(city.root, 2027, source="国务院办公厅通知")
    assert deadlines.calendar_warnings(date(2027, 3, 1)) == []
    # The clock starts on Fri 10-08 08:00: Fri 8h, Mon 10-11 8h.
    case = dispatched(city, "07001", at(2027, 10, 1, 9, 0))
    assert case.stage_due_at == at(2027, 10, 11, 18, 0)


@pytest.mark.django_db
def test_no_warning_while_the_current_year_is_known() -> None:
    assert deadlines.calendar_warnings(date(2026, 6, 1)) == []
    assert deadlines.calendar_warnings(date(2004, 12, 31)) == []  # 2005 is seeded too
