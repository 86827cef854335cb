"""工作台 pages: each role's worklists and counts, countdowns, paging and query counts."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from case_steps import Loop, local
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from case_support import POINT_A, POINT_B, City
from yiwang.cases import actions
from yiwang.cases.actions import Report
from yiwang.cases.models import Case
from yiwang.cases.views.worklists import remaining_text
from yiwang.org.models import User


def page_of(client: Client, user: User, url: str = "/cases/", **params: Any) -> str:
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def counts(html: str) -> dict[str, str]:
    """The number shown on each worklist card."""
    return dict(re.findall(r'data-count="(\w+)">([^<]*)<', html))


def numbers(html: str) -> list[str]:
    """Case numbers of the listed rows, in page order."""
    return re.findall(r'<tr data-number="([^"]+)"', html)


def current_list(html: str) -> str:
    found = re.search(r'data-current="(\w+)"', html)
    return found.group(1) if found else ""


@pytest.fixture
def loop(city: City) -> Loop:
    return Loop(city)


def test_each_role_sees_its_own_worklists_with_counts(
    client: Client, city: City, loop: Loop
) -> None:
    reported = [loop.drive("reported"), loop.drive("reported")]
    pending_verify = loop.drive("pending_verify")
    verifying = loop.drive("verifying")
    to_register = loop.drive("pending_register")
    to_dispatch = loop.drive("pending_dispatch")
    dispatched = loop.drive("dispatched")
    extension = loop.drive("extension_requested")
    checking = loop.drive("checking")
    closed = loop.drive("closed")
    u = city.users

    operator = page_of(client, u["operator"])
    assert counts(operator) == {"to_accept": "2", "to_send_verify": "1", "to_send_check": "0"}
    assert current_list(operator) == "to_accept"
    assert sorted(numbers(operator)) == sorted(c.number for c in reported)

    shift_lead = page_of(client, u["shift_lead"])
    assert counts(shift_lead) == {"to_register": "1", "to_close": "0", "void_requests": "0"}
    assert numbers(shift_lead) == [to_register.number]

    dispatcher = page_of(client, u["dispatcher"])
    assert counts(dispatcher) == {
        "to_dispatch": "1",
        "return_requests": "0",
        "extension_requests": "1",
        "suspend_requests": "0",
        "suspended": "0",
    }
    assert numbers(dispatcher) == [to_dispatch.number]
    assert numbers(page_of(client, u["dispatcher"], "/cases/worklist/extension_requests/")) == [
        extension.number
    ]

    handler = page_of(client, u["handler"])
    assert counts(handler) == {"to_handle": "1", "my_requests": "1"}
    assert numbers(handler) == [dispatched.number]

    inspector = page_of(client, u["inspector"])
    assert counts(inspector) == {"verify_tasks": "1", "check_tasks": "1"}
    assert numbers(inspector) == [verifying.number]
    check_page = page_of(client, u["inspector"], "/cases/worklist/check_tasks/")
    assert numbers(check_page) == [checking.number]
    # Tasks were given to the street-A inspector, not to the one of street B.
    assert counts(page_of(client, city.inspector_b)) == {"verify_tasks": "0", "check_tasks": "0"}

    leader = page_of(client, u["leader"])
    assert counts(leader) == {"open_cases": "9"}
    assert "只读" in leader
    listed = numbers(leader)
    assert closed.number not in listed
    assert {pending_verify.number, extension.number, checking.number} <= set(listed)


def test_a_handler_sees_only_the_cases_of_his_department(
    client: Client, city: City, loop: Loop
) -> None:
    mine = loop.drive("dispatched")
    theirs = loop.drive("pending_dispatch")
    theirs = loop.step(theirs, "dispatch", department_id=city.office_a.pk)

    html = page_of(client, city.users["handler"])
    assert numbers(html) == [mine.number]
    assert counts(html)["to_handle"] == "1"
    assert "剩余 " in html  # the countdown of a handler's row

    other = page_of(client, city.handler_office_a)
    assert numbers(other) == [theirs.number]


def test_an_overdue_case_is_red_with_an_overdue_countdown(
    client: Client, city: City, loop: Loop
) -> None:
    long_ago = timezone.now() - timedelta(days=30)
    case = loop.report(now=long_ago)
    for name in ("accept", "register", "dispatch"):
        case = loop.step(case, name, now=long_ago)
    fresh = loop.drive("dispatched")

    html = page_of(client, city.users["handler"])
    # Earliest due first: the overdue case leads the list.
    assert numbers(html) == [case.number, fresh.number]
    overdue_row = html.split(f'data-number="{case.number}"', 1)[1].split("</tr>", 1)[0]
    assert 'class="light light-red">超期<' in overdue_row
    assert "已超期 " in overdue_row and "工作日" in overdue_row
    fresh_row = html.split(f'data-number="{fresh.number}"', 1)[1].split("</tr>", 1)[0]
    assert 'class="light light-green">正常<' in fresh_row
    assert "剩余 " in fresh_row


def test_countdown_wording() -> None:
    assert remaining_text(3 * 3600 + 12 * 60 + 59) == "剩余 3小时12分"
    assert remaining_text(-2 * 3600) == "已超期 2小时"
    assert remaining_text(-(2 * 86400 + 5 * 3600 + 7 * 60)) == "已超期 2天5小时"
    assert remaining_text(25 * 60) == "剩余 25分"


def test_other_roles_see_no_countdown(client: Client, city: City, loop: Loop) -> None:
    loop.drive("pending_dispatch")
    html = page_of(client, city.users["dispatcher"])
    assert numbers(html) and 'class="countdown' not in html


def bulk_report(
    city: City, count: int, *, start: Any = None, point: tuple[float, float] = POINT_A
) -> list[Case]:
    """`count` inspector reports, one minute apart (oldest first)."""
    start = start or timezone.now() - timedelta(hours=2)
    made = []
    for i in range(count):
        report = Report(
            kind="matter", type_code="06001", title=f"批量案卷{i}", lon=point[0], lat=point[1]
        )
        made += actions.report_cases(
            city.users["inspector"], [report], now=start + timedelta(minutes=i)
        )
    return made


def test_worklist_pages_of_fifty_and_sorts(client: Client, city: City) -> None:
    made = bulk_report(city, 55)
    url = "/cases/worklist/to_accept/"
    first = page_of(client, city.users["operator"], url)
    second = page_of(client, city.users["operator"], url, page=2)
    by_due = [c.number for c in sorted(made, key=lambda c: (c.stage_due_at, c.pk))]
    assert numbers(first) == by_due[:50]
    assert numbers(second) == by_due[50:]
    assert "共 55 件" in first and "第 1 / 2 页" in first

    newest_first = page_of(client, city.users["operator"], url, sort="reported")
    assert numbers(newest_first) == [c.number for c in reversed(made)][:50]
    # Page links keep the sort.
    assert "sort=reported&amp;page=2" in newest_first or "sort=reported&page=2" in newest_first


def test_htmx_gets_the_body_only_and_it_refreshes_itself(client: Client, city: City) -> None:
    bulk_report(city, 2)
    client.force_login(city.users["operator"])
    response = client.get("/cases/worklist/to_accept/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="wl-body"')
    assert 'hx-trigger="every 60s"' in html
    assert len(numbers(html)) == 2
    full = client.get("/cases/worklist/to_accept/").content.decode()
    assert "<html" in full and 'id="wl-body"' in full


def test_worklists_of_other_roles_and_unknown_keys_are_404(client: Client, city: City) -> None:
    client.force_login(city.users["operator"])
    assert client.get("/cases/worklist/to_handle/").status_code == 404
    assert client.get("/cases/worklist/nonsense/").status_code == 404


def test_pages_need_a_login(client: Client, city: City) -> None:
    response = client.get("/cases/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_scope_limits_the_lists(client: Client, city: City, make_user: Any) -> None:
    in_a = bulk_report(city, 1)
    operator_b = make_user("operator", "440304002")
    in_b = actions.report_case(
        operator_b,
        kind="matter",
        type_code="06001",
        title="园岭",
        lon=POINT_B[0],
        lat=POINT_B[1],
        source="public",
    )
    html_b = page_of(client, operator_b)
    assert numbers(html_b) == [in_b.number]
    district = page_of(client, city.users["operator"])
    assert sorted(numbers(district)) == sorted([in_a[0].number, in_b.number])


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/cases/", "/cases/worklist/to_accept/"])
def test_operator_pages_do_not_query_per_row(
    client: Client, city: City, url: str, django_assert_max_num_queries: Any
) -> None:
    bulk_report(city, 3, start=local(2026, 3, 2, 9))
    client.force_login(city.users["operator"])
    client.get(url)  # warm the calendar and limit caches
    few = queries_for(client, url)
    bulk_report(city, 27, start=local(2026, 3, 3, 9))
    with django_assert_max_num_queries(few):
        html = client.get(url).content.decode()
    assert len(numbers(html)) == 30


def test_handler_and_leader_pages_do_not_query_per_row(
    client: Client, city: City, loop: Loop, django_assert_max_num_queries: Any
) -> None:
    handler, leader = city.users["handler"], city.users["leader"]
    for _ in range(3):
        loop.drive("dispatched")
    client.force_login(handler)
    client.get("/cases/")
    few_handler = queries_for(client, "/cases/")
    client.force_login(leader)
    few_leader = queries_for(client, "/cases/")
    for _ in range(9):
        loop.drive("handling")
    client.force_login(handler)
    with django_assert_max_num_queries(few_handler):
        assert len(numbers(client.get("/cases/").content.decode())) == 12
    client.force_login(leader)
    with django_assert_max_num_queries(few_leader):
        assert len(numbers(client.get("/cases/").content.decode())) == 12
