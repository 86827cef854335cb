"""Whole stories of a case, as the people of the command centre and departments live them.

Times are Asia/Shanghai wall-clock moments in the first week of March 2026 (no
holidays; Mon 2 … Fri 6, weekend 7–8). Deadlines are worked out by hand from the
shipped limits: 06001 私搭乱建 handles in 4 工作时, 01001 供水井盖异常 in 3 工作日,
accept/register/dispatch 1 工作时, verify 2 工作时, check 4 工作时, close 2 工作时;
working hours 08:00–12:00 and 14:00–18:00.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from case_steps import Loop, local, reload

from case_support import City
from yiwang.cases import deadlines, queries
from yiwang.cases.engine import allowed_transitions
from yiwang.cases.models import CaseEvent, CaseStageRecord, Stage, State
from yiwang.catalog import actions as catalog_actions
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.core.workcalendar import Light

MON, TUE, WED, THU = 2, 3, 4, 5


def mar(day: int, hour: int, minute: int = 0) -> datetime:
    return local(2026, 3, day, hour, minute)


def stages(case: Any) -> list[tuple[str, datetime, datetime, datetime | None]]:
    return [(r.stage, r.started_at, r.due_at, r.finished_at) for r in queries.stage_records(case)]


def moves(case: Any) -> list[str]:
    return list(
        CaseEvent.objects.filter(case=case)
        .order_by("at", "id")
        .values_list("transition", flat=True)
    )


def test_inspector_report_to_close_with_timeline_and_stages(city: City) -> None:
    loop, u = Loop(city), city.users
    case = loop.report(now=mar(MON, 9), description="占道搭建铁皮棚", address="南园路 1 号")
    assert case.number.startswith("S0600120260302")
    assert (case.state, case.stage, case.stage_due_at) == (
        State.REPORTED,
        Stage.ACCEPT,
        mar(MON, 10),
    )

    case = loop.step(case, "accept", now=mar(MON, 9, 30), note="情况清楚")
    case = loop.step(case, "register", now=mar(MON, 10))
    case = loop.step(case, "dispatch", now=mar(MON, 10, 30), department_id=city.municipal.pk)
    assert case.handle_due_at == mar(MON, 16, 30)  # 1.5 h before lunch + 2.5 h after
    case = loop.step(case, "accept_task", now=mar(MON, 11))
    case = loop.step(case, "finish", now=mar(MON, 15), result="已拆除铁皮棚")
    assert case.stage_due_at == mar(TUE, 9)  # 3 h until 18:00, 1 h next morning
    case = loop.step(case, "send_check", now=mar(MON, 15, 10), inspector_id=u["inspector"].pk)
    case = loop.step(case, "check_pass", now=mar(TUE, 8, 30), note="现场已恢复")
    case = loop.step(case, "close", now=mar(TUE, 9))

    stored = reload(case)
    assert stored.state == State.CLOSED
    assert (stored.registered_at, stored.dispatched_at) == (mar(MON, 10), mar(MON, 10, 30))
    assert (stored.handled_at, stored.closed_at) == (mar(MON, 15), mar(TUE, 9))
    assert stored.result == "已拆除铁皮棚"
    assert (stored.stage, stored.stage_due_at, stored.assignee_id) == ("", None, None)
    assert stored.version == 9  # reported at 1, then eight moves

    assert stages(stored) == [
        (Stage.ACCEPT, mar(MON, 9), mar(MON, 10), mar(MON, 9, 30)),
        (Stage.REGISTER, mar(MON, 9, 30), mar(MON, 10, 30), mar(MON, 10)),
        (Stage.DISPATCH, mar(MON, 10), mar(MON, 11), mar(MON, 10, 30)),
        (Stage.HANDLE, mar(MON, 10, 30), mar(MON, 16, 30), mar(MON, 15)),
        (Stage.CHECK, mar(MON, 15), mar(TUE, 9), mar(TUE, 8, 30)),
        (Stage.CLOSE, mar(TUE, 8, 30), mar(TUE, 10, 30), mar(TUE, 9)),
    ]
    assert all(r.on_time for r in queries.stage_records(stored))

    timeline = queries.timeline(u["leader"], case.number)
    assert [(e.transition, e.actor, e.from_state, e.to_state, e.at) for e in timeline] == [
        ("report", u["inspector"], "", State.REPORTED, mar(MON, 9)),
        ("accept", u["operator"], State.REPORTED, State.PENDING_REGISTER, mar(MON, 9, 30)),
        ("register", u["shift_lead"], State.PENDING_REGISTER, State.PENDING_DISPATCH, mar(MON, 10)),
        ("dispatch", u["dispatcher"], State.PENDING_DISPATCH, State.DISPATCHED, mar(MON, 10, 30)),
        ("accept_task", u["handler"], State.DISPATCHED, State.HANDLING, mar(MON, 11)),
        ("finish", u["handler"], State.HANDLING, State.HANDLED, mar(MON, 15)),
        ("send_check", u["operator"], State.HANDLED, State.CHECKING, mar(MON, 15, 10)),
        ("check_pass", u["inspector"], State.CHECKING, State.PENDING_CLOSE, mar(TUE, 8, 30)),
        ("close", u["shift_lead"], State.PENDING_CLOSE, State.CLOSED, mar(TUE, 9)),
    ]
    assert [e.version for e in timeline] == list(range(1, 10))
    assert timeline[1].note == "情况清楚"
    assert timeline[7].note == "现场已恢复"
    assert timeline[3].data["department"] == city.municipal.name
    assert timeline[6].data["inspector"] == str(u["inspector"])
    # A person outside the street does not see the case at all.
    with pytest.raises(NotFound):
        queries.timeline(city.inspector_b, case.number)
    for key in ("operator", "shift_lead", "dispatcher", "leader", "inspector", "handler"):
        assert allowed_transitions(u[key], stored) == []


def test_public_report_is_verified_before_registration(city: City) -> None:
    loop, u = Loop(city), city.users
    case = loop.report(
        source="public", now=mar(MON, 9), contact_name="王先生", contact_phone="13800138000"
    )
    assert (case.reporter_id, case.source) == (u["operator"].pk, "public")
    case = loop.step(case, "to_verify", now=mar(MON, 9, 10))
    assert (case.stage, case.stage_due_at) == (Stage.VERIFY, mar(MON, 11, 10))
    case = loop.step(case, "send_verify", now=mar(MON, 9, 20), inspector_id=u["inspector"].pk)
    assert case.assignee_id == u["inspector"].pk
    assert [c.number for c in queries.worklist(u["inspector"], "verify_tasks")] == [case.number]
    case = loop.step(case, "verify_confirm", now=mar(MON, 10), note="属实")
    assert (case.state, case.assignee_id) == (State.PENDING_REGISTER, None)
    assert list(queries.worklist(u["inspector"], "verify_tasks")) == []
    for name, at in (
        ("register", mar(MON, 10, 30)),
        ("dispatch", mar(MON, 11)),
        ("accept_task", mar(MON, 11, 30)),
        ("finish", mar(MON, 14, 30)),
        ("send_check", mar(MON, 15)),
        ("check_pass", mar(MON, 16)),
        ("close", mar(MON, 17)),
    ):
        case = loop.step(case, name, now=at)
    assert reload(case).state == State.CLOSED
    assert [s[0] for s in stages(case)] == [
        Stage.ACCEPT,
        Stage.VERIFY,
        Stage.REGISTER,
        Stage.DISPATCH,
        Stage.HANDLE,
        Stage.CHECK,
        Stage.CLOSE,
    ]
    assert stages(case)[1] == (Stage.VERIFY, mar(MON, 9, 10), mar(MON, 11, 10), mar(MON, 10))
    assert moves(case) == [
        "report",
        "to_verify",
        "send_verify",
        "verify_confirm",
        "register",
        "dispatch",
        "accept_task",
        "finish",
        "send_check",
        "check_pass",
        "close",
    ]
    # Only the people who call reporters back see the whole phone number.
    assert queries.contact_phone_for(u["operator"], case) == "13800138000"
    assert queries.contact_phone_for(u["handler"], case) == "138****8000"


def _to_check(loop: Loop, case: Any, at: datetime) -> Any:
    case = loop.step(case, "accept_task", now=at)
    case = loop.step(case, "finish", now=at)
    return loop.step(case, "send_check", now=at)


def test_rework_twice_then_pass_and_close(city: City) -> None:
    loop, u = Loop(city), city.users
    case = loop.report(now=mar(MON, 9))
    for name in ("accept", "register", "dispatch"):
        case = loop.step(case, name, now=mar(MON, 9, 30))
    case = _to_check(loop, case, mar(MON, 10))

    case = loop.step(case, "check_fail", now=mar(TUE, 10), note="棚子仍在")
    assert (case.state, case.rework_count) == (State.DISPATCHED, 1)
    assert (case.department_id, case.assignee_id) == (city.municipal.pk, None)
    # A fresh handling clock: 2 h before lunch, 2 h after.
    assert (case.stage, case.handle_due_at, case.dispatched_at) == (
        Stage.HANDLE,
        mar(TUE, 16),
        mar(TUE, 10),
    )
    assert [c.number for c in queries.worklist(u["handler"], "to_handle")] == [case.number]
    assert list(queries.worklist(u["inspector"], "check_tasks")) == []

    case = _to_check(loop, case, mar(TUE, 11))
    case = loop.step(case, "check_fail", now=mar(WED, 9), note="仍未清理干净")
    assert (case.state, case.rework_count) == (State.DISPATCHED, 2)

    case = _to_check(loop, case, mar(WED, 10))
    case = loop.step(case, "check_pass", now=mar(WED, 11))
    case = loop.step(case, "close", now=mar(WED, 11, 30))
    stored = reload(case)
    assert (stored.state, stored.rework_count, stored.return_count) == (State.CLOSED, 2, 0)
    handle_stages = [s for s in stages(stored) if s[0] == Stage.HANDLE]
    assert [s[1] for s in handle_stages] == [mar(MON, 9, 30), mar(TUE, 10), mar(WED, 9)]
    assert [e.note for e in CaseEvent.objects.filter(case=case, transition="check_fail")] == [
        "棚子仍在",
        "仍未清理干净",
    ]


def test_shift_lead_sends_back_for_rework_from_pending_close(city: City) -> None:
    loop, u = Loop(city), city.users
    case = loop.drive("pending_close")
    with pytest.raises(InvalidInput) as caught:
        loop.step(case, "rework", note="   ")
    assert caught.value.field == "note"
    case = loop.step(case, "rework", note="照片不清晰，重新处置")
    assert (case.state, case.rework_count, case.department_id) == (
        State.DISPATCHED,
        1,
        city.municipal.pk,
    )
    assert [c.number for c in queries.worklist(u["handler"], "to_handle")] == [case.number]
    assert list(queries.worklist(u["shift_lead"], "to_close")) == []
    case = loop.step(case, "accept_task")
    case = loop.step(case, "finish")
    case = loop.step(case, "send_check")
    case = loop.step(case, "check_pass")
    case = loop.step(case, "close")
    assert (reload(case).state, reload(case).rework_count) == (State.CLOSED, 1)


def test_return_and_dispatch_to_another_department(city: City) -> None:
    loop, u = Loop(city), city.users
    case = loop.drive("pending_dispatch")
    # Routing suggests the street's own office (no rule is set up).
    assert case.suggested_department_id == city.office_a.pk
    case = loop.step(case, "dispatch", department_id=city.municipal.pk)
    dispatch_event = CaseEvent.objects.filter(case=case, transition="dispatch").get()
    assert dispatch_event.data["overrode_suggestion"] is True
    case = loop.step(case, "accept_task")
    case = loop.step(case, "request_return", note="不属于本部门职责")
    assert [c.number for c in queries.worklist(u["dispatcher"], "return_requests")] == [case.number]
    assert [c.number for c in queries.worklist(u["handler"], "my_requests")] == [case.number]
    case = loop.step(case, "approve_return")
    assert (case.state, case.return_count, case.department_id, case.assignee_id) == (
        State.PENDING_DISPATCH,
        1,
        None,
        None,
    )
    assert [c.number for c in queries.worklist(u["dispatcher"], "to_dispatch")] == [case.number]
    assert list(queries.worklist(u["handler"], "to_handle")) == []

    case = loop.step(case, "dispatch", department_id=city.office_a.pk)
    assert case.department_id == city.office_a.pk
    assert (
        "overrode_suggestion"
        not in CaseEvent.objects.filter(case=case, transition="dispatch").last().data  # type: ignore[union-attr]
    )
    # The first department no longer holds it; the street office does.
    with pytest.raises(PermissionDenied) as caught:
        loop.step(case, "accept_task")
    assert caught.value.code == "not_holder"
    assert [c.number for c in queries.worklist(city.handler_office_a, "to_handle")] == [case.number]
    case = loop.step(case, "accept_task", by=city.handler_office_a)
    case = loop.step(case, "finish", by=city.handler_office_a, result="街道已清理")
    case = loop.step(case, "send_check")
    case = loop.step(case, "check_pass")
    case = loop.step(case, "close")
    stored = reload(case)
    assert (stored.state, stored.return_count, stored.department_id) == (
        State.CLOSED,
        1,
        city.office_a.pk,
    )
    assert moves(stored).count("dispatch") == 2


def _handling_01001(loop: Loop) -> Any:
    """A 供水井盖异常 case (3 工作日) dispatched Mon 10:30, taken at 11:00: due Thu 10:30."""
    case = loop.report(type_code="01001", now=mar(MON, 9))
    case = loop.step(case, "accept", now=mar(MON, 9, 30))
    case = loop.step(case, "register", now=mar(MON, 10))
    case = loop.step(case, "dispatch", now=mar(MON, 10, 30))
    case = loop.step(case, "accept_task", now=mar(MON, 11))
    assert (case.stage_due_at, case.handle_due_at) == (mar(THU, 10, 30), mar(THU, 10, 30))
    return case


def _open_handle_record(case: Any) -> CaseStageRecord:
    return CaseStageRecord.objects.get(case=case, stage=Stage.HANDLE, finished_at__isnull=True)


def test_extension_approved_moves_the_deadline_later(city: City) -> None:
    loop, u = Loop(city), city.users
    case = _handling_01001(loop)
    case = loop.step(
        case,
        "request_extension",
        now=mar(TUE, 9),
        amount="2",
        unit="work_days",
        note="需更换井座",
    )
    assert case.state == State.EXTENSION_REQUESTED
    assert [c.number for c in queries.worklist(u["dispatcher"], "extension_requests")] == [
        case.number
    ]
    case = loop.step(case, "approve_extension", now=mar(TUE, 10))
    # Thu 10:30 + 2 工作日 = Fri 10:30 + 1 working day across the weekend = Mon 9 10:30.
    later = local(2026, 3, 9, 10, 30)
    stored = reload(case)
    assert (stored.state, stored.extension_count) == (State.HANDLING, 1)
    assert (stored.stage_due_at, stored.handle_due_at) == (later, later)
    assert _open_handle_record(stored).due_at == later
    assert stored.pending_request == {}
    event = CaseEvent.objects.filter(case=case, transition="approve_extension").get()
    assert event.from_state == State.EXTENSION_REQUESTED and event.to_state == State.HANDLING
    assert datetime.fromisoformat(event.data["new_due"]) == later
    # Finishing on Friday is on time against the extended deadline, late against the old one.
    case = loop.step(stored, "finish", now=local(2026, 3, 6, 16))
    assert _handle_record(case).on_time is True


def _handle_record(case: Any) -> CaseStageRecord:
    return CaseStageRecord.objects.filter(case=case, stage=Stage.HANDLE).order_by("-id").first()  # type: ignore[return-value]


def test_extension_denied_keeps_the_deadline(city: City) -> None:
    loop = Loop(city)
    case = _handling_01001(loop)
    case = loop.step(case, "request_extension", now=mar(TUE, 9), amount="8", unit="hours", note="x")
    case = loop.step(case, "deny_extension", now=mar(TUE, 10), note="时限充足")
    stored = reload(case)
    assert (stored.state, stored.extension_count, stored.pending_request) == (State.HANDLING, 0, {})
    assert (stored.stage_due_at, stored.handle_due_at) == (mar(THU, 10, 30), mar(THU, 10, 30))
    assert _open_handle_record(stored).due_at == mar(THU, 10, 30)
    # Finishing on Friday is late.
    case = loop.step(stored, "finish", now=local(2026, 3, 6, 16))
    assert _handle_record(case).on_time is False


def test_suspend_stops_the_clock_and_resume_restarts_it_with_the_time_left(city: City) -> None:
    loop, u = Loop(city), city.users
    case = _handling_01001(loop)
    case = loop.step(case, "request_suspend", now=mar(TUE, 10), note="待管线单位配合")
    assert [c.number for c in queries.worklist(u["dispatcher"], "suspend_requests")] == [
        case.number
    ]
    case = loop.step(case, "approve_suspend", now=mar(TUE, 10, 30))
    stored = reload(case)
    assert stored.state == State.SUSPENDED
    assert stored.stage_due_at is None
    assert stored.stage_remaining_seconds == 16 * 3600  # Tue 10:30 → Thu 10:30: two working days
    assert queries.light(stored) is None
    assert [c.number for c in queries.worklist(u["dispatcher"], "suspended")] == [case.number]
    assert list(queries.worklist(u["handler"], "to_handle")) == []
    # While suspended the handler can do nothing with it.
    assert allowed_transitions(u["handler"], stored) == []

    case = loop.step(stored, "resume", now=local(2026, 3, 9, 14))
    stored = reload(case)
    # Mon 9 14:00 + 16 working hours: 4 h on Monday, 8 h on Tuesday, 4 h Wednesday morning.
    restored = local(2026, 3, 11, 12)
    assert (stored.state, stored.stage, stored.stage_due_at, stored.handle_due_at) == (
        State.HANDLING,
        Stage.HANDLE,
        restored,
        restored,
    )
    assert stored.stage_remaining_seconds is None
    record = _open_handle_record(stored)
    assert (record.due_at, record.paused_at) == (restored, None)
    # Tue 3 10:30 → Mon 9 14:00 on the wall clock.
    assert record.suspended_seconds == 6 * 86400 + 3.5 * 3600
    assert [c.number for c in queries.worklist(u["handler"], "to_handle")] == [case.number]

    # The light and the stage's times count only the time the clock ran: 8 working hours
    # before the suspension (Mon 10:30 → Tue 10:30), then the time since the resume.
    tue_9am = local(2026, 3, 10, 9)  # 8 + 4 (Mon afternoon) + 1 = 13 of 24 h: green
    assert queries.light(stored, tue_9am) is Light.GREEN
    assert queries.record_times(record, tue_9am, deadlines.calendar()) == (13 * 3600, 24 * 3600)
    assert queries.light(stored, local(2026, 3, 10, 17)) is Light.GREEN  # 19 h: under 80 %
    assert queries.light(stored, local(2026, 3, 10, 17, 30)) is Light.AMBER  # 19.5 h
    assert queries.light(stored, local(2026, 3, 11, 12, 1)) is Light.RED
    assert queries.record_light(record, tue_9am) is Light.GREEN


def test_suspension_denied_keeps_handling(city: City) -> None:
    loop = Loop(city)
    case = _handling_01001(loop)
    case = loop.step(case, "request_suspend", now=mar(TUE, 10))
    case = loop.step(case, "deny_suspend", now=mar(TUE, 10, 30))
    stored = reload(case)
    assert (stored.state, stored.stage_due_at) == (State.HANDLING, mar(THU, 10, 30))
    assert _open_handle_record(stored).paused_at is None


def test_void_by_request_approved(city: City) -> None:
    loop, u = Loop(city), city.users
    case = loop.drive("pending_register")
    case = loop.step(case, "request_void", note="重复上报")
    assert [c.number for c in queries.worklist(u["shift_lead"], "void_requests")] == [case.number]
    assert list(queries.worklist(u["shift_lead"], "to_register")) == []
    case = loop.step(case, "approve_void")
    stored = reload(case)
    assert (stored.state, stored.stage, stored.stage_due_at) == (State.VOIDED, "", None)
    assert CaseStageRecord.objects.filter(case=case, finished_at__isnull=True).count() == 0
    for key in ("operator", "shift_lead", "dispatcher", "leader"):
        assert all(
            case.number not in {c.number for c in queries.worklist(u[key], w.key)}
            for w in queries.worklists_for(u[key])
        )


def test_void_request_denied_goes_back(city: City) -> None:
    loop, u = Loop(city), city.users
    case = loop.drive("pending_register")
    case = loop.step(case, "request_void", note="重复上报")
    case = loop.step(case, "deny_void", note="并非重复")
    stored = reload(case)
    assert (stored.state, stored.resume_state) == (State.PENDING_REGISTER, "")
    assert [c.number for c in queries.worklist(u["shift_lead"], "to_register")] == [case.number]
    case = loop.step(stored, "register")
    assert case.state == State.PENDING_DISPATCH


def test_verification_rejected_then_voided(city: City) -> None:
    loop, u = Loop(city), city.users
    case = loop.drive("verifying")
    case = loop.step(case, "verify_reject", note="现场无此问题")
    assert case.state == State.VOID_REQUESTED
    assert list(queries.worklist(u["inspector"], "verify_tasks")) == []
    assert [c.number for c in queries.worklist(u["shift_lead"], "void_requests")] == [case.number]
    case = loop.step(case, "approve_void")
    stored = reload(case)
    assert (stored.state, stored.assignee_id) == (State.VOIDED, None)
    assert moves(stored)[-2:] == ["verify_reject", "approve_void"]


def test_verification_rejection_overruled_returns_the_task(city: City) -> None:
    loop, u = Loop(city), city.users
    case = loop.drive("verifying")
    case = loop.step(case, "verify_reject", note="现场无此问题")
    case = loop.step(case, "deny_void", note="市民再次来电确认")
    assert (case.state, case.assignee_id) == (State.VERIFYING, u["inspector"].pk)
    assert [c.number for c in queries.worklist(u["inspector"], "verify_tasks")] == [case.number]
    case = loop.step(case, "verify_confirm")
    assert case.state == State.PENDING_REGISTER


def test_self_close_by_the_reporting_inspector(city: City, make_user: Any) -> None:
    loop, u = Loop(city), city.users
    catalog_actions.update_type(city.root, "matter", "06001", self_handle=True)
    case = loop.report(now=mar(MON, 9))
    assert "self_close" in {t.name for t in allowed_transitions(u["inspector"], case)}
    colleague = make_user("inspector", "440304001")
    assert "self_close" not in {t.name for t in allowed_transitions(colleague, case)}
    with pytest.raises(PermissionDenied) as caught:
        loop.step(case, "self_close", by=colleague)
    assert caught.value.code == "not_holder"
    with pytest.raises(InvalidInput):
        loop.step(case, "self_close", result="")

    case = loop.step(case, "self_close", now=mar(MON, 9, 20), result="已当场劝离")
    stored = reload(case)
    assert (stored.state, stored.result, stored.closed_at) == (
        State.CLOSED,
        "已当场劝离",
        mar(MON, 9, 20),
    )
    assert stored.stage_due_at is None
    assert stages(stored) == [(Stage.ACCEPT, mar(MON, 9), mar(MON, 10), mar(MON, 9, 20))]
    assert moves(stored) == ["report", "self_close"]


def test_self_close_refused_for_types_not_marked(city: City) -> None:
    loop, u = Loop(city), city.users
    case = loop.report(type_code="06002")
    assert "self_close" not in {t.name for t in allowed_transitions(u["inspector"], case)}
    with pytest.raises(InvalidInput) as caught:
        loop.step(case, "self_close")
    assert caught.value.code == "precondition"
    assert reload(case).state == State.REPORTED
    # And the mark can be taken away again.
    catalog_actions.update_type(city.root, "matter", "06001", self_handle=True)
    catalog_actions.update_type(city.root, "matter", "06001", self_handle=False)
    other = loop.report()
    with pytest.raises(InvalidInput):
        loop.step(other, "self_close")
