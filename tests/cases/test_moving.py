"""Several moves of a case in one unit of work (`actions.moving`) write exactly what the
same moves made one by one through `actions.transition` write: case columns, stage
records (deadlines, pauses, extensions) and timeline rows. The one-by-one path is the
reference here; its own results are pinned by the deadline vectors and loop tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from case_steps import ACTOR_OF, Loop, local

from case_support import City
from yiwang.cases import actions
from yiwang.cases.models import Case, CaseEvent, CaseStageRecord
from yiwang.core.errors import ActionError, Conflict

pytestmark = pytest.mark.django_db

# Through a suspension, an extension, a failed check (rework) and the close.
HISTORY = [
    "accept",
    "register",
    "dispatch",
    "accept_task",
    "request_suspend",
    "approve_suspend",
    "resume",
    "request_extension",
    "approve_extension",
    "finish",
    "send_check",
    "check_fail",
    "accept_task",
    "finish",
    "send_check",
    "check_pass",
    "close",
]
START = local(2026, 9, 28, 9, 10)  # a Monday, the week before National Day


@pytest.fixture
def loop(city: City) -> Loop:
    return Loop(city)


def _times() -> list[datetime]:
    # Spread over days so that stages cross nights, a weekend and the holiday.
    return [START + timedelta(hours=7 * i + 1, minutes=13 * i) for i in range(len(HISTORY))]


def _rows(case: Case) -> dict[str, Any]:
    row = dict(Case.objects.filter(pk=case.pk).values().get())
    for key in ("id", "number", "title", "updated_at", "created_at"):
        row.pop(key, None)
    skip = {"id", "case_id"}
    records = [
        {k: v for k, v in r.items() if k not in skip}
        for r in CaseStageRecord.objects.filter(case=case).order_by("id").values()
    ]
    events = [
        {k: v for k, v in e.items() if k not in skip}
        for e in CaseEvent.objects.filter(case=case).order_by("id").values()
    ]
    return {"case": row, "records": records, "events": events}


def test_a_history_in_one_unit_of_work_writes_what_single_moves_write(
    city: City, loop: Loop
) -> None:
    one_by_one = loop.report(now=START)
    for name, at in zip(HISTORY, _times(), strict=True):
        one_by_one = loop.step(one_by_one, name, now=at)

    together = loop.report(now=START)
    with actions.moving(together) as moves:
        for name, at in zip(HISTORY, _times(), strict=True):
            actor = loop.user(ACTOR_OF[name])
            together = moves.apply(
                actor, name, version=together.version, inputs=loop.inputs(name), now=at
            )

    expected, got = _rows(one_by_one), _rows(together)
    assert got["records"] == expected["records"]
    assert got["events"] == expected["events"]
    assert got["case"] == expected["case"]
    assert got["case"]["state"] == "closed" and got["case"]["rework_count"] == 1
    assert len(got["events"]) == len(HISTORY) + 1


def test_a_refused_move_writes_nothing_of_the_unit(city: City, loop: Loop) -> None:
    case = loop.report()
    before = _rows(case)
    with pytest.raises(ActionError) as refused, actions.moving(case.number) as moves:
        case = moves.apply(loop.user("operator"), "accept", version=case.version)
        case = moves.apply(loop.user("shift_lead"), "register", version=case.version)
        # Only a dispatcher may dispatch.
        moves.apply(
            loop.user("operator"),
            "dispatch",
            version=case.version,
            inputs={"department_id": city.municipal.pk},
        )
    assert refused.value.code == "forbidden_role"
    fresh = Case.objects.get(pk=case.pk)
    assert _rows(fresh) == before


def test_a_case_in_hand_that_changed_meanwhile_is_read_again(city: City, loop: Loop) -> None:
    stale = loop.report()
    loop.step(Case.objects.get(pk=stale.pk), "accept")  # someone else moved it on
    with pytest.raises(Conflict) as conflict, actions.moving(stale) as moves:
        moves.apply(loop.user("operator"), "accept", version=stale.version)
    assert conflict.value.code == "stale_version"
    assert Case.objects.get(pk=stale.pk).state == "pending_register"
