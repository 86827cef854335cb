"""The public report form, end to end with the test client: what a visitor sends, what is stored."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from case_support import POINT_A, City
from public_support import URL, form, media, photo, png, post, service_id, stored_files
from yiwang.cases.actions.photos import Upload
from yiwang.cases.models import Case, CaseEvent, CasePhoto
from yiwang.core.models import AuditEntry
from yiwang.intake.actions import public as public_actions
from yiwang.intake.models import PublicPhotoReview, Submission

__all__ = ["media"]  # the autouse fixture


def field_error(html: str, name: str) -> str:
    found = re.search(rf'data-error-for="{name}">([^<]*)<', html)
    return found.group(1).strip() if found else ""


@pytest.mark.django_db
def test_the_page_offers_picture_tiles_a_search_and_a_map(city: City) -> None:
    html = Client().get(URL).content.decode()
    # Nine tiles by default, the first and the last of them by name.
    assert html.count('class="tile"') == 9
    assert "市政设施" in html and "其他问题" in html
    assert 'id="type-search"' in html and 'id="public-map"' in html
    assert 'id="use-location"' in html
    # The honeypot is in the form, hidden from people.
    assert 'name="website"' in html and 'class="hp" aria-hidden="true"' in html


@pytest.mark.django_db
def test_a_visitor_reports_with_a_photo_and_follows_the_code(city: City, media: Path) -> None:
    client = Client()
    response = post(
        client, form(phone="138 0013 8000", photos=[photo("IMG_0001.jpg", png(seed=1))])
    )
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert response["Location"] == f"/report/done/{submission.tracking_code}/"

    case = Case.objects.get()
    assert submission.case_id == case.pk and submission.channel == "public"
    # Public reports enter as 待核实: filed by the public channel, accepted for verification.
    assert case.source == "public"
    assert case.state == "pending_verify"
    assert case.reporter is not None and case.reporter.username == "channel.public"
    assert case.type.code == "01001" and case.kind == "matter"
    assert case.title == "供水井盖异常"
    assert case.description == "井盖破损，有行人踩空的危险"
    assert case.address == "深南大道与华富路交叉口东北角"
    assert case.grid.code == "440304001001001"
    # The call-back number in one spelling, for the staff who call back.
    assert submission.contact_phone == "13800138000" == case.contact_phone
    moves = list(CaseEvent.objects.filter(case=case).values_list("transition", flat=True))
    assert moves == ["report", "to_verify", "photo"]

    stored = CasePhoto.objects.get(case=case)
    assert stored.phase == "before" and stored.content_type == "image/png"
    files = stored_files(media)
    assert len(files) == 1 and files[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert PublicPhotoReview.objects.get(photo=stored).status == "pending"
    assert AuditEntry.objects.filter(action="intake.public.report").count() == 1

    done = client.get(response["Location"]).content.decode()
    assert submission.tracking_code in done
    assert f'href="/report/track/{submission.tracking_code}/"' in done
    status = client.get(f"/report/track/{submission.tracking_code}/")
    assert status.status_code == 200
    text = status.content.decode()
    assert "待核实" in text and "供水井盖异常" in text
    for personal in ("13800138000", "138 0013 8000", "8000", "channel.public", "深南大道"):
        assert personal not in text


@pytest.mark.django_db
def test_the_page_script_gets_json_and_a_double_submit_files_one_case(city: City) -> None:
    client = Client()
    data = form()
    first = post(client, data, HTTP_ACCEPT="application/json")
    assert first.status_code == 200
    body = first.json()
    assert body["ok"] is True and body["redirect"] == f"/report/done/{body['code']}/"
    again = post(client, data, HTTP_ACCEPT="application/json")
    assert again.json()["code"] == body["code"]
    assert Case.objects.count() == 1 and Submission.objects.count() == 1

    refused = post(client, form(type=""), HTTP_ACCEPT="application/json")
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"type": ["请选择问题类型。"]}


def _nothing_stored(media: Path) -> None:
    assert Case.objects.count() == 0
    assert Submission.objects.count() == 0
    assert CasePhoto.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"type": ""}, "type", "请选择问题类型。"),
        ({"type": "999999"}, "type", "请选择问题类型。"),
        ({"lon": "", "lat": ""}, "location", "请在地图上点选问题位置"),
        ({"lon": "abc"}, "location", "请在地图上点选问题位置"),
        # A point in Guangdong but in no unit grid of the city.
        ({"lon": "114.20", "lat": "22.70"}, "location", "不在任何单元网格内"),
        ({"description": ""}, "description", "请描述一下问题。"),
        ({"description": "   "}, "description", "请描述一下问题。"),
        ({"description": "井盖\x1b[31m坏了"}, "description", "不能包含控制字符"),
        ({"description": "井" * 1001}, "description", "不能超过 1000 字"),
        ({"address": "路口\x00东"}, "address", "不能包含控制字符"),
        ({"phone": "12345"}, "phone", "回访电话格式不正确"),
        ({"phone": "1380013800a"}, "phone", "回访电话格式不正确"),
    ],
)
def test_each_refused_field_gets_its_own_chinese_message(
    city: City, media: Path, changes: dict[str, str], field: str, message: str
) -> None:
    response = post(Client(), form(**changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in field_error(html, field)
    # The typed text comes back so nothing has to be typed again.
    if field != "description":
        assert "井盖破损，有行人踩空的危险" in html
    _nothing_stored(media)


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("photos", "message"),
    [
        ([photo(f"p{i}.jpg", png(seed=i)) for i in range(4)], "最多上传 3 张照片"),
        (
            # A PNG header and 5 MB + 1 byte in all: one byte over the limit.
            [photo("big.jpg", png() + b"\0" * (5 * 1024 * 1024 + 1 - len(png())))],
            "第 1 张照片超过 5 MB",
        ),
        ([photo("ok.jpg"), photo("vector.jpg", SVG, "image/jpeg")], "第 2 张照片不是 JPEG"),
        ([photo("page.jpg", HTML, "image/jpeg")], "第 1 张照片不是 JPEG"),
        ([photo("empty.jpg", b"", "image/jpeg")], "第 1 张照片是空文件"),
    ],
)
def test_photos_are_limited_and_checked_by_content(
    city: City, media: Path, photos: list[Any], message: str
) -> None:
    response = post(Client(), form(photos=photos))
    assert response.status_code == 400
    assert message in field_error(response.content.decode(), "photos")
    _nothing_stored(media)


@pytest.mark.django_db
def test_a_body_too_large_for_three_photos_is_refused_before_it_is_read(
    city: City, media: Path
) -> None:
    huge = png() + b"\0" * (16 * 1024 * 1024)
    response = post(Client(), form(photos=[photo("huge.jpg", huge)]))
    assert response.status_code == 413
    assert "照片总大小超过上限" in field_error(response.content.decode(), "photos")
    _nothing_stored(media)


@pytest.mark.django_db
def test_a_robot_filling_the_honeypot_is_refused_quietly_and_logged(
    city: City, media: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="yiwang.intake.public"):
        response = post(Client(), form(website="http://spam.example"))
    assert response.status_code == 400
    html = response.content.decode()
    # The page does not say which field gave it away.
    assert "提交未被受理" in html and "网址" not in field_error(html, "type")
    assert any("honeypot" in r.getMessage() for r in caplog.records)
    _nothing_stored(media)


@pytest.mark.django_db
def test_too_many_reports_from_one_address_get_429_in_chinese(
    city: City, settings: Any, media: Path
) -> None:
    settings.PUBLIC_REPORT_RATE = "2/h"
    client = Client(REMOTE_ADDR="203.0.113.7")
    assert post(client, form(type="")).status_code == 400  # refused ones count too
    assert post(client, form(type="")).status_code == 400
    third = post(client, form())
    assert third.status_code == 429
    assert "提交过于频繁" in third.content.decode()
    assert 1 <= int(third["Retry-After"]) <= 3600
    as_json = post(client, form(), HTTP_ACCEPT="application/json")
    assert as_json.status_code == 429 and "提交过于频繁" in as_json.json()["message"]
    _nothing_stored(media)
    # Another address is counted on its own.
    assert post(Client(REMOTE_ADDR="203.0.113.8"), form()).status_code == 302


@pytest.mark.django_db
def test_a_storage_failure_after_the_case_was_filed_leaves_nothing(
    city: City, settings: Any, tmp_path: Path
) -> None:
    # The media root is a file: writing the photo fails after the case and submission rows.
    blocked = tmp_path / "not-a-directory"
    blocked.write_bytes(b"")
    settings.MEDIA_ROOT = blocked
    report = public_actions.PublicReport(
        service_id=service_id(),
        lon=POINT_A[0],
        lat=POINT_A[1],
        description="路灯不亮",
        photos=[Upload("a.jpg", png(seed=3), "image/jpeg")],
    )
    with pytest.raises(OSError):
        public_actions.report_publicly(report)
    assert Case.objects.count() == 0 and Submission.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13800138000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("0755-83001234", "0755-83001234"),
        ("075583001234", "0755-83001234"),
        ("010 6512 3456", "010-65123456"),
        ("", ""),
    ],
)
def test_call_back_numbers_are_stored_in_one_spelling(typed: str, stored: str) -> None:
    assert public_actions.normalize_phone(typed) == stored


def test_the_json_refusal_lists_every_field_at_once(db: Any, city: City) -> None:
    response = post(
        Client(), form(type="", description="", phone="1"), HTTP_ACCEPT="application/json"
    )
    errors = json.loads(response.content)["errors"]
    assert set(errors) == {"type", "description", "phone"}


@pytest.mark.django_db
def test_the_form_is_still_protected_against_cross_site_posts(city: City, media: Path) -> None:
    client = Client(enforce_csrf_checks=True)
    assert post(client, form()).status_code == 403
    page = client.get(URL)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    assert post(client, form(csrfmiddlewaretoken=token.group(1))).status_code == 302
    assert Case.objects.count() == 1
