"""Hostile input, continued: the inspector's phone API, what public answers show, and two
identical submissions at once (real threads, each with its own connection; the tests run on
PostgreSQL as well as SQLite).

As in test_hostile_intake.py, each test failed before the fix named in its docstring (the
concurrency tests guard the fixes there under real contention).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from hostile_support import BROKEN_PNG, PHONE_REPORTS, nothing_filed, readable, signed_in
from hotline_support import hotline_fixture, order, post_order
from open311_support import BASE

from case_support import POINT_A, City, png
from concurrency import run_together
from public_support import form, media, photo
from yiwang.cases.models import Case, CasePhoto
from yiwang.intake.models import HotlineOrder, Submission

__all__ = ["hotline_fixture", "media"]  # fixtures


# ==== the inspector's phone (城管通) ===========================================================


def phone_report(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "kind": "matter",
        "type_code": "06010",
        "lon": POINT_A[0],
        "lat": POINT_A[1],
        "description": "路边垃圾堆放",
    }
    body.update(changes)
    return body


@pytest.mark.django_db
def test_a_phone_report_in_another_crs_is_converted_not_taken_as_wgs84(city: City) -> None:
    """Was: `crs` was an unknown field, silently dropped: a GCJ-02 point (what Chinese web maps
    give) was filed about 500 m away from the problem, or refused as outside every grid."""
    from yiwang.geo.crs import wgs84_to_gcj02

    client = signed_in(city.users["inspector"])
    lon, lat = wgs84_to_gcj02(*POINT_A)
    filed = client.post(
        PHONE_REPORTS,
        phone_report(lon=lon, lat=lat, crs="gcj02"),
        content_type="application/json",
    )
    assert filed.status_code == 201, filed.content
    case = Case.objects.get(number=filed.json()["number"])
    assert abs(case.lon - POINT_A[0]) < 1e-6 and abs(case.lat - POINT_A[1]) < 1e-6

    refused = client.post(
        PHONE_REPORTS, phone_report(crs="epsg:3857"), content_type="application/json"
    )
    assert refused.status_code == 400
    assert (refused.json()["code"], refused.json()["field"]) == ("unknown_crs", "crs")
    assert Case.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("urgent", ["yes", "false", 1, 0, [True]])
def test_urgent_is_true_or_false_and_nothing_else(city: City, urgent: Any) -> None:
    """Was: "yes", "false", 1 and 0 were read as booleans (pydantic's lax mode): a typo or a
    wrong client could file an urgent case, with its shorter deadline."""
    client = signed_in(city.users["inspector"])
    response = client.post(
        PHONE_REPORTS, phone_report(urgent=urgent), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "urgent"
    assert nothing_filed()


# ==== what public answers show ===============================================================


@pytest.mark.django_db
def test_a_hotline_callers_account_is_not_published_through_open311(
    city: City, hotline: Any
) -> None:
    content = "来电人张先生（13800138000）反映：华强南路 12 号 3 栋门口垃圾堆放。"
    attachment = "https://hotline.example.invalid/f/recording-0001.mp3"
    sent = post_order(
        Client(), order("P-1", content=content, attachments=[{"name": "录音", "url": attachment}])
    )
    assert sent.status_code == 201
    for fmt in ("json", "xml"):
        text = Client().get(f"{BASE}/requests.{fmt}").content.decode()
        assert sent.json()["case_number"] in text
        assert "13800138000" not in text and "张先生" not in text and attachment not in text


# ==== two identical submissions at once (real threads; run on PostgreSQL too) ================


@pytest.mark.django_db(transaction=True)
def test_the_same_public_page_sent_twice_at_once_files_one_case(city: City, media: Path) -> None:
    for round_ in range(1, 3):
        page = form()  # one page: one token

        def send(seed: int = round_, page: dict[str, Any] = page) -> Any:
            photos = [photo("a.png", png(seed))]
            return Client().post(
                "/report/", {**page, "photos": photos}, HTTP_ACCEPT="application/json"
            )

        answers = run_together([send, send])
        assert [a.status_code for a in answers] == [200, 200], answers
        assert answers[0].json()["code"] == answers[1].json()["code"]
        assert Case.objects.count() == Submission.objects.count() == round_
        assert CasePhoto.objects.count() == round_
    assert all(readable(p) for p in CasePhoto.objects.all())


@pytest.mark.django_db(transaction=True)
def test_the_same_hotline_order_sent_twice_at_once_is_one_order_and_one_case(
    city: City, hotline: Any
) -> None:
    for round_ in range(1, 3):
        sent = order(f"CC-{round_}")

        def send(sent: dict[str, Any] = sent) -> Any:
            return post_order(Client(), sent)

        answers = run_together([send, send])
        assert sorted(a.status_code for a in answers) == [200, 201], answers
        bodies = [a.json() for a in answers]
        assert {b["outcome"] for b in bodies} == {"created", "unchanged"}
        assert bodies[0]["case_number"] == bodies[1]["case_number"]
        assert bodies[0]["tracking_code"] == bodies[1]["tracking_code"]
        assert HotlineOrder.objects.count() == Case.objects.count() == round_


@pytest.mark.django_db(transaction=True)
def test_a_refused_report_at_the_same_moment_keeps_the_photo_the_other_one_stores(
    city: City, media: Path
) -> None:
    """The refused report releases the shared file under the file's lock: it waits for the
    other report to commit, sees its photo row and leaves the file."""
    for seed in range(20, 23):

        def good(seed: int = seed) -> Any:
            return Client().post(
                "/report/",
                {**form(), "photos": [photo("a.png", png(seed))]},
                HTTP_ACCEPT="application/json",
            )

        def bad(seed: int = seed) -> Any:
            photos = [photo("a.png", png(seed)), photo("b.png", BROKEN_PNG)]
            return Client().post(
                "/report/", {**form(), "photos": photos}, HTTP_ACCEPT="application/json"
            )

        answers = run_together([good, bad])
        assert [a.status_code for a in answers] == [200, 400], answers
    photos = list(CasePhoto.objects.all())
    assert len(photos) == 3 and all(readable(p) for p in photos)
