"""Each person's worklists hold exactly the cases waiting on them, and stay cheap to show."""

from __future__ import annotations

from typing import Any

import pytest
from case_steps import PATHS, Loop, local
from django.db import connection
from django.test.utils import CaptureQueriesContext

from case_support import POINT_B, City
from yiwang.cases import actions, deadlines, queries
from yiwang.cases.engine import allowed_transitions
from yiwang.cases.models import Case
from yiwang.core.errors import NotFound
from yiwang.org.models import User

# Every path of PATHS gives one case; a few more are added by `board`.
EXPECTED: dict[str, dict[str, set[str]]] = {
    "operator": {
        "to_accept": {"reported", "reported_public", "b_reported", "merge_target"},
        "to_send_verify": {"pending_verify"},
        "to_send_check": {"handled"},
    },
    "shift_lead": {
        "to_register": {"pending_register"},
        "to_close": {"pending_close"},
        "void_requests": {
            "void_requested",
            "void_requested_reported",
            "void_requested_pending_verify",
            "void_requested_verify_reject",
        },
    },
    "dispatcher": {
        "to_dispatch": {"pending_dispatch"},
        "return_requests": {"return_requested", "return_requested_dispatched"},
        "extension_requests": {"extension_requested"},
        "suspend_requests": {"suspend_requested"},
        "suspended": {"suspended"},
    },
    "handler": {
        "to_handle": {"dispatched", "handling"},
        "my_requests": {
            "return_requested",
            "return_requested_dispatched",
            "extension_requested",
            "suspend_requested",
        },
    },
    "handler_office_a": {"to_handle": {"office_a_dispatched"}, "my_requests": set()},
    "inspector": {"verify_tasks": {"verifying"}, "check_tasks": {"checking"}},
    "colleague": {"verify_tasks": {"colleague_verifying"}, "check_tasks": set()},
    "inspector_b": {"verify_tasks": set(), "check_tasks": set()},
}
FINAL = {"voided", "closed", "merged"}


@pytest.fixture
def board(city: City, make_user: Any) -> tuple[dict[str, Case], dict[str, User]]:
    """One case per path, plus: a street-B report, a case at the street office, and a
    verification given to another inspector of street A."""
    loop = Loop(city)
    made = {key: loop.drive(key) for key in PATHS}
    assert loop.merge_target is not None  # the case "merged" was merged into
    made["merge_target"] = loop.merge_target
    made["b_reported"] = loop.report(by=city.inspector_b, point=POINT_B)
    office = loop.drive("pending_dispatch")
    made["office_a_dispatched"] = loop.step(office, "dispatch", department_id=city.office_a.pk)
    colleague = make_user("inspector", "440304001")
    pending = loop.drive("pending_verify")
    made["colleague_verifying"] = loop.step(pending, "send_verify", inspector_id=colleague.pk)
    people = {
        **city.users,
        "handler_office_a": city.handler_office_a,
        "colleague": colleague,
        "inspector_b": city.inspector_b,
    }
    return made, people


def names(made: dict[str, Case], qs: Any) -> set[str]:
    by_number = {c.number: key for key, c in made.items()}
    return {by_number[c.number] for c in qs}


@pytest.mark.parametrize("person", sorted(EXPECTED))
def test_worklists_hold_exactly_the_cases_waiting(
    board: tuple[dict[str, Case], dict[str, User]], person: str
) -> None:
    made, people = board
    user = people[person]
    expected = EXPECTED[person]
    assert [w.key for w in queries.worklists_for(user)] == list(expected)
    counts = queries.worklist_counts(user)
    for key, cases in expected.items():
        assert names(made, queries.worklist(user, key)) == cases, key
        assert counts[key] == len(cases), key


def test_leader_sees_every_open_case_and_can_do_nothing(
    board: tuple[dict[str, Case], dict[str, User]],
) -> None:
    made, people = board
    leader = people["leader"]
    assert [w.key for w in queries.worklists_for(leader)] == ["open_cases"]
    open_cases = list(queries.worklist(leader, "open_cases"))
    assert names(made, open_cases) == set(made) - FINAL
    for case in open_cases:
        assert allowed_transitions(leader, case) == []


def test_someone_elses_worklist_is_not_found(
    board: tuple[dict[str, Case], dict[str, User]],
) -> None:
    _, people = board
    for person, key in (
        ("inspector", "to_dispatch"),
        ("handler", "to_close"),
        ("leader", "to_accept"),
        ("operator", "no_such_list"),
    ):
        with pytest.raises(NotFound):
            queries.worklist(people[person], key)


def test_worklist_lists_the_most_urgent_first(city: City) -> None:
    loop = Loop(city)
    late = loop.report(now=local(2026, 3, 2, 11))  # due 12:00
    early = loop.report(now=local(2026, 3, 2, 9))  # due 10:00
    urgent = loop.report(now=local(2026, 3, 2, 10), urgency="urgent")  # due 10:30 wall clock
    got = [c.number for c in queries.worklist(city.users["operator"], "to_accept")]
    assert got == [early.number, urgent.number, late.number]


# ---- query counts do not grow with the number of rows ----------------------------------------


CODES = ("06001", "06002", "01001")


def _dispatched(loop: Loop, city: City, n: int) -> None:
    batch = actions.report_cases(
        city.users["inspector"],
        [
            actions.Report(
                kind="matter", type_code=CODES[i % 3], title=f"批量{i}", lon=114.051, lat=22.541
            )
            for i in range(n)
        ],
    )
    for i, case in enumerate(batch):
        for name in ("accept", "register", "dispatch"):
            case = loop.step(case, name)
        if i % 2:
            loop.step(case, "accept_task")


def _show(rows: list[Case]) -> list[tuple[Any, ...]]:
    """What a list page (and an API list item) renders for each row."""
    cal = deadlines.calendar()
    now = local(2026, 3, 2, 12)
    return [
        (
            c.number,
            c.type.name,
            c.grid.code,
            c.street.name,
            c.department.name if c.department else "",
            queries.light(c, now, cal=cal),
        )
        for c in rows
    ]


def _queries_for(fn: Any) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        rows = fn()
    return len(ctx.captured_queries), len(rows)


@pytest.mark.parametrize(
    ("person", "listing"),
    [
        ("handler", lambda u: _show(list(queries.worklist(u, "to_handle")))),
        ("leader", lambda u: _show(list(queries.worklist(u, "open_cases")))),
        ("dispatcher", lambda u: _show(list(queries.search(u, queries.SearchFilters())[:50]))),
        (
            "leader",
            lambda u: _show(
                list(queries.search(u, queries.SearchFilters(state="dispatched", q="批量"))[:50])
            ),
        ),
        ("leader", lambda u: list(queries.worklist_counts(u).items())),
        ("dispatcher", lambda u: list(queries.worklist_counts(u).items())),
    ],
    ids=["handler-to_handle", "leader-open", "search-all", "search-filtered", "counts", "counts2"],
)
def test_query_count_does_not_grow_with_rows(
    city: City, person: str, listing: Any, request: Any
) -> None:
    loop = Loop(city)
    user = city.users[person]
    _dispatched(loop, city, 3)
    deadlines.calendar()  # the calendar is cached per process, built once
    few, rows_few = _queries_for(lambda: listing(user))
    _dispatched(loop, city, 27)
    many, rows_many = _queries_for(lambda: listing(user))
    # Half of the cases were taken by the handler; the filtered search wants the others.
    expected_rows = {"search-filtered": (2, 16), "counts": (1, 1), "counts2": (5, 5)}
    assert (rows_few, rows_many) == expected_rows.get(request.node.callspec.id, (3, 30))
    assert many == few
    assert many <= 12
