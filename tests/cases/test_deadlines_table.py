"""The editable time-limit table: every type is covered, the most specific row wins, and an
edit reaches the next case at once, in this process and in any other."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from case_support import POINT_A, City
from yiwang.cases import actions, deadlines
from yiwang.cases.actions import reference
from yiwang.cases.models import Stage, TimeLimit, Urgency
from yiwang.catalog.models import ObjectType

SH = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def report(city: City, code: str, now: datetime, kind: str = "matter") -> Any:
    return actions.report_case(
        city.users["inspector"],
        kind=kind,
        type_code=code,
        title="测试案卷",
        lon=POINT_A[0],
        lat=POINT_A[1],
        now=now,
    )


@pytest.mark.django_db
def test_every_type_urgency_and_stage_has_a_table_row() -> None:
    """403 types × 2 urgencies × 7 stages, each resolved from a row of the table."""
    rows: dict[tuple[Any, ...], tuple[Decimal, str]] = {
        (r.type_id, r.kind, r.major_code, r.urgency, r.stage): (r.amount, r.unit)
        for r in TimeLimit.objects.all()
    }
    types = list(ObjectType.objects.all())
    assert len(types) == 403
    checked = 0
    for obj_type in types:
        for urgency in Urgency.values:
            for stage in Stage.values:
                candidates = [
                    (obj_type.pk, "", "", urgency, stage),
                    (None, obj_type.kind, obj_type.major_code, urgency, stage),
                    (None, obj_type.kind, "", urgency, stage),
                    (None, "", "", urgency, stage),
                ]
                found = [rows[key] for key in candidates if key in rows]
                assert found, f"no time-limit row covers {obj_type} / {urgency} / {stage}"
                limit = deadlines.limit_for(obj_type, urgency, stage)
                assert (limit.amount, limit.unit) == found[0]
                checked += 1
    assert checked == 403 * 2 * 7


@pytest.mark.django_db
def test_shipped_rows_for_all_types_cover_every_stage() -> None:
    globals_ = set(
        TimeLimit.objects.filter(type=None, kind="", major_code="").values_list("urgency", "stage")
    )
    assert globals_ == {(u, s) for u in Urgency.values for s in Stage.values}


def test_type_row_beats_major_row_beats_global(city: City) -> None:
    admin = city.root
    private, other = "06001", "06002"  # both 市容环境 (major 06)
    elsewhere = "07001"  # another major: no major row for 受理
    start = at(2026, 6, 3, 9, 0)  # a Wednesday: working day, 09:00 is working time

    # Global 受理 limit (shipped): 1 工作时.
    assert report(city, private, start).stage_due_at == at(2026, 6, 3, 10, 0)

    reference.set_time_limit(
        admin, stage="accept", urgency="normal", amount=2, unit="work_hours",
        kind="matter", major_code="06",
    )  # fmt: skip
    reference.set_time_limit(
        admin, stage="accept", urgency="normal", amount=3, unit="work_hours",
        kind="matter", type_code=private,
    )  # fmt: skip

    assert report(city, private, start).stage_due_at == at(2026, 6, 3, 12, 0)  # type row
    assert report(city, other, start).stage_due_at == at(2026, 6, 3, 11, 0)  # major row
    assert report(city, elsewhere, start).stage_due_at == at(2026, 6, 3, 10, 0)  # global

    # Dropping the type row lets the major row apply again.
    type_row = TimeLimit.objects.get(type__code=private, type__kind="matter", stage="accept")
    reference.delete_time_limit(admin, type_row.pk)
    assert report(city, private, start).stage_due_at == at(2026, 6, 3, 11, 0)


def test_kind_row_sits_between_major_and_global(city: City) -> None:
    start = at(2026, 6, 3, 9, 0)
    reference.set_time_limit(
        city.root, stage="accept", urgency="normal", amount=4, unit="work_hours", kind="component"
    )
    # 部件 01001 has no 受理 row of its own or of its major: the kind row applies.
    assert report(city, "01001", start, kind="component").stage_due_at == at(2026, 6, 3, 15, 0)
    # A 事项 of the same code is not a 部件: the global row still applies.
    assert report(city, "01001", start).stage_due_at == at(2026, 6, 3, 10, 0)


def test_edit_reaches_a_process_holding_a_stale_table(city: City) -> None:
    obj_type = ObjectType.objects.get(kind="matter", code="06001")
    before = deadlines.limit_for(obj_type, "normal", "handle")
    assert (before.amount, before.unit) == (Decimal(4), "work_hours")  # seeded major 06 row
    stale = deadlines._limits_cache  # what a second process loaded before the edit
    assert stale is not None

    reference.set_time_limit(
        city.root, stage="handle", urgency="normal", amount="1.5", unit="work_days",
        kind="matter", major_code="06",
    )  # fmt: skip

    deadlines._limits_cache = stale  # the other process still holds the old table …
    after = deadlines.limit_for(obj_type, "normal", "handle")
    assert (after.amount, after.unit) == (Decimal("1.5"), "work_days")  # … and reloads it
    deadlines._limits_cache = None  # a process starting cold reads the same
    cold = deadlines.limit_for(obj_type, "normal", "handle")
    assert (cold.amount, cold.unit) == (Decimal("1.5"), "work_days")


def test_calendar_edit_reaches_a_process_holding_a_stale_calendar(city: City) -> None:
    start = at(2026, 6, 3, 17, 30)  # Wednesday; 1 工作时 runs into Thursday morning
    assert report(city, "06001", start).stage_due_at == at(2026, 6, 4, 8, 30)
    stale = deadlines._calendar_cache
    reference.set_calendar_day(city.root, day=at(2026, 6, 4, 0, 0).date(), kind="holiday")
    deadlines._calendar_cache = stale
    # Thursday is now a day off: the clock resumes on Friday morning.
    assert report(city, "06001", start).stage_due_at == at(2026, 6, 5, 8, 30)
    reference.clear_calendar_day(city.root, at(2026, 6, 4, 0, 0).date())
    assert report(city, "06001", start).stage_due_at == at(2026, 6, 4, 8, 30)


def test_open_stages_keep_their_deadline_after_an_edit(city: City) -> None:
    start = at(2026, 6, 3, 9, 0)
    case = report(city, "06001", start)
    reference.set_time_limit(
        city.root, stage="accept", urgency="normal", amount=5, unit="work_hours"
    )
    case.refresh_from_db()
    assert case.stage_due_at == at(2026, 6, 3, 10, 0)
    assert report(city, "06001", start).stage_due_at == at(2026, 6, 3, 16, 0)
