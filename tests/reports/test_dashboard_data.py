"""The dashboard's JSON: today's figures, live cases with their light, rankings, scope, cost."""

from __future__ import annotations

from typing import Any

import pytest
from dashboard_support import build_day, step
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from case_support import City
from yiwang.cases import actions
from yiwang.reports import dashboard

URL = "/reports/dashboard/data/"


def fetch(user: Any) -> dict[str, Any]:
    client = Client()
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200, response.content
    assert response["Cache-Control"].startswith("max-age=0")
    data: dict[str, Any] = response.json()
    return data


@pytest.mark.django_db
def test_today_kpis_match_what_was_done(city: City) -> None:
    day = build_day(city, n=20, old=3)
    data = fetch(city.users["leader"])
    kpi = data["kpi"]
    assert kpi["reported"] == 20  # the three old cases were reported three days ago
    # 10 inspector reports moved 0..4 steps twice over: registered 6, dispatched 4, closed 2
    assert (day.registered, day.dispatched, day.closed) == (6, 4, 2)
    assert kpi["registered"] == 6
    assert kpi["dispatched"] == 4
    assert kpi["closed"] == 2
    assert kpi["on_time_rate"] == 100.0  # every closed case was handled within minutes
    assert kpi["open"] == 20 + 3 - 2
    assert kpi["overdue"] == 3  # reported three days ago, acceptance due in 2 工作时
    by_source = {s["key"]: s["count"] for s in data["sources"]}
    for source, count in day.reported_today.items():
        assert by_source[source] == count
    assert by_source["drone"] == 0
    labels = {s["key"]: s["label"] for s in data["sources"]}
    assert labels["hotline"] == "12345热线"


@pytest.mark.django_db
def test_live_cases_carry_position_and_traffic_light(city: City) -> None:
    day = build_day(city, n=10, old=2)
    data = fetch(city.users["shift_lead"])
    shown = {c["number"]: c for c in data["cases"]}
    closed = {c.number for c in day.cases if c.state == "closed"}
    assert not closed & shown.keys()
    old = [c for c in day.cases if c.title.startswith("超期未受理")]
    for case in old:
        assert shown[case.number]["light"] == "red"
        assert shown[case.number]["lon"] == pytest.approx(case.lon)
        assert shown[case.number]["lat"] == pytest.approx(case.lat)
    # Nearest deadline first: the overdue ones lead.
    assert {c["number"] for c in data["cases"][:2]} == {c.number for c in old}
    assert data["lights"]["red"] == 2
    assert sum(data["lights"].values()) == len(data["cases"]) == 10 + 2 - len(closed) == 11


@pytest.mark.django_db
def test_rankings_grids_types_and_departments(city: City) -> None:
    build_day(city, n=20, old=3)
    data = fetch(city.users["leader"])
    grids = {g["code"]: g for g in data["grids"]}
    assert set(grids) <= {"440304001001001", "440304002001001"}
    assert sum(g["open"] for g in data["grids"]) == data["kpi"]["open"]
    assert data["worst_grids"][0]["code"] == "440304001001001"  # the overdue ones lie in A
    assert data["worst_grids"][0]["overdue"] == 3
    assert len(data["types"]) <= dashboard.TOP_TYPES
    assert sum(t["count"] for t in data["types"]) == data["kpi"]["open"]  # 4 types < top 10
    assert data["departments"] == [
        {"name": "福田区市政设施管理中心", "open": 2, "overdue": 0}
    ]  # the 4 dispatched, 2 of them closed
    assert data["overdue_departments"] == []


@pytest.mark.django_db
def test_overdue_department_ranking(city: City) -> None:
    from datetime import timedelta

    from django.utils import timezone

    case = actions.report_case(
        city.users["inspector"],
        kind="matter",
        type_code="06001",
        title="井盖缺失",
        lon=114.051,
        lat=22.541,
        source="inspector",
    )
    for name in ("accept", "register", "dispatch"):
        case = step(city, case, name)
    later = timezone.now() + timedelta(days=60)
    data = dashboard.dashboard(city.users["leader"], now=later)
    assert data["overdue_departments"] == [
        {"name": "福田区市政设施管理中心", "open": 1, "overdue": 1}
    ]
    assert data["kpi"]["overdue"] == 1
    assert data["cases"][0]["light"] == "red"


@pytest.mark.django_db
def test_fixed_number_of_queries(city: City) -> None:
    leader = city.users["leader"]
    build_day(city, n=5, old=1)
    dashboard.dashboard(leader)  # warm the calendar and limits caches alike
    with CaptureQueriesContext(connection) as few:
        dashboard.dashboard(leader)
    build_day(city, n=25, old=4)
    with CaptureQueriesContext(connection) as many:
        dashboard.dashboard(leader)
    assert len(few.captured_queries) == len(many.captured_queries) <= 8


@pytest.mark.django_db
def test_scope_a_street_leader_sees_only_the_street(city: City, make_user: Any) -> None:
    build_day(city, n=12, old=2)
    street_b = make_user("leader", "440304002")
    data = fetch(street_b)
    whole = fetch(city.users["leader"])
    assert 0 < data["kpi"]["open"] < whole["kpi"]["open"]
    assert {g["code"] for g in data["grids"]} == {"440304002001001"}
    assert all(c["lon"] > 114.06 for c in data["cases"])


@pytest.mark.django_db
def test_only_leaders_and_the_command_centre(city: City) -> None:
    for role in ("handler", "inspector"):
        client = Client()
        client.force_login(city.users[role])
        answer = client.get(URL)
        assert answer.status_code == 403
        assert answer.json()["code"] == "forbidden_role"
        assert client.get("/reports/dashboard/").status_code == 403
    for role in ("leader", "operator", "shift_lead", "dispatcher"):
        client = Client()
        client.force_login(city.users[role])
        assert client.get(URL).status_code == 200
    anonymous = Client().get(URL)
    assert anonymous.status_code == 302  # to the sign-in page


@pytest.mark.django_db
def test_no_case_closed_today_has_no_rate(city: City) -> None:
    data = fetch(city.users["leader"])
    assert data["kpi"]["on_time_rate"] is None
    assert data["kpi"]["reported"] == 0
    assert data["cases"] == [] and data["worst_grids"] == []


@pytest.mark.django_db
def test_page_passes_config_without_inline_script(city: City) -> None:
    client = Client()
    client.force_login(city.users["leader"])
    page = client.get("/reports/dashboard/?refresh=0.2")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<script id="dashboard-config" type="application/json">' in html
    assert '"refreshSeconds": 0.2' in html
    for chunk in html.split("<script")[1:]:
        head = chunk.partition(">")
        assert "src=" in head[0] or 'type="application/json"' in head[0], head
    assert "城市运行指挥大屏" in html


def test_refresh_seconds_from_query() -> None:
    assert dashboard.refresh_seconds("5", 30) == 5
    assert dashboard.refresh_seconds(None, 30) == 30
    assert dashboard.refresh_seconds("abc", 30) == 30
    assert dashboard.refresh_seconds("nan", 30) == 30
    assert dashboard.refresh_seconds("-1", 30) == 30
    assert dashboard.refresh_seconds("0.001", 30) == 0.05


@pytest.mark.django_db
def test_a_suspended_case_is_open_but_not_on_the_map(
    city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = build_day(city, n=6, old=0)
    # Inspector reports 0 and 3 (depth 0, 1), the others wait for verification: none closed.
    case = actions.report_case(
        city.users["inspector"],
        kind="matter",
        type_code="06001",
        title="挂账案卷",
        lon=day.cases[0].lon,
        lat=day.cases[0].lat,
        source="inspector",
    )
    for name in ("accept", "register", "dispatch", "accept_task"):
        case = step(city, case, name)
    case = actions.transition(
        city.users["handler"],
        case.number,
        "request_suspend",
        version=case.version,
        inputs={"note": "等待管线迁改"},
    )
    case = actions.transition(
        city.users["dispatcher"], case.number, "approve_suspend", version=case.version, inputs={}
    )
    assert case.state == "suspended"  # 挂账: its clock stopped, no deadline
    data = fetch(city.users["leader"])
    assert data["kpi"]["open"] == 6 + 1
    assert "挂账案卷" not in {c["title"] for c in data["cases"]}
    assert len(data["cases"]) == 6 and data["cases_truncated"] is False
    # With room for 6 on the map, the six with a deadline fill it and nothing is left out.
    monkeypatch.setattr(dashboard, "MAP_LIMIT", 6)
    data = fetch(city.users["leader"])
    assert len(data["cases"]) == 6 and data["cases_truncated"] is False
    # With room for 5, one with a deadline is left out: the map says so.
    monkeypatch.setattr(dashboard, "MAP_LIMIT", 5)
    data = fetch(city.users["leader"])
    assert len(data["cases"]) == 5 and data["cases_truncated"] is True
