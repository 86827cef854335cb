"""The case API's moves: transitions, their errors, the offered moves and the timeline."""

from __future__ import annotations

from typing import Any

from django.test import Client

from case_support import POINT_A, City
from yiwang.cases import actions
from yiwang.cases.models import Case, CaseEvent


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def inspector_case(city: City) -> Case:
    return actions.report_case(
        city.users["inspector"],
        kind="matter",
        type_code="06001",
        title="人行道私搭乱建",
        lon=POINT_A[0],
        lat=POINT_A[1],
    )


def move(client: Client, number: str, name: str, **body: Any) -> Any:
    return client.post(
        f"/api/cases/{number}/transitions/{name}", body, content_type="application/json"
    )


def test_full_loop_through_the_api(city: City) -> None:
    u = city.users
    case = inspector_case(city)
    number, version = case.number, 1
    steps: list[tuple[str, str, dict[str, Any], str]] = [
        ("operator", "accept", {"note": "属实"}, "pending_register"),
        ("shift_lead", "register", {}, "pending_dispatch"),
        ("dispatcher", "dispatch", {"department_id": city.municipal.pk}, "dispatched"),
        ("handler", "accept_task", {}, "handling"),
        ("handler", "finish", {"result": "已拆除"}, "handled"),
        ("operator", "send_check", {"inspector_id": u["inspector"].pk}, "checking"),
        ("inspector", "check_pass", {}, "pending_close"),
        ("shift_lead", "close", {}, "closed"),
    ]
    for role, name, inputs, state in steps:
        response = move(login(u[role]), number, name, version=version, **inputs)
        assert response.status_code == 200, (name, response.json())
        body = response.json()
        assert body["state"] == state
        assert body["version"] == version + 1
        version = body["version"]
    assert body["state_label"] == "已结案"
    assert body["result"] == "已拆除"
    assert body["department"] == "福田区市政设施管理中心"
    assert body["closed_at"] is not None
    assert body["allowed_transitions"] == []
    assert body["light"] is None
    assert CaseEvent.objects.filter(case__number=number).count() == 9


def test_stale_version_is_409_and_changes_nothing(city: City) -> None:
    case = inspector_case(city)
    operator = login(city.users["operator"])
    assert move(operator, case.number, "accept", version=1).status_code == 200
    events = CaseEvent.objects.filter(case=case).count()

    # A second operator's screen still shows version 1.
    response = move(operator, case.number, "request_void", version=1, note="重复上报")
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["field"]) == ("stale_version", "version")
    assert "已被他人修改" in body["message"]
    after = Case.objects.get(pk=case.pk)
    assert (after.state, after.version) == ("pending_register", 2)
    assert CaseEvent.objects.filter(case=case).count() == events


def test_transition_errors_have_their_status_code_and_field(city: City) -> None:
    u = city.users
    case = inspector_case(city)
    number = case.number

    unknown = move(login(u["operator"]), number, "teleport", version=1)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_transition"

    wrong_state = move(login(u["shift_lead"]), number, "register", version=1)
    assert wrong_state.status_code == 409
    assert wrong_state.json()["code"] == "bad_state"
    assert "待受理" in wrong_state.json()["message"]

    wrong_role = move(login(u["dispatcher"]), number, "accept", version=1)
    assert wrong_role.status_code == 403
    assert wrong_role.json()["code"] == "forbidden_role"
    assert wrong_role.json()["message"] == "只有受理员可以受理。"

    no_version = move(login(u["operator"]), number, "accept")
    assert (no_version.status_code, no_version.json()["field"]) == (400, "version")
    text_version = move(login(u["operator"]), number, "accept", version="one")
    assert (text_version.status_code, text_version.json()["field"]) == (400, "version")

    # A void request needs a reason.
    no_reason = move(login(u["operator"]), number, "request_void", version=1)
    assert no_reason.status_code == 400
    assert (no_reason.json()["code"], no_reason.json()["field"]) == ("required", "note")

    # Guards: an inspector's report needs no verification.
    guarded = move(login(u["operator"]), number, "to_verify", version=1)
    assert guarded.status_code == 400
    assert guarded.json()["code"] == "precondition"

    # JSON true / objects are not ids or text, even where Python would convert them.
    as_bool = move(login(u["operator"]), number, "request_void", version=1, note=True)
    assert (as_bool.status_code, as_bool.json()["field"]) == (400, "note")
    as_object = move(login(u["operator"]), number, "request_void", version=1, note={"a": 1})
    assert (as_object.status_code, as_object.json()["field"]) == (400, "note")

    assert Case.objects.get(pk=case.pk).version == 1
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_department_and_holder_rules(city: City) -> None:
    u = city.users
    case = inspector_case(city)
    number = case.number
    actions.transition(u["operator"], number, "accept", version=1)
    actions.transition(u["shift_lead"], number, "register", version=2)

    missing = move(login(u["dispatcher"]), number, "dispatch", version=3)
    assert (missing.status_code, missing.json()["field"]) == (400, "department_id")
    not_a_number = move(login(u["dispatcher"]), number, "dispatch", version=3, department_id="x")
    assert (not_a_number.status_code, not_a_number.json()["field"]) == (400, "department_id")
    as_true = move(login(u["dispatcher"]), number, "dispatch", version=3, department_id=True)
    assert (as_true.status_code, as_true.json()["field"]) == (400, "department_id")
    ok = move(
        login(u["dispatcher"]), number, "dispatch", version=3, department_id=city.municipal.pk
    )
    assert ok.status_code == 200

    # The street office's handler does not even see a case sent to the municipal centre:
    # "not found", not "forbidden", which would tell them it exists.
    other = move(login(city.handler_office_a), number, "accept_task", version=4)
    assert other.status_code == 404
    assert other.json()["code"] == "case_not_found"


def test_offered_moves_with_their_inputs(city: City) -> None:
    u = city.users
    case = inspector_case(city)
    number = case.number

    offered = login(u["operator"]).get(f"/api/cases/{number}/transitions").json()
    assert [t["name"] for t in offered] == ["accept", "request_void", "merge"]
    accept = offered[0]
    assert accept["label"] == "受理"
    assert accept["inputs"][0] == {
        "name": "note",
        "label": "意见",
        "kind": "text",
        "required": False,
        "choices": [],
        "suggestion": None,
        "departments": [],
        "users": [],
    }
    assert offered[1]["inputs"][0]["required"] is True
    # Merging a duplicate names the case it goes into; another type needs saying so.
    assert [(i["name"], i["kind"], i["required"]) for i in offered[2]["inputs"]] == [
        ("into", "case", True),
        ("other_type", "flag", False),
        ("note", "text", False),
    ]
    # Nothing for a dispatcher now, and never anything for a leader.
    assert login(u["dispatcher"]).get(f"/api/cases/{number}/transitions").json() == []
    assert login(u["leader"]).get(f"/api/cases/{number}/transitions").json() == []

    actions.transition(u["operator"], number, "accept", version=1)
    actions.transition(u["shift_lead"], number, "register", version=2)
    offered = login(u["dispatcher"]).get(f"/api/cases/{number}/transitions").json()
    dispatch = {t["name"]: t for t in offered}["dispatch"]
    department = dispatch["inputs"][0]
    assert department["kind"] == "department"
    assert department["suggestion"] == {"id": city.office_a.pk, "name": "南园街道办事处"}
    assert {d["name"] for d in department["departments"]} == {
        "福田区市政设施管理中心",
        "南园街道办事处",
    }

    actions.transition(
        u["dispatcher"], number, "dispatch", version=3, inputs={"department_id": city.municipal.pk}
    )
    actions.transition(u["handler"], number, "accept_task", version=4)
    offered = login(u["handler"]).get(f"/api/cases/{number}/transitions").json()
    assert {t["name"] for t in offered} == {
        "request_return",
        "request_extension",
        "request_suspend",
        "finish",
    }
    extension = {t["name"]: t for t in offered}["request_extension"]
    unit = {i["name"]: i for i in extension["inputs"]}["unit"]
    assert unit["choices"] == [
        {"value": "hours", "label": "小时"},
        {"value": "work_hours", "label": "工作时"},
        {"value": "work_days", "label": "工作日"},
    ]
    # Another department's handler does not see the case at all.
    assert login(city.handler_office_a).get(f"/api/cases/{number}/transitions").status_code == 404

    actions.transition(u["handler"], number, "finish", version=5, inputs={"result": "已拆除"})
    offered = login(u["operator"]).get(f"/api/cases/{number}/transitions").json()
    send_check = {t["name"]: t for t in offered}["send_check"]
    inspector = {i["name"]: i for i in send_check["inputs"]}["inspector_id"]
    # Only inspectors whose area contains the case: street B's inspector is not offered.
    assert [p["id"] for p in inspector["users"]] == [u["inspector"].pk]
    assert inspector["users"][0]["division"] == "南园街道"


def test_timeline_shows_who_did_what_and_stage_clocks(city: City) -> None:
    u = city.users
    case = inspector_case(city)
    actions.transition(u["operator"], case.number, "accept", version=1, inputs={"note": "属实"})

    body = login(u["leader"]).get(f"/api/cases/{case.number}/timeline").json()
    assert body["number"] == case.number
    reported, accepted = body["events"]
    assert (reported["transition"], reported["transition_label"]) == ("report", "上报")
    assert reported["actor"] == str(u["inspector"])
    assert reported["role_label"] == "监督员"
    assert (reported["from_state_label"], reported["to_state_label"]) == ("", "待受理")
    assert (accepted["transition"], accepted["transition_label"]) == ("accept", "受理")
    assert accepted["role_label"] == "受理员"
    assert (accepted["from_state_label"], accepted["to_state_label"]) == ("待受理", "待立案")
    assert accepted["note"] == "属实"
    assert accepted["version"] == 2

    accept_stage, register_stage = body["stages"]
    assert accept_stage["stage_label"] == "受理"
    # The shipped default limits: 受理 1 工作时, 立案 1 工作时 (normal urgency).
    assert accept_stage["limit"] == "1 工作时"
    assert accept_stage["finished_at"] is not None
    assert accept_stage["on_time"] is True
    assert accept_stage["light"] == "green"
    assert accept_stage["elapsed_seconds"] <= accept_stage["limit_seconds"]
    assert accept_stage["elapsed"].endswith("工作时")
    assert register_stage["stage_label"] == "立案"
    assert register_stage["finished_at"] is None
    assert register_stage["on_time"] is None


def test_extension_and_suspension_through_the_api(city: City) -> None:
    u = city.users
    number = inspector_case(city).number
    actions.transition(u["operator"], number, "accept", version=1)
    actions.transition(u["shift_lead"], number, "register", version=2)
    actions.transition(
        u["dispatcher"], number, "dispatch", version=3, inputs={"department_id": city.municipal.pk}
    )
    actions.transition(u["handler"], number, "accept_task", version=4)
    handler, dispatcher = login(u["handler"]), login(u["dispatcher"])
    due_before = handler.get(f"/api/cases/{number}").json()["stage_due_at"]

    bad_unit = move(
        handler, number, "request_extension", version=5, amount="2", unit="weeks", note="x"
    )
    assert (bad_unit.status_code, bad_unit.json()["field"]) == (400, "unit")
    bad_amount = move(
        handler, number, "request_extension", version=5, amount="-1", unit="hours", note="x"
    )
    assert (bad_amount.status_code, bad_amount.json()["field"]) == (400, "amount")
    asked = move(
        handler,
        number,
        "request_extension",
        version=5,
        amount="2",
        unit="work_days",
        note="材料未到",
    )
    assert asked.status_code == 200
    assert asked.json()["pending_request"] == {
        "kind": "extension",
        "amount": "2",
        "unit": "work_days",
    }
    assert asked.json()["state_label"] == "延期待审批"
    approved = move(dispatcher, number, "approve_extension", version=6)
    assert approved.status_code == 200
    body = approved.json()
    assert (body["state"], body["extension_count"], body["pending_request"]) == (
        "handling",
        1,
        {},
    )
    assert body["stage_due_at"] > due_before

    move(handler, number, "request_suspend", version=7, note="待天气好转")
    suspended = move(dispatcher, number, "approve_suspend", version=8).json()
    assert suspended["state_label"] == "已挂账"
    # The clock is stopped: no deadline, no light.
    assert (suspended["stage_due_at"], suspended["light"]) == (None, None)
    resumed = move(dispatcher, number, "resume", version=9).json()
    assert resumed["state"] == "handling"
    assert resumed["light"] in ("green", "amber", "red")

    timeline = dispatcher.get(f"/api/cases/{number}/timeline").json()
    labels = [e["transition_label"] for e in timeline["events"]]
    assert labels[-5:] == ["申请延期", "批准延期", "申请挂账", "批准挂账", "恢复"]
    assert timeline["events"][-5]["data"]["unit"] == "work_days"
    handle = timeline["stages"][-1]
    assert handle["stage_label"] == "处置"
    assert handle["due_at"] == resumed["stage_due_at"]
    assert handle["suspended_seconds"] >= 0
