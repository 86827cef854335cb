"""Plain timeline notes: recorded on the case's timeline, moving no state and no version."""

from __future__ import annotations

import pytest
from django.test import Client

from case_support import City
from yiwang.cases import actions
from yiwang.cases.actions.notes import Note, add_note, add_notes
from yiwang.cases.models import Case, CaseEvent
from yiwang.core.errors import ActionError, NotFound

pytestmark = pytest.mark.django_db


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
