"""Case detail page: data, masked phone, action forms and their posts, timeline, photos, scope."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from case_steps import Loop, local, snapshot
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from case_support import POINT_A, City, png
from yiwang.cases import actions
from yiwang.cases.models import Case, CasePhoto, State
from yiwang.org.models import User

CONFLICT = "案卷已被他人处理，请刷新后重试"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


@pytest.fixture
def loop(city: City) -> Loop:
    return Loop(city)


def detail(client: Client, user: User, case: Case) -> str:
    client.force_login(user)
    response = client.get(f"/cases/{case.number}/")
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def forms_on(html: str) -> list[str]:
    return re.findall(r'data-transition="(\w+)"', html)


def form_html(html: str, name: str) -> str:
    return html.split(f'data-transition="{name}"', 1)[1].split("</form>", 1)[0]


def post(client: Client, user: User, case: Case, name: str, **data: Any) -> Any:
    client.force_login(user)
    data.setdefault("version", case.version)
    return client.post(f"/cases/{case.number}/transition/{name}/", data)


def reload(case: Case) -> Case:
    return Case.objects.select_related("department", "assignee").get(pk=case.pk)


def public_case(city: City) -> Case:
    return actions.report_case(
        city.users["operator"],
        kind="matter",
        type_code="06001",
        title="小区门口垃圾堆积",
        description="已经三天没人清理",
        address="南园路 88 号",
        lon=POINT_A[0],
        lat=POINT_A[1],
        source="public",
        contact_name="张女士",
        contact_phone="13812345678",
    )


def test_detail_shows_the_case_with_the_phone_masked_for_an_inspector(
    client: Client, city: City
) -> None:
    case = public_case(city)
    html = detail(client, city.users["inspector"], case)
    for text in (
        case.number,
        "小区门口垃圾堆积",
        "已经三天没人清理",
        "南园路 88 号",
        "440304001001001",
        "南华社区",
        "南园街道",
        "公众上报",
        "一般",
        "张女士",
        "待受理",
        "南园街道办事处",
    ):
        assert text in html, text
    assert "138****5678" in html
    assert "13812345678" not in html
    assert 'id="case-map"' in html and "case-map-data" in html

    operator = detail(client, city.users["operator"], case)
    assert '<dd class="code" id="contact-phone">13812345678</dd>' in operator


def test_dispatch_form_preselects_the_suggestion_and_posting_dispatches(
    client: Client, city: City, loop: Loop
) -> None:
    case = loop.drive("pending_dispatch")
    dispatcher = city.users["dispatcher"]
    html = detail(client, dispatcher, case)
    assert forms_on(html) == ["dispatch"]
    form = form_html(html, "dispatch")
    assert f'name="version" value="{case.version}"' in form
    # The street office is routing's suggestion; the district department may be chosen.
    assert f'<option value="{city.office_a.pk}" selected>南园街道办事处（建议）</option>' in form
    assert f'<option value="{city.municipal.pk}">福田区市政设施管理中心</option>' in form

    response = post(
        client, dispatcher, case, "dispatch", department_id=city.municipal.pk, note="请尽快处理"
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.number}/"
    after = client.get(response["Location"]).content.decode()
    assert "已派遣至 福田区市政设施管理中心" in after
    case = reload(case)
    assert case.state == State.DISPATCHED and case.department == city.municipal
    assert forms_on(after) == []  # the dispatcher has nothing more to do with it


def test_extension_request_with_amount_and_unit(client: Client, city: City, loop: Loop) -> None:
    case = loop.drive("handling")
    handler = city.users["handler"]
    html = detail(client, handler, case)
    assert set(forms_on(html)) == {
        "request_return",
        "request_extension",
        "request_suspend",
        "finish",
    }
    form = form_html(html, "request_extension")
    assert 'type="number"' in form and 'name="amount"' in form
    assert re.findall(r'<option value="(\w+)">(\w+)</option>', form) == [
        ("hours", "小时"),
        ("work_hours", "工作时"),
        ("work_days", "工作日"),
    ]
    response = post(
        client, handler, case, "request_extension", amount="2", unit="work_days", note="材料未到货"
    )
    assert response.status_code == 302
    case = reload(case)
    assert case.state == State.EXTENSION_REQUESTED
    assert case.pending_request == {"kind": "extension", "amount": "2", "unit": "work_days"}
    dispatcher_view = detail(client, city.users["dispatcher"], case)
    assert "申请延长 2 工作日" in dispatcher_view
    assert set(forms_on(dispatcher_view)) == {"approve_extension", "deny_extension"}


def test_send_verify_offers_only_inspectors_of_the_place(
    client: Client, city: City, loop: Loop
) -> None:
    case = loop.drive("pending_verify")
    operator = city.users["operator"]
    form = form_html(detail(client, operator, case), "send_verify")
    assert f'value="{city.users["inspector"].pk}"' in form
    assert f'value="{city.inspector_b.pk}"' not in form
    response = post(client, operator, case, "send_verify", inspector_id=city.users["inspector"].pk)
    assert response.status_code == 302
    case = reload(case)
    assert case.state == State.VERIFYING and case.assignee == city.users["inspector"]
    inspector_view = detail(client, city.users["inspector"], case)
    assert set(forms_on(inspector_view)) == {"verify_confirm", "verify_reject"}


def test_finish_with_result(client: Client, city: City, loop: Loop) -> None:
    case = loop.drive("handling")
    response = post(client, city.users["handler"], case, "finish", result="已清运完毕")
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert '<dd class="prewrap" id="case-result">已清运完毕</dd>' in html
    assert reload(case).state == State.HANDLED


def finish_with_photos(client: Client, user: User, case: Case, *files: bytes) -> Any:
    client.force_login(user)
    return client.post(
        f"/cases/{case.number}/transition/finish/",
        {
            "version": case.version,
            "result": "已修复路面",
            "photos": [
                SimpleUploadedFile(f"处置后{i}.png", content, "image/png")
                for i, content in enumerate(files)
            ],
        },
    )


def test_finish_takes_its_after_photos_along(
    client: Client, city: City, loop: Loop, media: Path
) -> None:
    case = loop.drive("handling")
    handler = city.users["handler"]
    form = form_html(detail(client, handler, case), "finish")
    assert 'enctype="multipart/form-data"' in form
    assert 'type="file"' in form and 'name="photos"' in form and "multiple" in form
    # The other moves of the page post no files.
    assert 'type="file"' not in form_html(detail(client, handler, case), "request_extension")

    response = finish_with_photos(client, handler, case, png(11), png(12))
    assert response.status_code == 302
    stored = reload(case)
    assert stored.state == State.HANDLED and stored.result == "已修复路面"
    photos = list(CasePhoto.objects.filter(case=case).order_by("id"))
    assert [p.phase for p in photos] == ["after", "after"]
    assert [p.file.read() for p in photos] == [png(11), png(12)]
    html = client.get(response["Location"]).content.decode()
    timeline = html.split('class="timeline"', 1)[1]
    assert timeline.count("上传照片") == 2 and "处置完毕" in timeline


def test_finish_with_a_bad_photo_changes_nothing(
    client: Client, city: City, loop: Loop, media: Path
) -> None:
    case = loop.drive("handling")
    before = snapshot(case.number)
    response = finish_with_photos(client, city.users["handler"], case, png(21), b"GIF89a not ok")
    assert response.status_code == 400
    form = form_html(response.content.decode(), "finish")
    assert "只能上传 JPEG、PNG 或 WebP 格式的图片" in form
    assert "已修复路面" in form  # the typed result is kept
    assert snapshot(case.number) == before
    assert not CasePhoto.objects.filter(case=case).exists()
    # The good photo written before the bad one was found is gone from the disk too.
    assert [p for p in media.rglob("*") if p.is_file()] == []


def test_bad_input_shows_the_form_again_with_the_message_at_the_field(
    client: Client, city: City, loop: Loop
) -> None:
    case = loop.drive("handling")
    before = snapshot(case.number)
    response = post(
        client,
        city.users["handler"],
        case,
        "request_extension",
        amount="abc",
        unit="work_days",
        note="等待配件到货",
    )
    assert response.status_code == 400
    form = form_html(response.content.decode(), "request_extension")
    amount_field = form.split('name="amount"', 1)[1].split("</div>", 1)[0]
    assert "延长时限应为数字" in amount_field
    assert ">等待配件到货</textarea>" in form  # typed text kept
    assert '<option value="work_days" selected>' in form
    assert snapshot(case.number) == before

    missing = post(client, city.users["handler"], case, "finish", result="  ")
    assert missing.status_code == 400
    assert "请填写处置结果" in form_html(missing.content.decode(), "finish")
    assert snapshot(case.number) == before


def test_a_stale_post_is_409_changes_nothing_and_keeps_the_typed_text(
    client: Client, city: City, loop: Loop
) -> None:
    case = loop.drive("pending_dispatch")
    stale_version = case.version
    # Another dispatcher got there first.
    loop.step(case, "dispatch", department_id=city.office_a.pk)
    before = snapshot(case.number)
    response = post(
        client,
        city.users["dispatcher"],
        case,
        "dispatch",
        version=stale_version,
        department_id=city.municipal.pk,
        note="市政中心负责该路段",
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert CONFLICT in html
    assert 'data-current-state="dispatched">待接收<' in html
    assert "市政中心负责该路段" in html
    assert snapshot(case.number) == before

    # Current version but the case has moved on: also a conflict, also nothing written.
    response = post(
        client, city.users["dispatcher"], reload(case), "dispatch", department_id=city.municipal.pk
    )
    assert response.status_code == 409 and CONFLICT in response.content.decode()
    assert snapshot(case.number) == before


def test_a_leader_gets_no_forms_and_a_forged_post_is_refused(
    client: Client, city: City, loop: Loop
) -> None:
    case = loop.drive("pending_dispatch")
    leader = city.users["leader"]
    html = detail(client, leader, case)
    assert forms_on(html) == []
    assert "您目前没有可办理的操作" in html
    before = snapshot(case.number)
    response = post(client, leader, case, "dispatch", department_id=city.municipal.pk)
    assert response.status_code == 403
    assert "只有派遣员可以派遣" in response.content.decode()
    assert snapshot(case.number) == before


def upload(client: Client, user: User, case: Case, content: bytes, phase: str) -> Any:
    client.force_login(user)
    return client.post(
        f"/cases/{case.number}/photos/",
        {"phase": phase, "file": SimpleUploadedFile("现场.png", content, "image/png")},
    )


def test_photos_are_uploaded_shown_and_served_only_in_scope(
    client: Client, city: City, loop: Loop
) -> None:
    case = loop.drive("reported")
    inspector = city.users["inspector"]
    form_page = detail(client, inspector, case)
    assert f'action="/cases/{case.number}/photos/"' in form_page
    response = upload(client, inspector, case, png(1), "before")
    assert response.status_code == 302
    photo = CasePhoto.objects.get(case=case)
    url = f"/cases/{case.number}/photos/{photo.pk}/"
    html = client.get(f"/cases/{case.number}/").content.decode()
    assert f'<img src="{url}"' in html
    assert "照片已上传" in html
    assert "上传照片" in html.split('class="timeline"', 1)[1]

    served = client.get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == png(1)  # type: ignore[attr-defined]

    refused = upload(client, inspector, case, b"not an image at all", "before")
    assert refused.status_code == 400
    assert "只能上传 JPEG、PNG 或 WebP 格式的图片" in refused.content.decode()
    # An inspector may not add "after" photos: that is the handling department's.
    assert upload(client, inspector, case, png(2), "after").status_code == 403

    client.force_login(city.inspector_b)
    assert client.get(url).status_code == 404


def test_a_case_of_street_a_is_404_for_street_b_everywhere(
    client: Client, city: City, loop: Loop
) -> None:
    case = loop.drive("verifying")
    actions_photo = upload(client, city.users["inspector"], case, png(3), "before")
    assert actions_photo.status_code == 302
    photo = CasePhoto.objects.get(case=case)
    before = snapshot(case.number)
    outsider = city.inspector_b
    client.force_login(outsider)
    assert client.get(f"/cases/{case.number}/").status_code == 404
    assert client.get(f"/cases/{case.number}/photos/{photo.pk}/").status_code == 404
    assert post(client, outsider, case, "verify_confirm").status_code == 404
    assert upload(client, outsider, case, png(4), "before").status_code == 404
    assert snapshot(case.number) == before


def test_timeline_shows_who_did_what_and_stages_on_time_or_overdue(
    client: Client, city: City, loop: Loop
) -> None:
    u = city.users
    # Monday 2026-03-02 09:00; accepting within the hour is on time (1 工作时).
    start = local(2026, 3, 2, 9)
    case = loop.report(now=start)
    case = loop.step(case, "accept", now=start + timedelta(minutes=20), note="信息完整")
    # Registering a day later misses the 1 工作时 limit of 立案.
    case = loop.step(case, "register", now=start + timedelta(days=1))
    html = detail(client, u["leader"], case)

    timeline = html.split('class="timeline"', 1)[1]
    entries = re.findall(r'<li data-event="(\w+)">(.*?)</li>', timeline, re.S)
    assert [name for name, _ in entries] == ["report", "accept", "register"]
    expected = [
        ("上报", u["inspector"].username, "监督员", "2026-03-02 09:00"),
        ("受理", u["operator"].username, "受理员", "2026-03-02 09:20"),
        ("立案", u["shift_lead"].username, "值班长", "2026-03-03 09:00"),
    ]
    for (_, body), (label, who, role, at) in zip(entries, expected, strict=True):
        assert f">{label}<" in body and f"{who}（{role}）" in body and at in body
    assert "信息完整" in entries[1][1]

    stages = dict(re.findall(r'<tr data-stage="(\w+)" data-status="(\S+)">', html))
    assert stages == {"accept": "按时", "register": "超期", "dispatch": "已超期"}
    accept_row = html.split('data-stage="accept"', 1)[1].split("</tr>", 1)[0]
    assert "1 工作时" in accept_row and "20 分 / 1 工作时" in accept_row
    assert "light-green" in accept_row
    register_row = html.split('data-stage="register"', 1)[1].split("</tr>", 1)[0]
    # 09:20 Monday → 09:00 Tuesday is 7 h 40 min of working time (08–12, 14–18).
    assert "7 工作时 40 分 / 1 工作时" in register_row
    assert "light-red" in register_row


def test_detail_runs_a_bounded_number_of_queries(
    client: Client, city: City, loop: Loop, django_assert_max_num_queries: Any
) -> None:
    case = loop.drive("pending_close")
    client.force_login(city.users["shift_lead"])
    client.get(f"/cases/{case.number}/")
    with django_assert_max_num_queries(25):
        assert client.get(f"/cases/{case.number}/").status_code == 200
