"""The case search page (案卷查询): filters, scope, sorting, paging, errors, query counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from case_steps import Loop, local
from django.test import Client
from django.utils import timezone

from case_support import POINT_B, City
from yiwang.cases.models import State
from yiwang.org.models import User

URL = "/cases/search/"


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def numbers_in(html: str) -> list[str]:
    """Case numbers of the result rows, in page order."""
    marker = '<tr data-number="'
    return [part.split('"', 1)[0] for part in html.split(marker)[1:]]


def search(client: Client, **params: Any) -> tuple[int, str]:
    response = client.get(URL, params)
    return response.status_code, response.content.decode()


@pytest.fixture
def loop(city: City) -> Loop:
    return Loop(city)


def test_filters_each_narrow_the_results(client: Client, city: City, loop: Loop) -> None:
    now = timezone.now()
    sidewalk = loop.report(title="人行道私搭乱建", address="深南大道 1 号", now=now)
    cover = loop.report(
        kind="component", type_code="01001", title="井盖破损", now=now - timedelta(minutes=5)
    )
    public_b = loop.report(source="public", point=POINT_B, title="园东垃圾堆放", now=now)
    dispatched = loop.drive("dispatched")
    signed_in(client, city.users["operator"])

    everything = numbers_in(search(client)[1])
    assert set(everything) == {sidewalk.number, cover.number, public_b.number, dispatched.number}

    def found(**params: Any) -> set[str]:
        status, html = search(client, **params)
        assert status == 200
        return set(numbers_in(html))

    assert found(number=cover.number[:6]) == {cover.number}  # "B01001…" prefix
    assert found(number=cover.number.lower()) == {cover.number}
    assert found(kind="component") == {cover.number}
    assert found(type="01001") == {cover.number}
    assert found(state=State.DISPATCHED) == {dispatched.number}
    assert found(street="440304002") == {public_b.number}
    assert found(grid="440304002001001") == {public_b.number}
    assert found(department=str(city.municipal.pk)) == {dispatched.number}
    assert found(source="public") == {public_b.number}
    assert found(q="深南大道") == {sidewalk.number}
    assert found(q="垃圾") == {public_b.number}
    assert found(street="440304001", kind="matter", source="inspector") == {
        sidewalk.number,
        dispatched.number,
    }


def test_date_range_uses_shanghai_days(client: Client, city: City, loop: Loop) -> None:
    # 00:30 on 1 March in Shanghai is still 28 February in UTC.
    early_march = loop.report(now=local(2026, 3, 1, 0, 30))
    late_feb = loop.report(now=local(2026, 2, 28, 23, 30))
    end_of_march_1 = loop.report(now=local(2026, 3, 1, 23, 59))
    march_2 = loop.report(now=local(2026, 3, 2, 0, 0))
    signed_in(client, city.users["operator"])

    html = search(client, date_from="2026-03-01", date_to="2026-03-01")[1]
    assert set(numbers_in(html)) == {early_march.number, end_of_march_1.number}
    html = search(client, date_to="2026-02-28")[1]
    assert set(numbers_in(html)) == {late_feb.number}
    html = search(client, date_from="2026-03-02")[1]
    assert set(numbers_in(html)) == {march_2.number}


def test_overdue_only_shows_cases_past_their_stage_limit(
    client: Client, city: City, loop: Loop
) -> None:
    late = loop.report(title="早已超期", now=timezone.now() - timedelta(days=10))
    fresh = loop.report(title="刚刚上报")
    closed_late = loop.drive("voided", now=timezone.now() - timedelta(days=10))
    signed_in(client, city.users["operator"])

    html = search(client, overdue="on")[1]
    assert numbers_in(html) == [late.number]
    assert fresh.number in numbers_in(search(client)[1])
    assert closed_late.number in numbers_in(search(client)[1])
    # The overdue row wears the red light, the fresh one is green.
    row = html.split(f'data-number="{late.number}"')[1].split("</tr>")[0]
    assert "light-red" in row and "超期" in row
    fresh_row = search(client)[1].split(f'data-number="{fresh.number}"')[1].split("</tr>")[0]
    assert "light-green" in fresh_row


def test_a_street_inspector_sees_only_their_street(client: Client, city: City, loop: Loop) -> None:
    mine = loop.report(title="南园的问题")
    theirs = loop.report(source="public", point=POINT_B, title="园岭的问题")
    signed_in(client, city.users["inspector"])

    html = search(client)[1]
    assert numbers_in(html) == [mine.number]
    assert theirs.number not in html
    # Asking for the other street by code gives nothing, not their cases.
    assert numbers_in(search(client, street="440304002")[1]) == []
    assert numbers_in(search(client, number=theirs.number)[1]) == []
    # The street select offers only the inspector's own street.
    assert 'value="440304001"' in html and 'value="440304002"' not in html


def test_bad_input_shows_a_chinese_error_and_no_results(
    client: Client, city: City, loop: Loop
) -> None:
    case = loop.report()
    signed_in(client, city.users["operator"])

    status, html = search(client, date_from="2026-03-05", date_to="2026-03-01")
    assert status == 400
    assert "开始日期不能晚于结束日期。" in html
    assert numbers_in(html) == []
    assert case.number not in html

    status, html = search(client, date_from="2026-02-30")
    assert status == 400
    assert "日期格式不正确" in html
    assert numbers_in(html) == []

    status, html = search(client, state="no-such-state")
    assert status == 400 and "请从列表中选择。" in html

    # The same search as an HTMX swap puts the error next to the field, out of band.
    response = client.get(
        URL, {"date_from": "2026-03-05", "date_to": "2026-03-01"}, HTTP_HX_REQUEST="true"
    )
    fragment = response.content.decode()
    assert '<span id="err-date_from" class="field-error" hx-swap-oob="true">' in fragment
    assert "开始日期不能晚于结束日期。" in fragment
    assert "<html" not in fragment


def test_htmx_request_gets_only_the_results(client: Client, city: City, loop: Loop) -> None:
    case = loop.report()
    signed_in(client, city.users["operator"])
    fragment = client.get(URL, {"q": "测试"}, HTTP_HX_REQUEST="true").content.decode()
    assert numbers_in(fragment) == [case.number]
    assert "<html" not in fragment and 'id="case-search-form"' not in fragment
    # The sort key of the form follows the results (sort links are swapped in too).
    assert 'id="search-sort"' in fragment and 'hx-swap-oob="true"' in fragment
    page = client.get(URL, {"q": "测试"}).content.decode()
    assert 'id="case-search-form"' in page and f"/cases/{case.number}/" in page


def test_pagination_and_sorting(client: Client, city: City, loop: Loop) -> None:
    start = timezone.now() - timedelta(hours=60)
    made = [loop.report(now=start + timedelta(minutes=i)) for i in range(55)]
    signed_in(client, city.users["operator"])

    status, first = search(client)
    assert status == 200
    newest_first = [c.number for c in reversed(made)]
    assert numbers_in(first) == newest_first[:50]
    assert "共 55 件" in first
    assert "第 1 / 2 页" in first
    second = search(client, page="2")[1]
    assert numbers_in(second) == newest_first[50:]

    oldest = numbers_in(search(client, sort="reported")[1])
    assert oldest == [c.number for c in made][:50]
    by_number = numbers_in(search(client, sort="number")[1])
    assert by_number == sorted(c.number for c in made)[:50]
    by_number_desc = numbers_in(search(client, sort="-number")[1])
    assert by_number_desc == sorted((c.number for c in made), reverse=True)[:50]
    # An unknown sort key falls back to newest first rather than failing.
    assert numbers_in(search(client, sort="password")[1]) == newest_first[:50]


def test_a_capped_count_reads_10000_plus(
    client: Client, city: City, loop: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yiwang.cases import queries

    for _ in range(4):
        loop.report()
    # The cap itself is a setting of the read side; 3 stands in for 10,000.
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    signed_in(client, city.users["operator"])
    assert "共 3+ 件" in search(client)[1]


def test_query_count_does_not_grow_with_rows(
    client: Client, city: City, loop: Loop, django_assert_max_num_queries: Any
) -> None:
    signed_in(client, city.users["operator"])
    for _ in range(3):
        loop.drive("dispatched")
    client.get(URL)  # warm the calendar and time-limit caches

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        html = search(client)[1]
    assert len(numbers_in(html)) == 3
    for _ in range(27):
        loop.drive("dispatched")
    with CaptureQueriesContext(connection) as many:
        html = search(client)[1]
    assert len(numbers_in(html)) == 30
    assert len(many.captured_queries) == len(few.captured_queries)
    with django_assert_max_num_queries(15):
        search(client, overdue="on", street="440304001")
