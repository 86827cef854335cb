"""After a merge every reporter follows the one case that carries the result (issue 7, item 6):
the public status page and nearby list, Open311 (`requests/{id}`, `requests`,
`servicerequestupdates`) and the hotline's outbound messages. Each merge here is a real one,
made by an operator through the workflow's `merge` move."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone
from hotline_support import (  # noqa: F401  (fixtures)
    CALLBACK_SECRET,
    CallbackServer,
    callback_server_fixture,
    hmac_signature,
    hotline_fixture,
    order,
    post_order,
)
from open311_support import UPDATE_FIELDS, get, parse, requests_of

from case_support import POINT_A, City
from public_support import media, move, report
from yiwang.cases import actions as case_actions
from yiwang.cases.models import Case
from yiwang.intake.actions import hotline as hotline_actions
from yiwang.intake.models import HotlineMessage, HotlineOrder, HotlineSystem
from yiwang.intake.tasks import hotline_outbound as hotline_outbound_task

__all__ = ["media"]  # the autouse fixture

SHANGHAI = ZoneInfo("Asia/Shanghai")
MERGED_TEXT = "您反映的问题已与同一位置的其他反映合并处理"
FORMATS = ["json", "xml"]


def merge(city: City, duplicate: Case, into: Case) -> Case:
    """The operator merges `duplicate` into `into` (合并到此案卷)."""
    return move(duplicate, "merge", city.users["operator"], into=into.number)


def close(city: City, case: Case, result: str) -> None:
    """The rest of the loop to 结案, from wherever before 派遣 the case is."""
    u = city.users

    def state() -> str:
        return Case.objects.get(pk=case.pk).state

    if state() == "reported":
        move(case, "to_verify", u["operator"])
    if state() == "pending_verify":
        move(case, "send_verify", u["operator"], inspector_id=u["inspector"].pk)
        move(case, "verify_confirm", u["inspector"], note="现场属实")
    if state() == "pending_register":
        move(case, "register", u["shift_lead"], note="属实，立案。")
    move(case, "dispatch", u["dispatcher"], department_id=city.municipal.pk)
    move(case, "accept_task", u["handler"])
    move(case, "finish", u["handler"], result=result)
    move(case, "send_check", u["operator"], inspector_id=u["inspector"].pk)
    move(case, "check_pass", u["inspector"])
    move(case, "close", u["shift_lead"], note="核查通过，结案。")


# ---- the public status page and the nearby list ----------------------------------------------


def track(code: str) -> str:
    response = Client().get(f"/report/track/{code}/")
    assert response.status_code == 200
    return response.content.decode()


def status_of(html: str) -> str:
    found = re.search(r'id="track-status">([^<]*)<', html)
    return found.group(1) if found else ""


def marks(html: str) -> list[str]:
    return [
        m.strip()
        for m in re.findall(r'<li class="progress-step( done| current)?" data-step="\w+">', html)
    ]


@pytest.mark.django_db
def test_the_status_page_of_a_merged_report_shows_the_one_case_and_nothing_of_the_other(
    city: City,
) -> None:
    mine = report(now=datetime(2026, 3, 2, 9, tzinfo=SHANGHAI))
    other = report(
        now=datetime(2026, 3, 2, 9, 20, tzinfo=SHANGHAI),
        phone="13912345678",
        description="另一位市民：井盖被车压碎了",
        address="华富路公交站对面",
    )
    own, carrying = mine.case, other.case
    assert own is not None and carrying is not None
    # The other report is verified first; then the operator merges mine into it.
    move(carrying, "send_verify", city.users["operator"], inspector_id=city.users["inspector"].pk)
    move(carrying, "verify_confirm", city.users["inspector"], note="现场属实")
    html = track(mine.tracking_code)
    assert MERGED_TEXT not in html and status_of(html) == "待核实"

    merge(city, own, carrying)
    html = track(mine.tracking_code)
    assert MERGED_TEXT in html
    # The other case's progress: verified, waiting for 立案.
    assert status_of(html) == "待立案"
    assert marks(html) == ["done", "done", "current", "", "", ""]
    # What I reported stays mine: the type, the date I sent it.
    assert "供水井盖异常" in html and "2026-03-02 09:00" in html
    # Nothing of the other report: its code, number, phone, words, address.
    private = [other.tracking_code, carrying.number, "13912345678", "5678", "压碎", "华富路公交站"]
    for text in [*private, own.number]:
        assert text not in html, text

    close(city, carrying, "已更换新井盖并设置警示")
    html = track(mine.tracking_code)
    assert status_of(html) == "已结案" and marks(html) == ["done"] * 6
    assert "已更换新井盖并设置警示" in html and MERGED_TEXT in html
    # The other reporter's own page says nothing of a merge.
    assert MERGED_TEXT not in track(other.tracking_code)

    # The merge undone: my report stands alone again, with its own progress.
    move(own, "unmerge", city.users["operator"], note="不是同一个井盖")
    html = track(mine.tracking_code)
    assert MERGED_TEXT not in html and status_of(html) == "待核实"


@pytest.mark.django_db
def test_nearby_a_merged_report_shows_the_state_of_the_case_it_follows(city: City) -> None:
    now = timezone.now()
    first = report(now=now - timedelta(hours=2))
    second = report(now=now - timedelta(hours=1))
    assert first.case is not None and second.case is not None
    merge(city, first.case, second.case)
    close(city, second.case, "已修复")
    html = Client().get("/report/nearby/", {"lon": POINT_A[0], "lat": POINT_A[1]}).content
    states = re.findall(r'<span class="public-status[^"]*">([^<]*)</span>', html.decode())
    assert states == ["已结案", "已结案"]


# ---- Open311 ---------------------------------------------------------------------------------


def _filed(city: City, description: str) -> Case:
    return case_actions.report_case(
        city.users["operator"],
        kind="matter",
        type_code="06010",
        title="路边垃圾",
        description=description,
        lon=POINT_A[0],
        lat=POINT_A[1],
        source="public",
        contact_phone="13912345678",
    )


def _one(fmt: str, number: str, **params: Any) -> dict[str, Any]:
    response = get(Client(), f"requests/{number}", fmt, **params)
    assert response.status_code == 200
    (item,) = requests_of(response, fmt)
    return item


def _ids(fmt: str, **params: Any) -> list[str]:
    response = get(Client(), "requests", fmt, **params)
    assert response.status_code == 200
    return [str(r["service_request_id"]) for r in requests_of(response, fmt)]


def _w3c(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_open311_reports_a_merged_request_as_the_case_carrying_its_result(
    city: City, fmt: str
) -> None:
    duplicate = _filed(city, "第一次反映：路口垃圾")
    carrying = _filed(city, "第二次反映：路口垃圾成堆")
    assert _one(fmt, duplicate.number)["status_notes"] == "待受理"

    merge(city, duplicate, carrying)
    item = _one(fmt, duplicate.number)
    assert item["status"] == "open"
    assert item["status_notes"] == f"已与同一位置的其他反映合并处理（{carrying.number}）：待受理"
    # Its own request still: its id, words and report time.
    assert item["service_request_id"] == duplicate.number
    assert item["description"] == "第一次反映：路口垃圾"
    assert _ids(fmt, status="open").count(duplicate.number) == 1
    assert duplicate.number not in _ids(fmt, status="closed")
    merged_at = timezone.now()

    close(city, carrying, "垃圾已清运")
    item = _one(fmt, duplicate.number)
    carrying.refresh_from_db()
    assert item["status"] == "closed"
    assert item["status_notes"] == f"已与同一位置的其他反映合并处理（{carrying.number}）：已结案"
    assert item["agency_responsible"] == city.municipal.name
    assert datetime.fromisoformat(item["updated_datetime"]) >= carrying.closed_at.replace(
        microsecond=0
    )
    assert duplicate.number in _ids(fmt, status="closed")
    assert duplicate.number not in _ids(fmt, status="open")
    # A client syncing what moved since the merge gets it: the case carrying its result moved.
    assert duplicate.number in _ids(fmt, updated_after=_w3c(merged_at))
    # Listed with every other request, in the specification's shape (checked by requests_of).
    assert set(_ids(fmt)) == {duplicate.number, carrying.number}
    assert "13912345678" not in get(Client(), "requests", fmt).content.decode()


@pytest.mark.django_db
def test_open311_extensions_go_on_with_the_moves_made_after_the_merge(city: City) -> None:
    duplicate = _filed(city, "第一次反映")
    carrying = _filed(city, "第二次反映")
    move(carrying, "to_verify", city.users["operator"])
    merge(city, duplicate, carrying)
    close(city, carrying, "已清运")
    item = Client().get(f"/open311/v2/requests/{duplicate.number}.json?extensions=true").json()[0]
    assert item["extended_attributes"]["state"] == "merged"
    moves = [n["type"] for n in item["notes"]]
    # Its own report and merge, then the other case's moves after the merge (not its earlier
    # to_verify, nor the timeline row about this merge on the other case).
    assert moves == [
        "report",
        "merge",
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


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_servicerequestupdates_give_a_merged_request_the_moves_of_its_case(
    city: City, fmt: str
) -> None:
    start = timezone.now() - timedelta(minutes=1)
    duplicate = _filed(city, "第一次反映")
    carrying = _filed(city, "第二次反映")
    move(carrying, "to_verify", city.users["operator"])  # before the merge: not the duplicate's
    merge(city, duplicate, carrying)
    close(city, carrying, "已清运")
    end = timezone.now() + timedelta(minutes=1)
    response = get(
        Client(), "servicerequestupdates", fmt, start_date=_w3c(start), end_date=_w3c(end)
    )
    assert response.status_code == 200
    body = parse(response, fmt)
    updates = body if fmt == "json" else [{c.tag: c.text or "" for c in u} for u in body]
    for update in updates:
        assert set(update) >= UPDATE_FIELDS
    mine = [u for u in updates if u["service_request_id"] == duplicate.number]
    # Reported, merged (still open: it follows an open case), then each move of the other
    # case from 派发核实 to 结案 — the last one closes it.
    assert [u["status"] for u in mine] == ["open"] * 10 + ["closed"]
    assert [u["external_status_code"] for u in mine][:2] == ["reported", "merged"]
    assert mine[-1]["external_status_code"] == "closed"
    assert all("合并处理" in u["description"] for u in mine[1:])
    theirs = [u for u in updates if u["service_request_id"] == carrying.number]
    assert len(theirs) == 12  # report, to_verify, the merged_in row, nine moves to 结案
    # Every update has its own id (FixMyStreet keys comments by it).
    ids = [str(u["update_id"]) for u in updates]
    assert len(ids) == len(set(ids))


# ---- the 12345 hotline -----------------------------------------------------------------------


def _order_case(number_of: str) -> Case:
    response = post_order(Client(), order(number_of))
    assert response.status_code == 201, response.content
    return Case.objects.get(number=response.json()["case_number"])


def _bodies(server: CallbackServer) -> dict[tuple[str, str], dict[str, Any]]:
    """The received calls by (order, event), each signature checked with hmac here."""
    found = {}
    for received in server.received:
        headers = {k.lower(): v for k, v in received.headers.items()}
        timestamp = headers["x-yiwang-timestamp"]
        signature = hmac_signature(CALLBACK_SECRET, timestamp, received.body)
        assert headers["x-yiwang-signature"] == signature
        body = json.loads(received.body)
        found[(body["order_id"], body["event"])] = body
    return found


@pytest.mark.django_db(transaction=True)
def test_a_merged_hotline_order_hears_the_outcomes_of_the_case_it_follows(
    city: City, hotline: HotlineSystem, callback_server: CallbackServer
) -> None:
    hotline_actions.update_system(city.root, hotline.pk, callback_url=callback_server.url)
    duplicate = _order_case("M-1")
    carrying = _order_case("M-2")
    merge(city, duplicate, carrying)
    assert hotline_outbound_task.call() == {"queued": 0, "attempted": 0}

    # 立案 of the case carrying the result: both orders hear it.
    move(carrying, "to_verify", city.users["operator"])
    move(carrying, "send_verify", city.users["operator"], inspector_id=city.users["inspector"].pk)
    move(carrying, "verify_confirm", city.users["inspector"])
    move(carrying, "register", city.users["shift_lead"], note="属实，立案。")
    assert hotline_outbound_task.call() == {"queued": 2, "attempted": 2}
    registered = _bodies(callback_server)
    assert sorted(registered) == [("M-1", "registered"), ("M-2", "registered")]
    told = registered[("M-1", "registered")]
    assert told["case_number"] == duplicate.number and told["merged_into"] == carrying.number
    assert "merged_into" not in registered[("M-2", "registered")]
    # The order follows an open case: still watched.
    assert not HotlineOrder.objects.get(order_id="M-1").outcome_done

    close(city, carrying, "垃圾已清运，路面已冲洗。")
    assert hotline_outbound_task.call() == {"queued": 2, "attempted": 2}
    bodies = _bodies(callback_server)
    closed = bodies[("M-1", "closed")]
    assert closed["event"] == "closed" and closed["state"] == "closed"
    assert closed["result"] == "垃圾已清运，路面已冲洗。"
    assert closed["case_number"] == duplicate.number and closed["merged_into"] == carrying.number
    assert bodies[("M-2", "closed")]["result"] == "垃圾已清运，路面已冲洗。"
    # One message per order and outcome, the same timeline row reported to both orders.
    assert HotlineMessage.objects.filter(event="closed").count() == 2
    assert set(HotlineOrder.objects.values_list("outcome_done", flat=True)) == {True}
    assert hotline_outbound_task.call() == {"queued": 0, "attempted": 0}
    assert len(callback_server.received) == 4


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_merged_notice_reads_well_on_a_phone(
    browser_page: Any, live_server: Any, city: City
) -> None:
    mine, other = report(), report(description="另一位市民的反映")
    assert mine.case is not None and other.case is not None
    merge(city, mine.case, other.case)
    context = browser_page.context.browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/report/track/{mine.tracking_code}/")
        assert MERGED_TEXT in page.inner_text("#track-merged")
        assert page.inner_text("#track-status") == "待核实"
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path="/tmp/public-track-merged.png", full_page=True)
    finally:
        context.close()
