"""Two people acting on the same case at the same moment: exactly one wins.

Real threads and real commits (transaction=True); each thread has its own
database connection, closed when it ends. Runs on SQLite (WAL + IMMEDIATE
transactions) and on PostgreSQL (row lock + conditional version bump).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from case_steps import Loop, local, reload

from case_support import City
from concurrency import run_together
from yiwang.cases import actions
from yiwang.cases.models import Case, CaseEvent, State
from yiwang.core.errors import Conflict
from yiwang.org.models import User

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_dispatchers_dispatch_the_same_case_at_once(city: City, make_user: Any) -> None:
    loop = Loop(city)
    first = city.users["dispatcher"]
    second = make_user("dispatcher", "440304")
    for _ in range(3):
        case = loop.drive("pending_dispatch")
        version = case.version

        def dispatch(
            user: User, department_id: int, number: str = case.number, version: int = version
        ) -> Case:
            return actions.transition(
                user,
                number,
                "dispatch",
                version=version,
                inputs={"department_id": department_id},
            )

        results = run_together(
            [
                lambda: dispatch(first, city.municipal.pk),
                lambda: dispatch(second, city.office_a.pk),
            ]
        )
        wins = [r for r in results if isinstance(r, Case)]
        losses = [r for r in results if isinstance(r, Conflict)]
        assert (len(wins), len(losses)) == (1, 1), results
        assert losses[0].code == "stale_version"

        stored = reload(case)
        winner_department = wins[0].department_id
        assert (stored.state, stored.version, stored.department_id) == (
            State.DISPATCHED,
            version + 1,
            winner_department,
        )
        events = CaseEvent.objects.filter(case=case, transition="dispatch")
        assert events.count() == 1
        winner = first if winner_department == city.municipal.pk else second
        assert events.get().actor_id == winner.pk


@pytest.mark.parametrize("decision", ["approve_return", "deny_return"])
def test_handler_and_dispatcher_race_on_a_return_request(city: City, decision: str) -> None:
    """The handler asks to return a case while the dispatcher decides on that request.

    The handler sends 申请回退 with the version they see (v); the dispatcher's client sends
    its decision for the version the request creates (v + 1) at the same instant. Only two
    outcomes are serialisable: the request lands first and the decision applies on top of
    it, or the decision comes first and is refused as stale (the case is still v). Never a
    decision on a case that has no return request, never a lost request.
    """
    loop = Loop(city)
    handler, dispatcher = city.users["handler"], city.users["dispatcher"]
    decision_note = {"note": "同意" if decision == "approve_return" else "不同意回退"}
    for _ in range(3):
        case = loop.drive("handling")
        v = case.version
        results = run_together(
            [
                lambda n=case.number, v=v: actions.transition(
                    handler, n, "request_return", version=v, inputs={"note": "非本部门职责"}
                ),
                lambda n=case.number, v=v: actions.transition(
                    dispatcher, n, decision, version=v + 1, inputs=decision_note
                ),
            ]
        )
        request, answer = results
        assert isinstance(request, Case), results  # the handler's request is never lost
        stored = reload(case)
        moves = list(
            CaseEvent.objects.filter(case=case, version__gt=v)
            .order_by("version")
            .values_list("transition", "actor_id", "from_state")
        )
        if isinstance(answer, Case):
            expected_state = (
                State.PENDING_DISPATCH if decision == "approve_return" else State.HANDLING
            )
            expected_department = None if decision == "approve_return" else city.municipal.pk
            assert (stored.state, stored.version, stored.department_id) == (
                expected_state,
                v + 2,
                expected_department,
            )
            assert stored.return_count == (1 if decision == "approve_return" else 0)
            assert moves == [
                ("request_return", handler.pk, State.HANDLING),
                (decision, dispatcher.pk, State.RETURN_REQUESTED),
            ]
        else:
            assert isinstance(answer, Conflict), results
            assert answer.code == "stale_version"
            assert (stored.state, stored.version, stored.department_id) == (
                State.RETURN_REQUESTED,
                v + 1,
                city.municipal.pk,
            )
            assert stored.return_count == 0
            assert moves == [("request_return", handler.pk, State.HANDLING)]


def test_simultaneous_reports_get_distinct_consecutive_numbers(city: City, make_user: Any) -> None:
    now = local(2026, 3, 2, 9)
    inspectors = [city.users["inspector"], *(make_user("inspector", "440304001") for _ in range(3))]
    reports = [
        [
            actions.Report(
                kind="matter",
                type_code="06001",
                title=f"同时上报{i}-{j}",
                lon=114.051,
                lat=22.541,
            )
            for j in range(3)
        ]
        for i in range(len(inspectors))
    ]

    def job(user: User, batch: list[actions.Report]) -> Callable[[], list[Case]]:
        return lambda: actions.report_cases(user, batch, now=now)

    results = run_together(
        [job(user, batch) for user, batch in zip(inspectors, reports, strict=True)]
    )
    assert all(isinstance(r, list) for r in results), results
    numbers = sorted(c.number for batch in results for c in batch)
    assert numbers == [f"S0600120260302{n:05d}" for n in range(1, 13)]
    assert Case.objects.count() == 12
