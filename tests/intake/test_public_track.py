"""The reporter's status page: progress through the loop with dates, nothing personal."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from case_support import City
from public_support import media, move, report
from yiwang.cases.models import Case

__all__ = ["media"]  # the autouse fixture

SHANGHAI = ZoneInfo("Asia/Shanghai")
KEYS = ("received", "verify", "register", "dispatch", "handle", "close")


def at(hour: int, minute: int = 0) -> datetime:
    """Monday 2 March 2026 (a working day) on the Shanghai wall clock."""
    return datetime(2026, 3, 2, hour, minute, tzinfo=SHANGHAI)


def progress(html: str) -> dict[str, tuple[str, str]]:
    """Each step's mark (done / current / "") and the time it shows."""
    found = {}
    for mark, key, body in re.findall(
        r'<li class="progress-step( done| current| ended)?" data-step="(\w+)">(.*?)</li>',
        html,
        re.S,
    ):
        time = re.search(r"<time[^>]*>([^<]*)</time>", body)
        found[key] = (mark.strip(), time.group(1) if time else "")
    return found


def status_of(html: str) -> str:
    found = re.search(r'id="track-status">([^<]*)<', html)
    return found.group(1) if found else ""


def page(code: str) -> str:
    response = Client().get(f"/report/track/{code}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_status_page_follows_the_case_through_the_loop_without_personal_data(
    city: City,
) -> None:
    submission = report(phone="13912345678", now=at(9))
    case: Case = submission.case  # type: ignore[assignment]
    u = city.users
    code = submission.tracking_code

    html = page(code)
    assert status_of(html) == "待核实"
    assert progress(html) == {
        "received": ("done", "2026-03-02 09:00"),
        "verify": ("current", ""),
        "register": ("", ""),
        "dispatch": ("", ""),
        "handle": ("", ""),
        "close": ("", ""),
    }

    move(case, "send_verify", u["operator"], now=at(9, 10), inspector_id=u["inspector"].pk)
    move(case, "verify_confirm", u["inspector"], now=at(9, 40), note="现场属实")
    html = page(code)
    assert status_of(html) == "待立案"
    assert progress(html)["verify"] == ("done", "2026-03-02 09:40")
    assert progress(html)["register"] == ("current", "")

    move(case, "register", u["shift_lead"], now=at(10))
    move(case, "dispatch", u["dispatcher"], now=at(10, 20), department_id=city.municipal.pk)
    html = page(code)
    assert status_of(html) == "处置中"
    assert progress(html)["register"] == ("done", "2026-03-02 10:00")
    assert progress(html)["dispatch"] == ("done", "2026-03-02 10:20")
    assert progress(html)["handle"] == ("current", "")

    move(case, "accept_task", u["handler"], now=at(10, 30))
    move(case, "finish", u["handler"], now=at(14, 30), result="已更换新井盖并设置警示")
    html = page(code)
    assert status_of(html) == "待结案"
    assert progress(html)["handle"] == ("done", "2026-03-02 14:30")
    assert "已更换新井盖" not in html  # the result is shown once the case is closed

    move(case, "send_check", u["operator"], now=at(14, 40), inspector_id=u["inspector"].pk)
    move(case, "check_pass", u["inspector"], now=at(15))
    move(case, "close", u["shift_lead"], now=at(15, 30), note="结案")
    html = page(code)
    assert status_of(html) == "已结案"
    assert [mark for mark, _ in progress(html).values()] == ["done"] * 6
    assert progress(html)["close"] == ("done", "2026-03-02 15:30")
    assert "已更换新井盖并设置警示" in html

    # Nothing personal: no phone, no typed address or description, no staff, no department.
    staff = [u[k] for k in ("operator", "inspector", "shift_lead", "dispatcher", "handler")]
    personal = ["13912345678", "5678", "深南大道", "行人踩空", "现场属实", city.municipal.name]
    personal += [user.username for user in staff]
    personal += [user.display_name for user in staff if user.display_name]
    for text in personal:
        assert text not in html, text
    # Only coarse place names (street, community).
    assert "南园街道 南华社区" in html


@pytest.mark.django_db
def test_a_report_set_aside_says_so_without_the_staff_reason(city: City) -> None:
    submission = report(now=at(9))
    case: Case = submission.case  # type: ignore[assignment]
    move(case, "request_void", city.users["operator"], now=at(9, 30), note="重复上报，张三核对")
    move(case, "approve_void", city.users["shift_lead"], now=at(9, 45))
    html = page(submission.tracking_code)
    assert status_of(html) == "未立案"
    steps = progress(html)
    assert steps["received"] == ("done", "2026-03-02 09:00")
    assert steps["voided"] == ("ended", "2026-03-02 09:45")
    assert all(mark == "" for key, (mark, _) in steps.items() if key not in ("received", "voided"))
    assert "张三" not in html and "重复上报" not in html


@pytest.mark.django_db
def test_codes_can_be_typed_in_any_case_and_with_dashes(city: City) -> None:
    code = report().tracking_code
    typed = f"{code[:4].lower()}-{code[4:]}"
    response = Client().get("/report/track/", {"code": typed})
    assert response.status_code == 302 and response["Location"] == f"/report/track/{code}/"
    assert Client().get("/report/track/").status_code == 200


@pytest.mark.django_db
def test_an_unknown_code_gets_a_friendly_404_and_a_malformed_one_a_400(city: City) -> None:
    unknown = Client().get("/report/track/ABCDEFGHJK/")
    assert unknown.status_code == 404
    html = unknown.content.decode()
    assert "没有找到查询码为 ABCDEFGHJK 的上报" in html and 'name="code"' in html
    malformed = Client().get("/report/track/", {"code": "12"})
    assert malformed.status_code == 400
    assert "查询码由 10 位字母和数字组成" in malformed.content.decode()
    assert Client().get("/report/done/ABCDEFGHJK/").status_code == 404


@pytest.mark.django_db
def test_code_lookups_are_rate_limited_per_address(city: City, settings: Any) -> None:
    settings.PUBLIC_TRACK_RATE = "3/h"
    code = report().tracking_code
    guesser = Client(REMOTE_ADDR="198.51.100.9")
    for guess in ("ABCDEFGHJK", "BCDEFGHJKM", "CDEFGHJKMN"):
        assert guesser.get(f"/report/track/{guess}/").status_code == 404
    refused = guesser.get(f"/report/track/{code}/")
    assert refused.status_code == 429
    assert "查询过于频繁" in refused.content.decode()
    assert int(refused["Retry-After"]) >= 1
    # The reporter on another address is not affected.
    assert Client(REMOTE_ADDR="198.51.100.10").get(f"/report/track/{code}/").status_code == 200
