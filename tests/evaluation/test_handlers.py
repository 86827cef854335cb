"""Indicators and the default composite of 处置人员 (handlers). Figures counted by hand from
`march` (conftest) and `handler_march` below; all times Asia/Shanghai, 处置 limit of the
test type 4 工作时 (March 2026 has no holiday)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from case_steps import Loop, local
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from case_support import City, square
from yiwang.cases.models import Case, CaseStageRecord, State
from yiwang.evaluation.models import Scheme
from yiwang.evaluation.people import person_rows
from yiwang.evaluation.periods import period_of
from yiwang.evaluation.scheme import GBT_30428_4, validate
from yiwang.geo import actions as geo_actions
from yiwang.org import actions as org_actions
from yiwang.org.models import User

MARCH = period_of("month", date(2026, 3, 15))
APRIL = period_of("month", date(2026, 4, 15))


def _by_key(rows: list[Any]) -> dict[Any, Any]:
    return {row.key: row for row in rows}


def _fix(loop: Loop, case: Case, by: User, accepted: Any, finished: Any) -> Case:
    case = loop.step(case, "accept_task", by=by, now=accepted)
    return loop.step(case, "finish", by=by, now=finished)


def _to_handler(loop: Loop, at: Any, **report: Any) -> Case:
    """Reported, accepted, registered and dispatched to 市政中心 at `at`."""
    case = loop.report(now=at, **report)
    for name in ("accept", "register", "dispatch"):
        case = loop.step(case, name, now=at)
    return case


@pytest.fixture
def second_handler(city: City, make_user: Any) -> User:
    return make_user("handler", "440304", department=city.municipal)


@pytest.fixture
def handler_march(city: City, march: dict[str, Case], second_handler: User) -> dict[str, Case]:
    """Beside `march` (where the district's handler H fixed a1 and b1 on time, a2 late, all
    closed): r1, r2, r3 with a second handler H2 of the same department."""
    loop = Loop(city)
    h = city.users["handler"]
    h2 = second_handler
    # r1 (Wed 18th): H2 fixes it in time (10:00, stage 09:00 + 4 工作时); the inspector sends
    # it back (核查不通过 10:30) → H2's fix is reworked. H fixes it the next morning, after the
    # new stage's limit (it started 10:30 on the 18th) → late; checked, closed.
    r1 = _to_handler(loop, local(2026, 3, 18, 9))
    r1 = _fix(loop, r1, h2, local(2026, 3, 18, 9, 10), local(2026, 3, 18, 10))
    r1 = loop.step(r1, "send_check", now=local(2026, 3, 18, 10, 30))
    r1 = loop.step(r1, "check_fail", now=local(2026, 3, 18, 10, 30), note="没有修好")
    r1 = _fix(loop, r1, h, local(2026, 3, 18, 11), local(2026, 3, 19, 10))
    r1 = loop.step(r1, "send_check", now=local(2026, 3, 19, 10, 30))
    r1 = loop.step(r1, "check_pass", now=local(2026, 3, 19, 10, 30))
    r1 = loop.step(r1, "close", now=local(2026, 3, 19, 11))
    # r2 (Thu 19th): H takes it, asks for 2 more 工作日 (granted), fixes it on the 20th at
    # 10:00 — late for the 4 工作时, in time with the extension. Checked, then the 值班长 sends
    # it back (返工 at 11:00) → H's fix is reworked. H2 fixes it at 12:00 (stage from 11:00)
    # → on time; checked, waiting for 结案 (not closed).
    r2 = _to_handler(loop, local(2026, 3, 19, 9))
    r2 = loop.step(r2, "accept_task", by=h, now=local(2026, 3, 19, 9, 5))
    r2 = loop.step(r2, "request_extension", by=h, now=local(2026, 3, 19, 9, 30))
    r2 = loop.step(r2, "approve_extension", now=local(2026, 3, 19, 9, 40))
    r2 = loop.step(r2, "finish", by=h, now=local(2026, 3, 20, 10))
    r2 = loop.step(r2, "send_check", now=local(2026, 3, 20, 10, 30))
    r2 = loop.step(r2, "check_pass", now=local(2026, 3, 20, 10, 30))
    r2 = loop.step(r2, "rework", now=local(2026, 3, 20, 11), note="照片不清楚")
    r2 = _fix(loop, r2, h2, local(2026, 3, 20, 11, 10), local(2026, 3, 20, 12))
    r2 = loop.step(r2, "send_check", now=local(2026, 3, 20, 12, 30))
    r2 = loop.step(r2, "check_pass", now=local(2026, 3, 20, 12, 30))
    # r3 (Mon 23rd): H takes it and asks to return it (not his department's job); granted.
    r3 = _to_handler(loop, local(2026, 3, 23, 9))
    r3 = loop.step(r3, "accept_task", by=h, now=local(2026, 3, 23, 9, 10))
    r3 = loop.step(r3, "request_return", by=h, now=local(2026, 3, 23, 9, 30))
    r3 = loop.step(r3, "approve_return", now=local(2026, 3, 23, 9, 40))
    return {"r1": r1, "r2": r2, "r3": r3}


def test_the_fixture_is_what_the_comments_say(city: City, handler_march: dict[str, Case]) -> None:
    """The stage records behind the hand counts (read directly, not through the code under
    test): which 处置 stages ended late."""
    r1, r2 = handler_march["r1"], handler_march["r2"]
    handle = list(
        CaseStageRecord.objects.filter(case__in=[r1, r2], stage="handle")
        .order_by("case_id", "started_at")
        .values_list("case_id", "finished_at", "due_at")
    )
    on_time = [(case_id, finished <= due) for case_id, finished, due in handle]
    assert on_time == [(r1.pk, True), (r1.pk, False), (r2.pk, True), (r2.pk, True)]
    assert Case.objects.get(pk=r2.pk).state == State.PENDING_CLOSE


def test_handler_indicators(
    city: City, handler_march: dict[str, Case], second_handler: User
) -> None:
    rows = _by_key(person_rows(city.users["leader"], MARCH, "handler"))
    assert set(rows) == {city.users["handler"].pk, second_handler.pk}
    h = rows[city.users["handler"].pk]
    c = h.counts
    # H: 接收任务 a1, a2, b1, r1, r2, r3 = 6; 处置完毕 a1, a2, b1, r1, r2 = 5; in time a1, b1,
    # r2 (extension) = 3; reworked r2 = 1 (r1's 核查不通过 came before H's fix); 5 cases
    # finished, a1, a2, b1, r1 closed = 4; one 申请回退 (r3), one 申请延期 (r2).
    assert (c["tasks_accepted"], c["finished"], c["finished_on_time"]) == (6, 5, 3)
    assert (c["finish_reworked"], c["finished_cases"], c["finished_cases_closed"]) == (1, 5, 4)
    assert (c["return_requests"], c["extension_requests"]) == (1, 1)
    assert h.rates == {
        "on_time_handle_rate": Decimal("0.6"),
        "rework_rate": Decimal("0.2"),
        "close_rate": Decimal("0.8"),
    }
    # 处置数 5 → band 1–10 → 40. 20·40 + 40·60 + 40·(100 − 20) = 6400 / 100 → 64, C.
    assert h.result.score == Decimal("64") and h.result.grade == "C"
    assert h.name == f"{city.users['handler'].username}（福田区市政设施管理中心）"

    h2 = rows[second_handler.pk]
    # H2: r1 (in time, reworked, closed since), r2 (in time, not reworked, not closed).
    assert (h2.counts["tasks_accepted"], h2.counts["finished"]) == (2, 2)
    assert h2.rates == {
        "on_time_handle_rate": Decimal(1),
        "rework_rate": Decimal("0.5"),
        "close_rate": Decimal("0.5"),
    }
    # 20·40 + 40·100 + 40·50 = 6800 / 100 → 68, C; ranked above H.
    assert h2.result.score == Decimal("68") and h2.result.grade == "C"
    assert (h2.rank, h.rank) == (1, 2)
    assert h.scheme == "yiwang-default@1"


def test_handler_zero_denominators(city: City, march: dict[str, Case], make_user: Any) -> None:
    """A handler who only took a task: no 处置完毕 → 按期处置率, 返工率 and 结案率 are all 无数据;
    处置数 0 is a value (band → 0), so the composite is 0, E. April: nobody is listed."""
    newcomer = make_user("handler", "440304", department=city.municipal)
    loop = Loop(city)
    case = _to_handler(loop, local(2026, 3, 24, 9))
    loop.step(case, "accept_task", by=newcomer, now=local(2026, 3, 24, 9, 5))
    row = _by_key(person_rows(city.users["leader"], MARCH, "handler"))[newcomer.pk]
    assert row.counts["tasks_accepted"] == 1 and row.counts["finished"] == 0
    assert row.rates == {"on_time_handle_rate": None, "rework_rate": None, "close_rate": None}
    assert row.result.score == Decimal(0) and row.result.grade == "E"
    assert person_rows(city.users["leader"], APRIL, "handler") == []


def test_under_the_standard_scheme_handlers_have_no_composite(
    city: City, handler_march: dict[str, Case]
) -> None:
    """gbt-30428.4@1 has no handler composite: the indicators are there, score 无数据."""
    standard = Scheme.objects.get(code="gbt-30428.4", version=1)
    rows = person_rows(city.users["leader"], MARCH, "handler", standard)
    assert len(rows) == 2
    for row in rows:
        assert (row.result.score, row.result.grade, row.rank) == (None, "无数据", None)
        assert row.result.parts == () and row.scheme == "gbt-30428.4@1"
        assert row.rates["on_time_handle_rate"] is not None


def test_a_scheme_may_leave_out_handlers_but_not_the_standard_kinds() -> None:
    validate(GBT_30428_4)  # no handler: valid
    broken = {**GBT_30428_4, "subjects": {**GBT_30428_4["subjects"], "cleaner": []}}
    with pytest.raises(Exception, match="可另含：处置人员"):
        validate(broken)
    weights = {
        **GBT_30428_4,
        "subjects": {
            **GBT_30428_4["subjects"],
            "handler": [{"indicator": "finish_count", "weight": 50, "scoring": "band",
                         "bands": "workload"}],
        },
    }  # fmt: skip
    with pytest.raises(Exception, match="处置人员：权重合计应为 100，现为 50"):
        validate(weights)


def _luohu(city: City, make_user: Any) -> User:
    """A grid, a department and a handler in 罗湖区, and one case fixed there."""
    root = city.root
    make = org_actions.create_division
    make(root, code="440303001", name="桂园街道", level="street", parent_code="440303")
    make(root, code="440303001001", name="老围社区", level="community", parent_code="440303001")
    geo_actions.create_grid(
        root,
        code="440303001001001",
        name="老围一号网格",
        community_code="440303001001",
        geometry=square(114.10, 22.55),
    )
    department = org_actions.create_department(
        root, name="罗湖区市政设施管理中心", kind="professional", division_code="440303"
    )
    people = {role: make_user(role, "440303") for role in ("operator", "shift_lead", "dispatcher")}
    reporter = make_user("inspector", "440303001001")
    handler = make_user("handler", "440303", department=department)
    loop = Loop(city)
    at = local(2026, 3, 25, 9)
    case = loop.report(by=reporter, point=(114.101, 22.551), now=at)
    case = loop.step(case, "accept", by=people["operator"], now=at)
    case = loop.step(case, "register", by=people["shift_lead"], now=at)
    case = loop.step(case, "dispatch", by=people["dispatcher"], now=at, department_id=department.pk)
    _fix(loop, case, handler, at, local(2026, 3, 25, 10))
    return handler


def test_handler_scope(
    city: City, handler_march: dict[str, Case], second_handler: User, make_user: Any
) -> None:
    outsider = _luohu(city, make_user)
    # 福田区's leader: the two 福田 handlers, not 罗湖区's.
    keys = {r.key for r in person_rows(city.users["leader"], MARCH, "handler")}
    assert keys == {city.users["handler"].pk, second_handler.pk}
    # 深圳市's leader sees all three; the 罗湖 handler with their one fix, on time.
    city_leader = make_user("leader", "440300")
    rows = _by_key(person_rows(city_leader, MARCH, "handler"))
    assert set(rows) == {city.users["handler"].pk, second_handler.pk, outsider.pk}
    assert rows[outsider.pk].counts["finished"] == 1
    assert rows[outsider.pk].rates["on_time_handle_rate"] == Decimal(1)
    # 园岭街道's leader: only H, for b1 (street B's one case), whose figures only.
    leader_b = make_user("leader", "440304002")
    (row,) = person_rows(leader_b, MARCH, "handler")
    assert row.key == city.users["handler"].pk
    assert (row.counts["tasks_accepted"], row.counts["finished"]) == (1, 1)


def test_fixed_number_of_queries(
    city: City, handler_march: dict[str, Case], make_user: Any, django_assert_num_queries: Any
) -> None:
    """No query per handler or per case: three more handlers with a fix each cost the same."""
    leader = city.users["leader"]
    person_rows(leader, MARCH, "handler")  # warm caches (scheme, calendar)
    with CaptureQueriesContext(connection) as before:
        person_rows(leader, MARCH, "handler")
    loop = Loop(city)
    for n in range(3):
        newcomer = make_user("handler", "440304", department=city.municipal)
        case = _to_handler(loop, local(2026, 3, 24 + n, 9))
        _fix(loop, case, newcomer, local(2026, 3, 24 + n, 9, 5), local(2026, 3, 24 + n, 10))
    with django_assert_num_queries(len(before.captured_queries)):
        rows = person_rows(leader, MARCH, "handler")
    assert len(rows) == 5


def test_page_api_and_export(
    client: Any, city: City, handler_march: dict[str, Case], second_handler: User
) -> None:
    client.force_login(city.users["leader"])
    params = {"period": "month", "day": "2026-03-15"}
    body = client.get("/api/evaluation/handler", params).json()
    assert body["subject"] == "handler" and body["scheme"] == "yiwang-default@1"
    rows = {row["key"]: row for row in body["rows"]}
    h = rows[str(city.users["handler"].pk)]
    assert (h["rank"], h["score"], h["grade"]) == (2, 64.0, "C")
    assert h["rates"] == {"on_time_handle_rate": 0.6, "rework_rate": 0.2, "close_rate": 0.8}
    assert {p["indicator"]: p["weight"] for p in h["parts"]} == {
        "finish_count": 20.0,
        "on_time_handle_rate": 40.0,
        "rework_rate": 40.0,
    }

    page = client.get("/evaluation/", {"subject": "handler", **params}).content.decode()
    table = page[page.index('id="evaluation-table"') :]
    assert table.index(second_handler.username) < table.index(city.users["handler"].username)
    assert "按期处置率" in table and "接收任务数" in table and "60.00%" in table

    response = client.get("/evaluation/export/", {"subject": "handler", **params})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header[6:14] == [
        "接收任务数", "处置数", "返工数", "申请回退数", "申请延期数",
        "按期处置率（%）", "返工率（%）", "结案率（%）",
    ]  # fmt: skip
    by_key = {line[1]: line for line in lines}
    name = f"{city.users['handler'].username}（福田区市政设施管理中心）"
    assert by_key[name][:4] == [2, name, 64, "C"]
    assert by_key[name][6:14] == [6, 5, 1, 1, 1, 60, 20, 80]
    assert by_key[name][14:] == ["2026年3月", "yiwang-default@1"]


def test_an_administrator_sets_other_handler_weights_without_code(
    client: Any, city: City, handler_march: dict[str, Case]
) -> None:
    """Through the admin: a city scheme whose handler composite is 按期处置率 50 % + (1 − 返工率)
    50 %, made current; H's score follows (60·50 + 80·50 = 7000 / 100 → 70, C)."""
    import json

    admin = city.root
    client.force_login(admin)
    form = client.get("/admin/evaluation/scheme/add/").content.decode()
    assert "handler_finish" in form  # the form starts from the project default
    definition = json.loads(json.dumps(Scheme.objects.get(is_current=True).definition))
    definition["subjects"]["handler"] = [
        {"indicator": "on_time_handle_rate", "weight": 50, "scoring": "rate"},
        {"indicator": "rework_rate", "weight": 50, "scoring": "complement"},
    ]
    response = client.post(
        "/admin/evaluation/scheme/add/",
        {
            "code": "city",
            "name": "本市方案",
            "note": "处置人员各半",
            "definition": json.dumps(definition, ensure_ascii=False),
        },
    )
    assert response.status_code == 302
    city_scheme = Scheme.objects.get(code="city")
    client.post(
        "/admin/evaluation/scheme/",
        {"action": "make_current_action", "_selected_action": [city_scheme.pk]},
    )
    rows = _by_key(person_rows(city.users["leader"], MARCH, "handler"))
    h = rows[city.users["handler"].pk]
    assert (h.result.score, h.result.grade, h.scheme) == (Decimal("70"), "C", "city@1")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_leader_ranks_handlers_in_the_browser(
    browser_page: Any,
    live_server: Any,
    city: City,
    handler_march: dict[str, Case],
    second_handler: User,
) -> None:
    """The leader picks 处置人员 on /evaluation/: H2 68 C first, H 64 C second (hand-counted
    above); the table fits 1280 px. Screenshot: /tmp/yw-evaluation/evaluation-handlers.png."""
    import os

    from test_evaluation_browser import SHOTS, sign_in

    page, base = browser_page, live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, base, city.users["leader"], "/evaluation/")
    page.select_option("#id_subject", "handler")
    assert page.locator("#id_level").is_hidden()
    page.select_option("#id_period", "month")
    page.fill("#id_day", "2026-03-15")
    with page.expect_navigation():
        page.click("#evaluation-form button[type=submit]")
    assert "yiwang-default@1" in page.inner_text(".evaluation-meta")
    rows = page.locator("#evaluation-table tbody tr")
    assert rows.count() == 2
    first = rows.nth(0).locator("td").all_inner_texts()
    second = rows.nth(1).locator("td").all_inner_texts()
    department = "\n福田区市政设施管理中心"  # on a line of its own
    assert first[:4] == ["1", second_handler.username + department, "68.00", "C"]
    assert second[:4] == ["2", city.users["handler"].username + department, "64.00", "C"]
    assert second[6:] == ["6", "5", "1", "1", "1", "60.00%", "20.00%", "80.00%"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # …and the table itself shows every column without scrolling sideways.
    wrap = "document.querySelector('.table-wrap')"
    assert page.evaluate(f"{wrap}.scrollWidth <= {wrap}.clientWidth")
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/evaluation-handlers.png", full_page=True)
    assert errors == []


@pytest.mark.django_db
def test_the_default_scheme_takes_over_only_from_the_untouched_standard() -> None:
    """What migration 0003 does (through the same loader): `yiwang-default@1` becomes
    current in place of `gbt-30428.4@1`, but never in place of an administrator's scheme."""
    from yiwang.evaluation.loader import ensure_default_scheme

    Scheme.objects.filter(code="yiwang-default").delete()
    standard = Scheme.objects.get(code="gbt-30428.4")
    Scheme.objects.filter(pk=standard.pk).update(is_current=True)
    ensure_default_scheme(Scheme)
    assert Scheme.objects.get(is_current=True).label == "yiwang-default@1"

    Scheme.objects.filter(code="yiwang-default").delete()
    Scheme.objects.create(code="city", version=1, name="本市", definition=GBT_30428_4)
    Scheme.objects.filter(code="city").update(is_current=True)
    ensure_default_scheme(Scheme)
    assert Scheme.objects.get(is_current=True).label == "city@1"
    assert not Scheme.objects.get(code="yiwang-default").is_current
    ensure_default_scheme(Scheme)  # idempotent
    assert Scheme.objects.filter(code="yiwang-default").count() == 1
