"""Putting a case into the system: validation, locating, numbering, all-or-nothing bulk."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from case_steps import Loop, local

from case_support import POINT_A, POINT_B, City
from yiwang.cases import actions
from yiwang.cases.actions import Report
from yiwang.cases.models import Case, CaseEvent, CaseSequence, CaseStageRecord, Stage, State
from yiwang.core.errors import ActionError, InvalidInput, PermissionDenied

OUTSIDE_EVERY_GRID = (114.30, 22.70)


def report_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "kind": "matter",
        "type_code": "06001",
        "title": "人行道私搭乱建",
        "lon": POINT_A[0],
        "lat": POINT_A[1],
    }
    fields.update(overrides)
    return fields


def nothing_written() -> None:
    assert Case.objects.count() == 0
    assert CaseEvent.objects.count() == 0
    assert CaseStageRecord.objects.count() == 0
    assert not CaseSequence.objects.filter(value__gt=0).exists()


@pytest.mark.parametrize(
    ("overrides", "error", "code", "field"),
    [
        ({"type_code": "99999"}, InvalidInput, "unknown_type", "type_code"),
        # 06 (市容环境) exists only among the matters, not the components.
        ({"kind": "component", "type_code": "06001"}, InvalidInput, "unknown_type", "type_code"),
        ({"kind": "thing"}, InvalidInput, "bad_kind", "kind"),
        ({"title": "   "}, InvalidInput, "required", "title"),
        ({"title": "长" * 201}, InvalidInput, "too_long", "title"),
        ({"contact_phone": "138abc00000"}, InvalidInput, "bad_phone", "contact_phone"),
        ({"contact_phone": "+86 138"}, InvalidInput, "bad_phone", "contact_phone"),
        ({"lon": 200.0}, InvalidInput, "bad_coordinates", "lon"),
        ({"lat": float("nan")}, InvalidInput, "bad_coordinates", "lon"),
        ({"urgency": "whenever"}, InvalidInput, "bad_urgency", "urgency"),
        (
            {"lon": OUTSIDE_EVERY_GRID[0], "lat": OUTSIDE_EVERY_GRID[1]},
            InvalidInput,
            "not_in_grid",
            "lon",
        ),
        # The street-A inspector reporting in street B.
        ({"lon": POINT_B[0], "lat": POINT_B[1]}, PermissionDenied, "out_of_scope", "lon"),
        # Inspectors report what they see; hotline calls are registered by operators.
        ({"source": "hotline"}, PermissionDenied, "forbidden_source", None),
        ({"source": "carrier-pigeon"}, InvalidInput, "bad_source", "source"),
        ({"colour": "red"}, InvalidInput, "unknown_field", "colour"),
    ],
)
def test_inspector_report_refused(
    city: City, overrides: dict[str, Any], error: type[ActionError], code: str, field: str | None
) -> None:
    with pytest.raises(error) as caught:
        actions.report_case(city.users["inspector"], **report_fields(**overrides))
    assert caught.value.code == code
    assert caught.value.field == field
    nothing_written()


def test_missing_required_field(city: City) -> None:
    fields = report_fields()
    del fields["lat"]
    with pytest.raises(InvalidInput) as caught:
        actions.report_case(city.users["inspector"], **fields)
    assert (caught.value.code, caught.value.field) == ("required", "lat")
    nothing_written()


@pytest.mark.parametrize(
    ("role", "source", "code"),
    [
        ("operator", "inspector", "forbidden_source"),
        ("dispatcher", "public", "forbidden_role"),
        ("handler", "public", "forbidden_role"),
        ("leader", "hotline", "forbidden_role"),
    ],
)
def test_who_may_report_from_which_source(city: City, role: str, source: str, code: str) -> None:
    with pytest.raises(PermissionDenied) as caught:
        actions.report_case(city.users[role], **report_fields(source=source))
    assert caught.value.code == code
    nothing_written()


def test_operator_registers_hotline_and_public_reports_anywhere_in_the_district(
    city: City,
) -> None:
    operator = city.users["operator"]
    hotline = actions.report_case(
        operator,
        **report_fields(source="hotline", contact_phone="0755-8888-1234", contact_name="李女士"),
    )
    public = actions.report_case(
        operator, **report_fields(source="public", lon=POINT_B[0], lat=POINT_B[1])
    )
    assert (hotline.source, hotline.contact_phone, hotline.street.code) == (
        "hotline",
        "0755-8888-1234",
        "440304001",
    )
    assert (public.street.code, public.grid.code) == ("440304002", "440304002001001")


def test_a_report_is_located_and_starts_the_accept_clock(city: City) -> None:
    inspector = city.users["inspector"]
    case = actions.report_case(
        inspector,
        **report_fields(title="  占道经营  ", address=" 南园路 8 号 ", description="早市摊点"),
        now=local(2026, 3, 2, 9),
    )
    stored = Case.objects.select_related("grid", "community", "street").get(pk=case.pk)
    assert (stored.grid.code, stored.community.code, stored.street.code) == (
        "440304001001001",
        "440304001001",
        "440304001",
    )
    assert stored.district_code == "440304"
    assert stored.division_path == "440000/440300/440304/440304001/440304001001/"
    assert (stored.title, stored.address) == ("占道经营", "南园路 8 号")
    assert (stored.state, stored.version, stored.reporter_id) == (State.REPORTED, 1, inspector.pk)
    assert (stored.stage, stored.stage_due_at) == (Stage.ACCEPT, local(2026, 3, 2, 10))
    event = CaseEvent.objects.get(case=case)
    assert (event.transition, event.actor_id, event.to_state) == (
        "report",
        inspector.pk,
        "reported",
    )


def test_deadline_of_a_weekend_report_depends_on_urgency(city: City) -> None:
    saturday = local(2026, 3, 7, 10)
    normal = actions.report_case(city.users["inspector"], **report_fields(), now=saturday)
    urgent = actions.report_case(
        city.users["inspector"], **report_fields(urgency="urgent"), now=saturday
    )
    # 1 工作时 waits for Monday morning; half an hour on the wall clock does not.
    assert normal.stage_due_at == local(2026, 3, 9, 9)
    assert urgent.stage_due_at == local(2026, 3, 7, 10, 30)


def test_numbers_carry_kind_type_shanghai_date_and_a_daily_sequence(city: City) -> None:
    inspector = city.users["inspector"]
    late_evening_utc = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # 07:30 on the 25th in Shanghai
    before_midnight_utc = datetime(2026, 11, 24, 15, 59, tzinfo=UTC)  # 23:59 on the 24th

    a = actions.report_case(inspector, **report_fields(), now=before_midnight_utc)
    b = actions.report_case(inspector, **report_fields(), now=late_evening_utc)
    c = actions.report_case(
        inspector, **report_fields(kind="component", type_code="01001"), now=late_evening_utc
    )
    d = actions.report_case(inspector, **report_fields(), now=before_midnight_utc)
    assert [x.number for x in (a, b, c, d)] == [
        "S060012026112400001",
        "S060012026112500001",
        "B010012026112500002",
        "S060012026112400002",
    ]


def test_bulk_report_numbers_are_consecutive_and_unique(city: City) -> None:
    now = local(2026, 3, 2, 9)
    first = actions.report_case(city.users["inspector"], **report_fields(), now=now)
    batch = actions.report_cases(
        city.users["operator"],
        [
            Report(**report_fields(source="public", title=f"市民反映{i}"))  # type: ignore[arg-type]
            for i in range(5)
        ],
        now=now,
    )
    assert first.number == "S060012026030200001"
    assert [c.number for c in batch] == [f"S060012026030200{n:03d}" for n in range(2, 7)]
    assert Case.objects.filter(source="public").count() == 5
    assert CaseEvent.objects.filter(transition="report").count() == 6
    assert CaseStageRecord.objects.filter(stage=Stage.ACCEPT).count() == 6


@pytest.mark.parametrize(
    ("bad", "error", "code", "field"),
    [
        (
            {"lon": OUTSIDE_EVERY_GRID[0], "lat": OUTSIDE_EVERY_GRID[1]},
            InvalidInput,
            "not_in_grid",
            "reports[2].lon",
        ),
        (
            {"lon": POINT_B[0], "lat": POINT_B[1]},
            PermissionDenied,
            "out_of_scope",
            "reports[2].lon",
        ),
        ({"type_code": "99999"}, InvalidInput, "unknown_type", "reports[2].type_code"),
        ({"title": ""}, InvalidInput, "required", "reports[2].title"),
    ],
)
def test_bulk_report_is_all_or_nothing(
    city: City, bad: dict[str, Any], error: type[ActionError], code: str, field: str
) -> None:
    inspector = city.users["inspector"]
    now = local(2026, 3, 2, 9)
    reports = [Report(**report_fields(title=f"第{i}件")) for i in range(4)]  # type: ignore[arg-type]
    reports[2] = Report(**report_fields(**bad))  # type: ignore[arg-type]
    with pytest.raises(error) as caught:
        actions.report_cases(inspector, reports, now=now)
    assert (caught.value.code, caught.value.field) == (code, field)
    nothing_written()
    # The failed batch used no numbers: the next report is the day's first.
    again = actions.report_case(inspector, **report_fields(), now=now)
    assert again.number == "S060012026030200001"


def test_many_reports_over_days_never_share_a_number(city: City) -> None:
    loop = Loop(city)
    numbers = [
        loop.report(now=local(2026, 3, day, hour)).number for day in (2, 3) for hour in (0, 9, 23)
    ]
    assert len(set(numbers)) == len(numbers) == 6
    assert [n[-13:] for n in numbers] == [
        "2026030200001",
        "2026030200002",
        "2026030200003",
        "2026030300001",
        "2026030300002",
        "2026030300003",
    ]
