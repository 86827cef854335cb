"""The reference-table actions: validation, audit, generations, and nothing half-written."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from yiwang.cases import deadlines
from yiwang.cases.actions import reference
from yiwang.cases.models import CalendarDay, CalendarYear, TimeLimit, WorkPeriod
from yiwang.catalog.models import ObjectType
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.core.models import AuditEntry, Generation
from yiwang.org.models import User

SH = ZoneInfo("Asia/Shanghai")


def generation(name: str) -> int | None:
    return Generation.objects.filter(name=name).values_list("value", flat=True).first()


def snapshot() -> tuple[int, int, int, int, int]:
    return (
        TimeLimit.objects.count(),
        CalendarDay.objects.count(),
        CalendarYear.objects.count(),
        WorkPeriod.objects.count(),
        AuditEntry.objects.count(),
    )


# ---- time limits ----------------------------------------------------------------------------


def test_set_time_limit_creates_then_updates_one_row(root: User) -> None:
    g0 = generation("time_limits")
    row = reference.set_time_limit(
        root, stage="handle", urgency="normal", amount=3, unit="work_days",
        kind="matter", type_code="06001",
    )  # fmt: skip
    # A type row is keyed by the type alone (kind and major blank), as limit_for reads it.
    assert row.type is not None
    assert (row.type.code, row.kind, row.major_code) == ("06001", "", "")
    g1 = generation("time_limits")
    again = reference.set_time_limit(
        root, stage="handle", urgency="normal", amount="2.5", unit="工作时",
        kind="matter", type_code="06001",
    )  # fmt: skip
    assert again.pk == row.pk
    assert (again.amount, again.unit) == (Decimal("2.50"), "work_hours")
    assert TimeLimit.objects.filter(type__code="06001", type__kind="matter").count() == 1
    assert len({g0, g1, generation("time_limits")}) == 3

    entries = list(
        AuditEntry.objects.filter(action="cases.set_time_limit", object_id=str(row.pk)).order_by(
            "id"
        )
    )
    assert [e.data["old"] for e in entries] == [None, {"amount": "3.00", "unit": "work_days"}]
    assert entries[1].data["new"] == {"amount": "2.50", "unit": "work_hours"}
    assert entries[1].actor == root
    assert "06001" in entries[1].summary and "工作时" in entries[1].summary

    obj_type = ObjectType.objects.get(kind="matter", code="06001")
    limit = deadlines.limit_for(obj_type, "normal", "handle")
    assert (limit.amount, limit.unit) == (Decimal("2.5"), "work_hours")


def test_set_time_limit_updates_the_shipped_global_row(root: User) -> None:
    before = TimeLimit.objects.count()
    reference.set_time_limit(root, stage="close", urgency="urgent", amount=3, unit="hours")
    assert TimeLimit.objects.count() == before
    row = TimeLimit.objects.get(type=None, kind="", major_code="", stage="close", urgency="urgent")
    assert (row.amount, row.unit) == (Decimal(3), "hours")


@pytest.mark.parametrize(
    ("kw", "code", "field"),
    [
        ({"amount": 0}, "invalid_amount", "amount"),
        ({"amount": -1}, "invalid_amount", "amount"),
        ({"amount": "abc"}, "invalid_amount", "amount"),
        ({"amount": "NaN"}, "invalid_amount", "amount"),
        ({"amount": "1.255"}, "invalid_amount", "amount"),
        ({"amount": 251, "unit": "work_days"}, "amount_too_large", "amount"),
        ({"amount": 2001, "unit": "work_hours"}, "amount_too_large", "amount"),
        ({"unit": "days"}, "invalid_unit", "unit"),
        ({"stage": "evaluate"}, "invalid_stage", "stage"),
        ({"urgency": "critical"}, "invalid_urgency", "urgency"),
        ({"kind": "thing"}, "invalid_kind", "kind"),
        ({"kind": "matter", "type_code": "99999"}, "unknown_type", "type_code"),
        ({"type_code": "06001"}, "kind_required", "kind"),
        ({"kind": "matter", "major_code": "99"}, "unknown_major", "major_code"),
        ({"kind": "component", "major_code": "06"}, "unknown_major", "major_code"),
        ({"major_code": "06"}, "kind_required", "kind"),
        (
            {"kind": "matter", "type_code": "06001", "major_code": "07"},
            "major_mismatch",
            "major_code",
        ),
    ],
)
def test_bad_time_limits_are_refused_and_nothing_is_written(
    root: User, kw: dict[str, Any], code: str, field: str
) -> None:
    args: dict[str, Any] = {
        "stage": "handle",
        "urgency": "normal",
        "amount": 1,
        "unit": "work_days",
    }
    args.update(kw)
    before, gen = snapshot(), generation("time_limits")
    with pytest.raises(InvalidInput) as err:
        reference.set_time_limit(root, **args)
    assert (err.value.code, err.value.field) == (code, field)
    assert err.value.message  # Chinese, for the form
    assert snapshot() == before
    assert generation("time_limits") == gen


def test_delete_time_limit_falls_back_and_refuses_global_rows(root: User) -> None:
    obj_type = ObjectType.objects.get(kind="matter", code="06001")
    major = TimeLimit.objects.get(kind="matter", major_code="06", stage="handle", urgency="normal")
    reference.delete_time_limit(root, major.pk)
    limit = deadlines.limit_for(obj_type, "normal", "handle")
    assert (limit.amount, limit.unit) == (Decimal(2), "work_days")  # the global row
    assert AuditEntry.objects.filter(action="cases.delete_time_limit").count() == 1

    glob = TimeLimit.objects.get(
        type=None, kind="", major_code="", stage="handle", urgency="normal"
    )
    with pytest.raises(InvalidInput) as err:
        reference.delete_time_limit(root, glob.pk)
    assert err.value.code == "global_limit_required"
    assert TimeLimit.objects.filter(pk=glob.pk).exists()
    with pytest.raises(NotFound):
        reference.delete_time_limit(root, major.pk)


def test_only_administrators_edit_reference_tables(make_user: Any, root: User) -> None:
    leader = make_user("leader", "440304")
    before = snapshot()
    calls = [
        lambda: reference.set_time_limit(
            leader, stage="handle", urgency="normal", amount=1, unit="hours"
        ),
        lambda: reference.delete_time_limit(leader, TimeLimit.objects.first().pk),  # type: ignore[union-attr]
        lambda: reference.set_calendar_day(leader, day=date(2026, 6, 1), kind="holiday"),
        lambda: reference.clear_calendar_day(leader, date(2026, 10, 1)),
        lambda: reference.mark_year_complete(leader, 2027),
        lambda: reference.unmark_year(leader, 2026),
        lambda: reference.set_work_periods(leader, [(time(9), time(17))]),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert snapshot() == before
    admin = make_user("admin", "440304")
    reference.set_work_periods(admin, [(time(9), time(17))])


# ---- calendar -------------------------------------------------------------------------------


def test_calendar_day_set_changed_and_cleared(root: User) -> None:
    g0 = generation("calendar")
    day = date(2027, 2, 6)  # a Saturday
    row = reference.set_calendar_day(root, day=day, kind="workday", name="春节调休")
    assert deadlines.calendar().is_workday(day)
    g1 = generation("calendar")
    reference.set_calendar_day(root, day=day, kind="休息日", name="春节")
    assert CalendarDay.objects.get(pk=row.pk).kind == "holiday"
    assert not deadlines.calendar().is_workday(day)
    reference.clear_calendar_day(root, day)
    assert not CalendarDay.objects.filter(date=day).exists()
    assert len({g0, g1, generation("calendar")}) == 3
    actions = list(
        AuditEntry.objects.filter(object_type="cases.calendarday").values_list("action", flat=True)
    )
    assert sorted(actions) == [
        "cases.clear_calendar_day",
        "cases.set_calendar_day",
        "cases.set_calendar_day",
    ]
    with pytest.raises(NotFound):
        reference.clear_calendar_day(root, day)


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"day": "2027-02-30"}, "invalid_date"),
        ({"day": date(2206, 1, 1)}, "invalid_date"),
        ({"kind": "weekend"}, "invalid_day_kind"),
        ({"name": "节" * 51}, "too_long"),
    ],
)
def test_bad_calendar_days_are_refused(root: User, kw: dict[str, Any], code: str) -> None:
    args: dict[str, Any] = {"day": date(2027, 1, 1), "kind": "holiday", "name": "元旦"}
    args.update(kw)
    before = snapshot()
    with pytest.raises(InvalidInput) as err:
        reference.set_calendar_day(root, **args)
    assert err.value.code == code
    assert snapshot() == before


def test_mark_year_complete_and_unmark(root: User) -> None:
    assert deadlines.calendar_warnings(date(2027, 5, 1))
    row = reference.mark_year_complete(root, 2027)
    assert (row.year, row.source) == (2027, "manual")
    assert deadlines.calendar_warnings(date(2027, 5, 1)) == []
    reference.mark_year_complete(root, 2027, source="国办发明电")
    assert CalendarYear.objects.get(year=2027).source == "国办发明电"
    reference.unmark_year(root, 2027)
    assert deadlines.calendar_warnings(date(2027, 5, 1))
    assert AuditEntry.objects.filter(object_type="cases.calendaryear").count() == 3
    for bad in (1999, 2101, "二〇二七"):
        with pytest.raises(InvalidInput):
            reference.mark_year_complete(root, bad)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        reference.unmark_year(root, 2027)


def test_set_work_periods_changes_the_working_clock(root: User) -> None:
    cal = deadlines.calendar()
    start = datetime(2026, 6, 3, 16, 30, tzinfo=SH)  # a Wednesday
    assert cal.add(start, 2, "work_hours") == datetime(2026, 6, 4, 8, 30, tzinfo=SH)
    rows = reference.set_work_periods(root, [(time(9), time(12)), (time(13), time(17))])
    assert [(r.start, r.end) for r in rows] == [(time(9), time(12)), (time(13), time(17))]
    # 16:30–17:00 (0.5h), then Thursday from 09:00 (1.5h).
    assert deadlines.calendar().add(start, 2, "work_hours") == datetime(
        2026, 6, 4, 10, 30, tzinfo=SH
    )
    entry = AuditEntry.objects.get(action="cases.set_work_periods")
    assert entry.data == {
        "old": ["08:00–12:00", "14:00–18:00"],
        "new": ["09:00–12:00", "13:00–17:00"],
    }


@pytest.mark.parametrize(
    ("periods", "code"),
    [
        ([], "work_periods_required"),
        ([(time(8), time(12)), (time(11), time(18))], "periods_overlap"),
        ([(time(14), time(18)), (time(8), time(12))], "periods_overlap"),
        ([(time(18), time(8))], "invalid_period"),
        ([(time(9), time(9))], "invalid_period"),
        ([("08:00", "12:00")], "invalid_period"),
        ([(time(8),)], "invalid_period"),
        ([(time(h), time(h, 30)) for h in range(7)], "too_many_periods"),
    ],
)
def test_bad_work_periods_are_refused(root: User, periods: Any, code: str) -> None:
    before, gen = snapshot(), generation("calendar")
    with pytest.raises(InvalidInput) as err:
        reference.set_work_periods(root, periods)
    assert err.value.code == code
    assert snapshot() == before
    assert generation("calendar") == gen


def test_touching_periods_are_fine(root: User) -> None:
    rows = reference.set_work_periods(root, [(time(8), time(12)), (time(12), time(16))])
    assert len(rows) == 2
    assert deadlines.calendar().work_seconds_per_day == 8 * 3600
