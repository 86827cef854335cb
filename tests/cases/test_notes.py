"""Timeline notes: history beside the moves that changes neither state nor version."""

from __future__ import annotations

import pytest
from django.test import Client

from case_support import POINT_A, City
from yiwang.cases import actions
from yiwang.cases.actions.notes import Note, add_note, add_notes
from yiwang.cases.models import Case, CaseEvent
from yiwang.core.errors import ActionError, InvalidInput, NotFound


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


def test_a_note_is_on_the_timeline_and_an_open_form_stays_valid(
    city: City, hotline_case: Case
) -> None:
    operator = city.users["operator"]
    version = hotline_case.version
    event = add_note(operator, hotline_case.number, "摄像机再次告警 2 次。", {"alarms": 2})
    assert (event.transition, event.from_state, event.to_state, event.version) == (
        "note",
        "reported",
        "reported",
        version,
    )
    assert (event.actor_id, event.note, event.data) == (
        operator.pk,
        "摄像机再次告警 2 次。",
        {"alarms": 2},
    )
    stored = Case.objects.get(pk=hotline_case.pk)
    assert (stored.state, stored.version) == ("reported", version)
    # A move made with the version read before the note still applies.
    moved = actions.transition(operator, hotline_case.number, "to_verify", version=version)
    assert moved.version == version + 1
    client = Client()
    client.force_login(operator)
    html = client.get(f"/cases/{hotline_case.number}/").content.decode()
    assert 'data-event="note"' in html and "摄像机再次告警 2 次。" in html and "备注" in html
    timeline = client.get(f"/api/cases/{hotline_case.number}/timeline").json()["events"]
    assert [(e["transition"], e["transition_label"]) for e in timeline][1] == ("note", "备注")


def test_notes_are_refused_out_of_scope_blank_or_with_control_characters(
    city: City, hotline_case: Case
) -> None:
    with pytest.raises(NotFound):
        add_note(city.inspector_b, hotline_case.number, "看不到的案卷")
    for text, code in [
        ("  ", "required"),
        ("告警\x1b", "control_character"),
        ("长" * 2001, "too_long"),
    ]:
        with pytest.raises(ActionError) as caught:
            add_note(city.users["operator"], hotline_case.number, text)
        assert (caught.value.code, caught.value.field) == (code, "note")
    assert not CaseEvent.objects.filter(transition="note").exists()


def test_many_notes_are_all_or_nothing(city: City, hotline_case: Case) -> None:
    operator = city.users["operator"]
    with pytest.raises(NotFound):
        add_notes(operator, [Note(hotline_case.number, "一"), Note("S0600120261202999", "二")])
    assert not CaseEvent.objects.filter(transition="note").exists()
    events = add_notes(operator, [Note(hotline_case.number, "一"), Note(hotline_case.number, "二")])
    assert [e.note for e in events] == ["一", "二"]
