"""The case API: reporting, search and paging, detail, worklists, auth and scope."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from case_steps import Loop
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from case_support import POINT_A, POINT_B, City
from yiwang.cases import actions
from yiwang.cases.actions import Report
from yiwang.cases.models import Case, CaseEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def report(user: Any, point: tuple[float, float] = POINT_A, **fields: Any) -> Case:
    defaults: dict[str, Any] = {
        "kind": "matter",
        "type_code": "06001",
        "title": "人行道私搭乱建",
        "lon": point[0],
        "lat": point[1],
    }
    if user.role != "inspector":
        defaults["source"] = "hotline"
    return actions.report_case(user, **{**defaults, **fields})


def hotline_body(**fields: Any) -> dict[str, Any]:
    return {
        "kind": "matter",
        "type_code": "06001",
        "source": "hotline",
        "title": "店门口占道经营",
        "description": "每天傍晚摆摊",
        "address": "南园路 12 号",
        "lon": POINT_A[0],
        "lat": POINT_A[1],
        "contact_name": "张先生",
        "contact_phone": "13812345678",
        **fields,
    }


# ---- authentication -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/cases"),
        ("post", "/api/cases"),
        ("get", "/api/cases/worklists"),
        ("get", "/api/cases/S060012026112500001"),
        ("get", "/api/cases/S060012026112500001/timeline"),
        ("get", "/api/cases/S060012026112500001/transitions"),
        ("post", "/api/cases/S060012026112500001/transitions/accept"),
        ("post", "/api/cases/S060012026112500001/photos"),
        ("get", "/api/cases/S060012026112500001/photos/1"),
        ("delete", "/api/cases/S060012026112500001/photos/1"),
        ("get", "/api/cases/S060012026112500001/duplicates"),
    ],
)
def test_every_endpoint_needs_a_login(client: Client, db: Any, method: str, path: str) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == 401
    assert response.json() == {
        "code": "unauthenticated",
        "message": "请先登录或提供有效的接口令牌。",
        "field": None,
    }


def test_bearer_token_works_for_programs(client: Client, city: City) -> None:
    operator = city.users["operator"]
    token = client.post(
        "/api/auth/token",
        {"username": operator.username, "password": "test-pass-123"},
        content_type="application/json",
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    created = client.post(
        "/api/cases", hotline_body(), content_type="application/json", headers=auth
    )
    assert created.status_code == 201
    number = created.json()["number"]
    listed = client.get("/api/cases", headers=auth)
    assert [c["number"] for c in listed.json()["items"]] == [number]
    assert client.get("/api/cases", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


# ---- POST /api/cases ----------------------------------------------------------------------


def test_operator_registers_a_hotline_case(client: Client, city: City) -> None:
    response = login(client, city.users["operator"]).post(
        "/api/cases", hotline_body(urgency="urgent"), content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["number"].startswith("S06001")
    assert body["version"] == 1
    assert (body["state"], body["state_label"]) == ("reported", "待受理")
    assert (body["source"], body["source_label"]) == ("hotline", "12345热线")
    assert (body["urgency"], body["urgency_label"]) == ("urgent", "紧急")
    assert body["type_name"] == "私搭乱建"
    assert body["grid"] == "440304001001001"
    assert body["street"] == "南园街道"
    assert body["community"] == "南华社区"
    assert (body["stage"], body["stage_label"]) == ("accept", "受理")
    assert body["stage_due_at"] is not None
    assert body["light"] == "green"
    # No routing rule: the street's 属地 office is suggested.
    assert body["suggested_department"] == {"id": city.office_a.pk, "name": "南园街道办事处"}
    assert body["contact_phone"] == "13812345678"
    assert body["photos"] == []
    # A hotline case must be verified first: no direct accept.
    assert "to_verify" in body["allowed_transitions"]
    assert "accept" not in body["allowed_transitions"]
    case = Case.objects.get(number=body["number"])
    assert case.reporter == city.users["operator"]
    assert CaseEvent.objects.filter(case=case, transition="report").count() == 1


def test_gcj02_input_is_converted_before_locating(client: Client, city: City) -> None:
    # GCJ-02 shifts Shenzhen by roughly +0.005° lon / -0.0027° lat relative to WGS84.
    shifted = hotline_body(lon=POINT_A[0] + 0.0049, lat=POINT_A[1] - 0.0027, crs="gcj02")
    response = login(client, city.users["operator"]).post(
        "/api/cases", shifted, content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["grid"] == "440304001001001"
    assert abs(response.json()["lon"] - POINT_A[0]) < 0.0005


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"type_code": "99999"}, 400, "unknown_type", "type_code"),
        ({"title": "  "}, 400, "required", "title"),
        ({"urgency": "whenever"}, 400, "invalid", "urgency"),
        ({"contact_phone": "call me"}, 400, "invalid", "contact_phone"),
        ({"lon": 100.0, "lat": 30.0}, 400, "not_in_grid", "lon"),
        ({"lon": "east"}, 400, "invalid", "lon"),
        ({"source": "inspector"}, 403, "forbidden_source", None),
        ({"component_ident": "nope"}, 400, "unknown_component", "component_ident"),
    ],
)
def test_bad_reports_are_refused_with_the_field(
    client: Client, city: City, change: dict[str, Any], status: int, code: str, field: str | None
) -> None:
    response = login(client, city.users["operator"]).post(
        "/api/cases", hotline_body(**change), content_type="application/json"
    )
    assert response.status_code == status
    body = response.json()
    assert (body["code"], body["field"]) == (code, field)
    assert body["message"]
    assert not Case.objects.exists()


def test_missing_title_is_a_field_error(client: Client, city: City) -> None:
    body = hotline_body()
    del body["title"]
    response = login(client, city.users["operator"]).post(
        "/api/cases", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("invalid", "title")


def test_reporting_outside_ones_street_is_forbidden(client: Client, city: City) -> None:
    inspector_b = city.inspector_b
    response = login(client, inspector_b).post(
        "/api/cases",
        {
            "kind": "matter",
            "type_code": "06001",
            "title": "x",
            "lon": POINT_A[0],
            "lat": POINT_A[1],
        },
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "out_of_scope"
    leader = login(Client(), city.users["leader"])
    response = leader.post("/api/cases", hotline_body(), content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden_role"


# ---- GET /api/cases/{number} --------------------------------------------------------------


def test_phone_is_masked_for_an_inspector_and_full_for_an_operator(
    client: Client, city: City
) -> None:
    case = report(city.users["operator"], contact_phone="13812345678")
    operator_view = login(client, city.users["operator"]).get(f"/api/cases/{case.number}")
    assert operator_view.json()["contact_phone"] == "13812345678"
    inspector_view = login(Client(), city.users["inspector"]).get(f"/api/cases/{case.number}")
    assert inspector_view.status_code == 200
    assert inspector_view.json()["contact_phone"] == "138****5678"
    # A handler reads the case once it is dispatched to their department.
    loop = Loop(city)
    for name in ("to_verify", "send_verify", "verify_confirm", "register", "dispatch"):
        case = loop.step(case, name)
    handler_view = login(Client(), city.users["handler"]).get(f"/api/cases/{case.number}")
    assert handler_view.json()["contact_phone"] == "138****5678"


def test_unknown_case_is_404(client: Client, city: City) -> None:
    response = login(client, city.users["operator"]).get("/api/cases/S000000000000000000")
    assert response.status_code == 404
    assert response.json()["code"] == "case_not_found"
    assert response.json()["field"] == "number"


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "/timeline"),
        ("get", "/transitions"),
        ("post", "/transitions/accept"),
    ],
)
def test_a_case_of_another_street_does_not_exist_for_you(
    client: Client, city: City, method: str, suffix: str
) -> None:
    case = report(city.users["inspector"])  # street A
    kwargs: dict[str, Any] = (
        {"data": {"version": 1}, "content_type": "application/json"} if method == "post" else {}
    )
    response = getattr(login(client, city.inspector_b), method)(
        f"/api/cases/{case.number}{suffix}", **kwargs
    )
    assert response.status_code == 404
    assert response.json()["code"] == "case_not_found"
    assert Case.objects.get(pk=case.pk).version == 1


# ---- GET /api/cases -----------------------------------------------------------------------


def test_list_items_carry_labels_and_lights(client: Client, city: City) -> None:
    case = report(city.users["inspector"])
    body = login(client, city.users["operator"]).get("/api/cases").json()
    assert body["count"] == 1
    assert body["count_capped"] is False
    assert (body["page"], body["page_size"]) == (1, 50)
    item = body["items"][0]
    assert item["number"] == case.number
    assert item["kind"] == "matter"
    assert (item["type_code"], item["type_name"]) == ("06001", "私搭乱建")
    assert (item["source"], item["source_label"]) == ("inspector", "监督员上报")
    assert (item["urgency"], item["urgency_label"]) == ("normal", "一般")
    assert (item["state"], item["state_label"]) == ("reported", "待受理")
    assert (item["street"], item["grid"], item["department"]) == (
        "南园街道",
        "440304001001001",
        None,
    )
    assert (item["stage"], item["stage_label"]) == ("accept", "受理")
    assert item["light"] == "green"


def test_list_is_scoped_to_the_callers_street(client: Client, city: City) -> None:
    a = report(city.users["inspector"])
    b = report(city.inspector_b, point=POINT_B)
    district = login(client, city.users["operator"]).get("/api/cases").json()
    assert {c["number"] for c in district["items"]} == {a.number, b.number}
    street_b = login(Client(), city.inspector_b).get("/api/cases").json()
    assert [c["number"] for c in street_b["items"]] == [b.number]
    assert street_b["count"] == 1


def test_pagination(client: Client, city: City) -> None:
    reports = [
        Report(kind="matter", type_code="06001", title=f"第{i}件", lon=POINT_A[0], lat=POINT_A[1])
        for i in range(5)
    ]
    made = actions.report_cases(city.users["inspector"], reports)
    login(client, city.users["operator"])
    pages = [
        client.get("/api/cases", {"page": str(n), "page_size": "2", "sort": "number"}).json()
        for n in (1, 2, 3, 4)
    ]
    assert [len(p["items"]) for p in pages] == [2, 2, 1, 0]
    assert all(p["count"] == 5 for p in pages)
    numbers = [c["number"] for p in pages for c in p["items"]]
    assert numbers == sorted(c.number for c in made)
    too_big = client.get("/api/cases", {"page_size": 201})
    assert too_big.status_code == 400
    assert too_big.json()["field"] == "page_size"
    assert client.get("/api/cases", {"page": 0}).json()["field"] == "page"


def test_filters_state_date_range_overdue_and_text(client: Client, city: City) -> None:
    inspector, operator = city.users["inspector"], city.users["operator"]
    early = report(
        inspector, title="早先的井盖问题", now=datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
    )
    mid = report(inspector, title="三月中旬", now=datetime(2026, 3, 10, 23, 30, tzinfo=SHANGHAI))
    fresh = report(inspector, title="今天的新问题")
    accepted = actions.transition(operator, fresh.number, "accept", version=1)
    login(client, operator)

    def numbers(**params: Any) -> set[str]:
        response = client.get("/api/cases", params)
        assert response.status_code == 200, response.json()
        return {c["number"] for c in response.json()["items"]}

    # Dates are Beijing dates, both ends included.
    assert numbers(date_from="2026-03-01", date_to="2026-03-10") == {early.number, mid.number}
    assert numbers(date_from="2026-03-03", date_to="2026-03-10") == {mid.number}
    assert numbers(date_to="2026-03-09") == {early.number}
    # Reported months ago and never accepted: the accept stage is long overdue.
    assert numbers(overdue="true") == {early.number, mid.number}
    assert numbers(state="pending_register") == {accepted.number}
    assert numbers(state="reported") == {early.number, mid.number}
    assert numbers(q="井盖") == {early.number}
    assert numbers(type="06001", source="inspector", street="440304001") == {
        early.number,
        mid.number,
        fresh.number,
    }
    assert numbers(street="440304002") == set()
    assert numbers(number=fresh.number) == {fresh.number}
    lights = {c["number"]: c["light"] for c in client.get("/api/cases").json()["items"]}
    assert lights[early.number] == "red"

    bad_range = client.get("/api/cases", {"date_from": "2026-03-10", "date_to": "2026-03-01"})
    assert bad_range.status_code == 400
    assert bad_range.json()["code"] == "bad_date_range"
    bad_state = client.get("/api/cases", {"state": "lost"})
    assert (bad_state.status_code, bad_state.json()["field"]) == (400, "state")
    bad_sort = client.get("/api/cases", {"sort": "random"})
    assert (bad_sort.status_code, bad_sort.json()["field"]) == (400, "sort")
    bad_date = client.get("/api/cases", {"date_from": "yesterday"})
    assert (bad_date.status_code, bad_date.json()["field"]) == (400, "date_from")


def test_worklist_filter_and_worklist_counts(client: Client, city: City) -> None:
    inspector, operator = city.users["inspector"], city.users["operator"]
    waiting = [report(inspector, title=f"待受理{i}") for i in range(2)]
    moved = report(inspector, title="已受理")
    actions.transition(operator, moved.number, "accept", version=1)
    hotline = report(operator)
    actions.transition(operator, hotline.number, "to_verify", version=1)

    login(client, operator)
    listed = client.get("/api/cases", {"worklist": "to_accept"}).json()
    assert {c["number"] for c in listed["items"]} == {c.number for c in waiting}
    assert listed["count"] == 2
    combined = client.get("/api/cases", {"worklist": "to_accept", "q": "待受理1"}).json()
    assert [c["number"] for c in combined["items"]] == [waiting[1].number]

    counts = {w["key"]: (w["label"], w["count"]) for w in client.get("/api/cases/worklists").json()}
    assert counts == {
        "to_accept": ("待受理", 2),
        "to_send_verify": ("待派发核实", 1),
        "to_send_check": ("待派发核查", 0),
    }
    shift_lead = login(Client(), city.users["shift_lead"])
    assert {w["key"]: w["count"] for w in shift_lead.get("/api/cases/worklists").json()}[
        "to_register"
    ] == 1
    # A worklist of another role is not yours.
    foreign = client.get("/api/cases", {"worklist": "to_dispatch"})
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "worklist_not_found"


def test_list_query_count_does_not_grow_with_rows(
    client: Client, city: City, django_assert_max_num_queries: Any
) -> None:
    inspector, operator = city.users["inspector"], city.users["operator"]

    def add(n: int) -> None:
        reports = [
            Report(
                kind="matter", type_code="06001", title=f"问题{i}", lon=POINT_A[0], lat=POINT_A[1]
            )
            for i in range(n)
        ]
        for case in actions.report_cases(inspector, reports):
            # Give the rows a department and a running stage, as on a real list.
            actions.transition(operator, case.number, "accept", version=1)

    add(3)
    login(client, city.users["leader"])
    with CaptureQueriesContext(connection) as few:
        assert len(client.get("/api/cases").json()["items"]) == 3
    add(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/cases").json()["items"]) == 30


def test_case_endpoints_are_documented(client: Client, db: Any) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/cases",
        "/api/cases/worklists",
        "/api/cases/{number}",
        "/api/cases/{number}/timeline",
        "/api/cases/{number}/transitions",
        "/api/cases/{number}/transitions/{name}",
        "/api/cases/{number}/photos",
        "/api/cases/{number}/photos/{photo_id}",
        "/api/cases/{number}/duplicates",
    ):
        assert path in paths
