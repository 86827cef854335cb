"""Timeline notes: history beside the moves that changes neither state nor version."""

from __future__ import annotations

import pytest
from django.test import Client

from case_support import POINT_A, City
from yiwang.cases import actions
from yiwang.cases.actions.notes import add_note
from yiwang.cases.models import Case, CaseEvent
from yiwang.core.errors import InvalidInput, NotFound


def _reported(city: City) -> Case:
    return actions.report_case(
        city.users["inspector"],
        kind="matter",
        type_code="06001",
        title="人行道私搭乱建",
        lon=POINT_A[0],
        lat=POINT_A[1],
    )


@pytest.mark.django_db
def test_a_note_is_on_the_timeline_and_moves_nothing(city: City) -> None:
    case = _reported(city)
    event = add_note(
        city.users["operator"], case.number, "热线工单内容已更新：地址", {"changed": ["address"]}
    )
    case.refresh_from_db()
    assert (case.state, case.version) == ("reported", 1)
    assert (event.transition, event.from_state, event.to_state) == ("note", "reported", "reported")
    assert event.data == {"changed": ["address"]}
    # The next move still expects version 1: the note did not consume it.
    actions.transition(city.users["operator"], case.number, "accept", version=1)
    client = Client()
    client.force_login(city.users["operator"])
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert "热线工单内容已更新：地址" in page
    assert 'data-event="note"' in page


@pytest.mark.django_db
def test_a_note_is_refused_when_blank_control_characters_or_out_of_scope(city: City) -> None:
    case = _reported(city)
    with pytest.raises(InvalidInput) as blank:
        add_note(city.users["operator"], case.number, "   ")
    assert blank.value.field == "note"
    with pytest.raises(InvalidInput) as control:
        add_note(city.users["operator"], case.number, "a\x1bb")
    assert control.value.code == "control_character"
    # Street B's inspector does not see street A's case: "not found", not "forbidden".
    with pytest.raises(NotFound):
        add_note(city.inspector_b, case.number, "看不到")
    assert CaseEvent.objects.filter(case=case, transition="note").count() == 0
