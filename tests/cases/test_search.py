"""Case search: every filter, days in Asia/Shanghai, overdue as of a given moment, sorting."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from case_steps import Loop, local

from case_support import POINT_B, City
from yiwang.cases import queries
from yiwang.cases.models import Case
from yiwang.cases.queries import SearchFilters
from yiwang.core.errors import InvalidInput


@pytest.fixture
def cases(city: City) -> dict[str, Case]:
    loop = Loop(city)
    made: dict[str, Case] = {}
    made["morning"] = loop.report(now=local(2026, 3, 2, 9), address="南园路 1 号 Block A")
    # 00:30 on the 3rd in Shanghai is still the 2nd in UTC.
    made["after_midnight"] = loop.report(type_code="06002", now=local(2026, 3, 3, 0, 30))
    # 23:50 on the 2nd in Shanghai.
    made["late_evening"] = loop.report(
        kind="component", type_code="01001", now=local(2026, 3, 2, 23, 50), title="井盖破损"
    )
    made["street_b"] = loop.report(source="public", point=POINT_B, now=local(2026, 3, 4, 10))
    hotline = loop.report(source="hotline", now=local(2026, 3, 4, 11))
    for name, at in (
        ("to_verify", local(2026, 3, 4, 11, 10)),
        ("send_verify", local(2026, 3, 4, 11, 20)),
        ("verify_confirm", local(2026, 3, 4, 14)),
        ("register", local(2026, 3, 4, 14, 10)),
        ("dispatch", local(2026, 3, 4, 14, 20)),  # 4 工作时: due 18:20 → Thu 08:20
    ):
        hotline = loop.step(hotline, name, now=at)
    made["hotline_municipal"] = hotline
    office = loop.report(now=local(2026, 3, 5, 9))
    for name, at in (("accept", local(2026, 3, 5, 9, 5)), ("register", local(2026, 3, 5, 9, 10))):
        office = loop.step(office, name, now=at)
    made["office_a"] = loop.step(
        office, "dispatch", now=local(2026, 3, 5, 9, 15), department_id=city.office_a.pk
    )
    voided = loop.report(now=local(2026, 3, 2, 8))
    made["voided"] = loop.step(voided, "void", now=local(2026, 3, 2, 8, 5))
    return made


def found(user: Any, cases: dict[str, Case], **filters: Any) -> list[str]:
    by_number = {c.number: key for key, c in cases.items()}
    now = filters.pop("now", None)
    return [by_number[c.number] for c in queries.search(user, SearchFilters(**filters), now=now)]


def test_filters(city: City, cases: dict[str, Case]) -> None:
    leader = city.users["leader"]

    def keys(**filters: Any) -> set[str]:
        return set(found(leader, cases, **filters))

    assert keys() == set(cases)
    assert keys(number=cases["morning"].number) == {"morning"}
    # A prefix, typed in lower case: every 06001 matter of 2 March.
    assert keys(number="s0600120260302") == {"morning", "voided"}
    assert keys(type_code="06002") == {"after_midnight"}
    assert keys(kind="component") == {"late_evening"}
    assert keys(state="dispatched") == {"hotline_municipal", "office_a"}
    assert keys(state="voided") == {"voided"}
    assert keys(grid="440304002001001") == {"street_b"}
    assert keys(street="440304002") == {"street_b"}
    assert keys(street="440304001") == set(cases) - {"street_b"}
    assert keys(department=city.municipal.pk) == {"hotline_municipal"}
    assert keys(department=city.office_a.pk) == {"office_a"}
    assert keys(source="hotline") == {"hotline_municipal"}
    assert keys(source="public") == {"street_b"}
    assert keys(q="南园路") == {"morning"}
    assert keys(q="井盖") == {"late_evening"}
    assert keys(q="block a") == {"morning"}  # letters match whatever their case
    assert keys(state="reported", street="440304001") == {
        "morning",
        "after_midnight",
        "late_evening",
    }
    assert keys(number="NOPE") == set()


def test_date_range_counts_shanghai_days(city: City, cases: dict[str, Case]) -> None:
    leader = city.users["leader"]

    def keys(start: date | None, end: date | None) -> set[str]:
        return set(found(leader, cases, date_from=start, date_to=end))

    second, third, fourth = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
    assert keys(second, second) == {"morning", "late_evening", "voided"}
    assert keys(third, third) == {"after_midnight"}
    assert keys(fourth, None) == {"street_b", "hotline_municipal", "office_a"}
    assert keys(None, third) == {"morning", "late_evening", "voided", "after_midnight"}
    with pytest.raises(InvalidInput) as caught:
        keys(fourth, second)
    assert caught.value.code == "bad_date_range"


def test_overdue_only_as_of_a_given_moment(city: City, cases: dict[str, Case]) -> None:
    leader = city.users["leader"]

    def overdue(at: Any) -> set[str]:
        return set(found(leader, cases, overdue=True, now=at))

    # Monday 10:30: the 09:00 report should have been accepted by 10:00; the voided one is done.
    assert overdue(local(2026, 3, 2, 10, 30)) == {"morning"}
    # Tuesday 09:30: the 23:50 report was due at 09:00, the 00:30 one too.
    assert overdue(local(2026, 3, 3, 9, 30)) == {"morning", "late_evening", "after_midnight"}
    # Thursday 08:30: the hotline case's handling time (till 08:20) has run out as well;
    # the street-B report of Wednesday 10:00 was due at 11:00.
    assert overdue(local(2026, 3, 5, 8, 30)) == {
        "morning",
        "late_evening",
        "after_midnight",
        "street_b",
        "hotline_municipal",
    }
    assert overdue(local(2026, 3, 1, 12)) == set()


def test_sorting(city: City, cases: dict[str, Case]) -> None:
    leader = city.users["leader"]
    by_time = ["voided", "morning", "late_evening", "after_midnight", "street_b"]
    by_time += ["hotline_municipal", "office_a"]
    assert found(leader, cases) == by_time[::-1]  # newest first by default
    assert found(leader, cases, sort="-reported") == by_time
    assert found(leader, cases, sort="number") == sorted(cases, key=lambda k: cases[k].number)
    # Earliest deadline first; the voided case has none and comes last.
    due_order = found(leader, cases, sort="due")
    assert due_order[0] == "morning"  # due Mon 10:00
    assert set(due_order[1:3]) == {"late_evening", "after_midnight"}  # both due Tue 09:00
    assert due_order[3:] == ["street_b", "hotline_municipal", "office_a", "voided"]
    assert found(leader, cases, sort="-due")[:2] == ["office_a", "hotline_municipal"]
    assert found(leader, cases, sort="-due")[-1] == "voided"
    with pytest.raises(InvalidInput) as caught:
        found(leader, cases, sort="random")
    assert caught.value.code == "bad_sort"


def test_unknown_state_is_refused(city: City, cases: dict[str, Case]) -> None:
    with pytest.raises(InvalidInput) as caught:
        found(city.users["leader"], cases, state="lost")
    assert (caught.value.code, caught.value.field) == ("bad_state", "state")


def test_search_stays_within_the_users_area(city: City, cases: dict[str, Case]) -> None:
    assert set(found(city.users["inspector"], cases)) == set(cases) - {"street_b"}
    assert found(city.inspector_b, cases) == ["street_b"]
    assert found(city.inspector_b, cases, number=cases["morning"].number) == []
    assert set(found(city.handler_office_a, cases, source="public")) == set()
