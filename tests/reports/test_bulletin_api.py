"""The bulletin API (/api/reports/bulletins): the scoped archive, one bulletin's frozen
content, issuing on demand with the form's rules, the DOCX / XLSX files, bearer tokens."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from bulletin_support import local, march_day
from django.test import Client
from docx import Document
from openpyxl import load_workbook

from case_support import City
from yiwang.core.models import AuditEntry
from yiwang.org.models import Division
from yiwang.reports.bulletins import actions
from yiwang.reports.models import Bulletin

API = "/api/reports/bulletins"


def _token(user: Any) -> dict[str, str]:
    answer = Client().post(
        "/api/auth/token",
        {"username": user.username, "password": "test-pass-123"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    return {"HTTP_AUTHORIZATION": f"Bearer {answer.json()['token']}"}


def _session(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def issued(city: City) -> dict[str, Bulletin]:
    """福田区: daily 2 March v1 and v2, weekly of 2 March; 南园街道: daily 2 March."""
    march_day(city)
    leader = city.users["leader"]
    street_a = Division.objects.get(code="440304001")
    return {
        "daily1": actions.issue_on_demand(
            leader, "daily", date(2026, 3, 2), now=local(2026, 3, 3, 9)
        ),
        "daily2": actions.issue_on_demand(
            leader, "daily", date(2026, 3, 2), now=local(2026, 3, 3, 10)
        ),
        "weekly": actions.issue_on_demand(
            leader, "weekly", date(2026, 3, 4), now=local(2026, 3, 9, 9)
        ),
        "street": actions.issue(
            "daily", date(2026, 3, 2), street_a, now=local(2026, 3, 3, 8), trigger="scheduled"
        )
        or pytest.fail("not issued"),
    }


def test_list_is_scoped_newest_first_and_filtered(city: City, issued: dict[str, Bulletin]) -> None:
    answer = _session(city.users["leader"]).get(API)  # a browser session
    client = Client()  # and a bearer token below
    assert answer.status_code == 200
    body = answer.json()
    # The district leader sees the district's and its streets' bulletins; the weekly of
    # 2 March (a Monday) starts on the same day as the dailies: kinds sort daily < weekly.
    got = [(i["id"], i["kind"], i["version"], i["division_code"]) for i in body["items"]]
    assert got == [
        (issued["daily2"].pk, "daily", 2, "440304"),
        (issued["daily1"].pk, "daily", 1, "440304"),
        (issued["street"].pk, "daily", 1, "440304001"),
        (issued["weekly"].pk, "weekly", 1, "440304"),
    ]
    assert (body["count"], body["page"], body["page_size"]) == (4, 1, 20)
    first = body["items"][0]
    assert first["title"] == "福田区2026年3月2日城市管理问题日盘点"
    assert first["period"] == {"start": "2026-03-02", "end": "2026-03-02", "label": "2026年3月2日"}
    assert first["trigger"] == "on_demand"
    assert first["issued_by"] == city.users["leader"].username
    assert first["issued_at"].startswith("2026-03-03T02:00:00")  # 10:00 Shanghai in UTC
    weekly = body["items"][3]
    assert weekly["period"] == {
        "start": "2026-03-02",
        "end": "2026-03-08",
        "label": "2026年第10周（3月2日—3月8日）",
    }
    street = body["items"][2]
    assert (street["trigger"], street["issued_by"]) == ("scheduled", None)

    headers = _token(city.users["leader"])
    only_weekly = client.get(API, {"kind": "weekly"}, **headers).json()
    assert [i["id"] for i in only_weekly["items"]] == [issued["weekly"].pk]
    # 5 March lies in the week, not in the day.
    on_fifth = client.get(API, {"day": "2026-03-05"}, **headers).json()
    assert [i["id"] for i in on_fifth["items"]] == [issued["weekly"].pk]
    past_the_end = client.get(API, {"page": 2}, **headers).json()
    assert past_the_end["items"] == [] and past_the_end["count"] == 4

    # A street's shift lead sees only the street's bulletin.
    from yiwang.org import actions as org_actions

    street_lead = org_actions.create_staff(
        city.root,
        username="street-lead",
        password="test-pass-123",
        role="shift_lead",
        division_code="440304001",
    )
    mine = client.get(API, **_token(street_lead)).json()
    assert [i["id"] for i in mine["items"]] == [issued["street"].pk]


def test_content_is_the_frozen_content(city: City, issued: dict[str, Bulletin]) -> None:
    client = _session(city.users["dispatcher"])
    bulletin = issued["daily1"]
    answer = client.get(f"{API}/{bulletin.pk}")
    assert answer.status_code == 200
    body = answer.json()
    assert body == bulletin.content
    assert body["kind"] == "daily" and body["period_start"] == "2026-03-02"
    assert body["generated_at"] == "2026-03-03T09:00:00+08:00"
    assert body["division_code"] == "440304" and body["division_name"] == "福田区"
    assert body["sections"][0]["heading"].startswith("一、")


def test_issue_on_demand(city: City, issued: dict[str, Bulletin]) -> None:
    client = Client()
    headers = _token(city.users["shift_lead"])
    answer = client.post(
        API, {"kind": "daily", "day": "2026-03-02"}, content_type="application/json", **headers
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["version"] == 3 and body["trigger"] == "on_demand"
    assert body["issued_by"] == city.users["shift_lead"].username
    assert body["title"] == "福田区2026年3月2日城市管理问题日盘点"
    stored = Bulletin.objects.get(pk=body["id"])
    assert (stored.kind, stored.period_start, stored.version) == ("daily", date(2026, 3, 2), 3)
    assert AuditEntry.objects.filter(
        action="reports.issue_bulletin", object_id=str(stored.pk)
    ).exists()


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({"kind": "yearly", "day": "2026-03-02"}, 400, "invalid", "kind"),
        ({"kind": "daily", "day": "2026-03-02\x00"}, 400, "invalid", "day"),
        ({"kind": "daily", "day": "2026-02-30"}, 400, "invalid", "day"),
        ({"kind": "daily", "day": "99999-01-01"}, 400, "invalid", "day"),
        ({"kind": "daily", "day": 20260302}, 400, "invalid", "day"),
        ({"kind": "daily", "day": "1999-12-31"}, 400, "bad_date", "day"),
        ({"kind": "monthly", "day": "9999-12-31"}, 400, "bad_date", "day"),
        ({"kind": "weekly", "day": "2100-12-31"}, 400, "future_period", "day"),
        ({"kind": "daily"}, 400, "invalid", "day"),
    ],
)
def test_issue_refusals(
    city: City, payload: dict[str, Any], status: int, code: str, field: str
) -> None:
    answer = Client().post(
        API, payload, content_type="application/json", **_token(city.users["leader"])
    )
    assert answer.status_code == status, answer.content
    body = answer.json()
    assert (body["code"], body["field"]) == (code, field)
    assert not Bulletin.objects.exists()


def test_issue_refused_to_readers_without_the_issuer_role(city: City) -> None:
    for role in ("dispatcher", "operator", "inspector", "handler"):
        answer = Client().post(
            API,
            {"kind": "daily", "day": "2026-03-02"},
            content_type="application/json",
            **_token(city.users[role]),
        )
        assert answer.status_code == 403, role
        assert answer.json()["code"] == "forbidden_role"
    assert not Bulletin.objects.exists()


def test_files_are_the_page_downloads_and_audited(city: City, issued: dict[str, Bulletin]) -> None:
    bulletin = issued["weekly"]
    headers = _token(city.users["leader"])
    docx = Client().get(f"{API}/{bulletin.pk}/docx", **headers)
    assert docx.status_code == 200
    assert docx["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert docx["Content-Disposition"].startswith(
        f'attachment; filename="bulletin-{bulletin.pk}-v1.docx"'
    )
    assert docx["Cache-Control"] == "private, no-store"
    assert Document(io.BytesIO(docx.content)).paragraphs[0].text == bulletin.content["title"]
    xlsx = Client().get(f"{API}/{bulletin.pk}/xlsx", **headers)
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.worksheets[0]["A1"].value == bulletin.content["title"]
    formats = sorted(
        AuditEntry.objects.filter(
            action="reports.bulletin_downloaded", object_id=str(bulletin.pk)
        ).values_list("data__format", flat=True)
    )
    assert formats == ["docx", "xlsx"]


@pytest.mark.parametrize("suffix", ["", "/docx", "/xlsx"])
def test_refusals_by_role_scope_and_id(
    city: City, issued: dict[str, Bulletin], suffix: str
) -> None:
    district = issued["daily1"]
    for role in ("inspector", "handler"):
        answer = Client().get(f"{API}/{district.pk}{suffix}", **_token(city.users[role]))
        assert answer.status_code == 403, (role, suffix)
        assert answer.json()["code"] == "forbidden_role"
    # 园岭街道's shift lead does not see 福田区's or 南园街道's bulletins: 404, as for none.
    from yiwang.org import actions as org_actions

    other = org_actions.create_staff(
        city.root,
        username="lead-b",
        password="test-pass-123",
        role="shift_lead",
        division_code="440304002",
    )
    headers = _token(other)  # one token: token requests are rate limited per user
    for pk in (district.pk, issued["street"].pk, 2**63 - 1):
        answer = Client().get(f"{API}/{pk}{suffix}", **headers)
        assert answer.status_code == 404, pk
        assert answer.json()["code"] == "not_found"
    for pk in (str(2**63), "9" * 40, "0", "-1", "1.5", "abc"):
        answer = Client().get(f"{API}/{pk}{suffix}", **headers)
        assert answer.status_code == 400, pk
        assert answer.json()["field"] == "bulletin_id"
    assert Client().get(f"{API}/{district.pk}{suffix}").status_code == 401
    assert not AuditEntry.objects.filter(action="reports.bulletin_downloaded").exists()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": str(10**30)}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "x"}, "page"),
        ({"kind": "yearly"}, "kind"),
        ({"kind": "daily\x1b"}, "kind"),
        # A NUL anywhere in the address is refused before any view (the site's middleware).
        ({"kind": "daily\x00"}, None),
        ({"day": "2026-13-01"}, "day"),
        ({"day": "\x1b[31m"}, "day"),
        ({"day": "99999-01-01"}, "day"),
    ],
)
def test_list_refuses_hostile_queries(
    city: City, params: dict[str, str], field: str | None
) -> None:
    answer = Client().get(API, params, **_token(city.users["leader"]))
    assert answer.status_code == 400
    assert answer.json()["field"] == field


def test_list_refused_to_inspectors_and_strangers(city: City) -> None:
    answer = Client().get(API, **_token(city.users["inspector"]))
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden_role"
    assert Client().get(API).status_code == 401
    assert Client().get(API, HTTP_AUTHORIZATION="Bearer nonsense").status_code == 401


def test_issuing_on_demand_is_rate_limited_per_person(city: City, settings: Any) -> None:
    """One person may issue BULLETIN_ISSUE_RATE bulletins; the next is 429 with a wait, and
    writes nothing; another person still may."""
    settings.BULLETIN_ISSUE_RATE = "2/h"
    march_day(city)
    client = Client()
    headers = _token(city.users["leader"])
    body = {"kind": "daily", "day": "2026-03-02"}
    for version in (1, 2):
        answer = client.post(API, body, content_type="application/json", **headers)
        assert answer.status_code == 201 and answer.json()["version"] == version
    refused = client.post(API, body, content_type="application/json", **headers)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited" and "请在" in refused.json()["message"]
    assert int(refused["Retry-After"]) >= 1
    assert Bulletin.objects.filter(kind="daily").count() == 2
    other = client.post(
        API, body, content_type="application/json", **_token(city.users["shift_lead"])
    )
    assert other.status_code == 201 and other.json()["version"] == 3
