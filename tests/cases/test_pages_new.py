"""The new-case form (上报案卷) and its type picker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from case_support import POINT_A, POINT_B, City, png
from yiwang.cases.models import Case, CasePhoto
from yiwang.org.models import User

URL = "/cases/new/"
PICKER = "/cases/types/"


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def form(**overrides: Any) -> dict[str, Any]:
    data = {
        "kind": "matter",
        "type_code": "06001",
        "urgency": "normal",
        "source": "inspector",
        "title": "人行道私搭乱建",
        "description": "占用人行道约 5 平方米",
        "address": "深南大道 1 号",
        "lon": str(POINT_A[0]),
        "lat": str(POINT_A[1]),
    }
    data.update(overrides)
    return data


def png_bytes() -> bytes:
    """A real 1×1 PNG: photos are decoded before they are stored."""
    return png(7)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


def test_the_form_offers_an_inspector_only_their_source(client: Client, city: City) -> None:
    signed_in(client, city.users["inspector"])
    html = client.get(URL).content.decode()
    assert 'id="report-map"' in html
    assert 'value="inspector"' in html and "监督员上报" in html
    assert 'value="hotline"' not in html and "12345热线" not in html


def test_inspector_reports_a_case(client: Client, city: City) -> None:
    signed_in(client, city.users["inspector"])
    response = client.post(URL, form())
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == f"/cases/{case.number}/"
    assert case.number.startswith("S06001")
    assert case.grid.code == "440304001001001"
    assert case.source == "inspector"
    assert case.reporter == city.users["inspector"]
    assert case.title == "人行道私搭乱建" and case.address == "深南大道 1 号"
    page = client.get(URL)  # the message waits for the next page
    assert f"已登记案卷 {case.number}" in page.content.decode()


def test_an_inspector_cannot_report_a_hotline_case(client: Client, city: City) -> None:
    signed_in(client, city.users["inspector"])
    response = client.post(URL, form(source="hotline"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "您的角色不能登记这个来源的案卷。" in html
    assert not Case.objects.exists()


def test_a_point_outside_every_grid_is_refused_next_to_the_map(client: Client, city: City) -> None:
    signed_in(client, city.users["inspector"])
    response = client.post(URL, form(lon="114.2", lat="22.7", title="保留我输入的标题"))
    assert response.status_code == 400
    html = response.content.decode()
    error_box = html.split('id="location-error"')[1].split("</div>")[0]
    assert "该位置不在任何单元网格内" in error_box
    assert 'value="保留我输入的标题"' in html  # typed values are kept
    assert 'value="114.2"' in html
    assert not Case.objects.exists()


def test_a_point_in_another_street_is_out_of_scope(client: Client, city: City) -> None:
    signed_in(client, city.users["inspector"])
    response = client.post(URL, form(lon=str(POINT_B[0]), lat=str(POINT_B[1])))
    assert response.status_code == 403
    assert "该位置不在您的管辖范围内。" in response.content.decode()
    assert not Case.objects.exists()


def test_missing_and_bad_fields_are_shown_next_to_them(client: Client, city: City) -> None:
    signed_in(client, city.users["inspector"])
    response = client.post(URL, form(title="", lon="", lat="", type_code=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写标题。" in html
    assert "请选择小类。" in html
    assert "请在地图上点选问题位置，或填写经纬度。" in html
    response = client.post(URL, form(type_code="99999"))
    assert "未知的类型代码：99999" in response.content.decode()
    assert not Case.objects.exists()


def test_operator_reports_a_hotline_case_with_a_contact(client: Client, city: City) -> None:
    signed_in(client, city.users["operator"])
    html = client.get(URL).content.decode()
    assert 'value="hotline"' in html and 'value="inspector"' not in html
    response = client.post(
        URL,
        form(
            source="hotline",
            contact_name="王先生",
            contact_phone="13800138000",
            lon=str(POINT_B[0]),
            lat=str(POINT_B[1]),
        ),
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.source == "hotline"
    assert case.contact_name == "王先生" and case.contact_phone == "13800138000"
    assert case.street.code == "440304002"


def test_a_role_that_may_not_report_gets_403(client: Client, city: City) -> None:
    signed_in(client, city.users["dispatcher"])
    response = client.get(URL)
    assert response.status_code == 403
    assert "您的角色不能登记案卷。" in response.content.decode()
    assert client.post(URL, form(source="public")).status_code == 403
    assert not Case.objects.exists()


def test_photos_are_attached_and_a_refused_one_is_named(client: Client, city: City) -> None:
    signed_in(client, city.users["inspector"])
    good = SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png")
    bad = SimpleUploadedFile("说明.txt", b"not an image", content_type="image/png")
    response = client.post(URL, {**form(), "photos": [good, bad]})
    assert response.status_code == 302
    case = Case.objects.get()
    photos = list(CasePhoto.objects.filter(case=case))
    assert [p.phase for p in photos] == ["before"]
    html = client.get(URL).content.decode()
    assert f"已登记案卷 {case.number}" in html
    assert "说明.txt" in html and "只能上传 JPEG、PNG 或 WebP" in html


@pytest.mark.parametrize(
    ("kind", "q", "expected", "unexpected"),
    [
        ("component", "井盖", "01001", "供水井盖异常"),
        ("matter", "井盖", "供水井盖异常", 'data-kind="component"'),
        ("component", "0100", "01009", 'data-kind="matter"'),
    ],
)
def test_type_picker_finds_types_by_name_or_code(
    client: Client, city: City, kind: str, q: str, expected: str, unexpected: str
) -> None:
    signed_in(client, city.users["inspector"])
    html = client.get(PICKER, {"kind": kind, "q": q}).content.decode()
    assert expected in html
    assert unexpected not in html


def test_type_picker_by_exact_code_and_with_no_match(client: Client, city: City) -> None:
    signed_in(client, city.users["inspector"])
    html = client.get(PICKER, {"kind": "matter", "q": "06001"}).content.decode()
    assert html.count('class="picker-option"') == 1
    assert 'data-code="06001"' in html
    empty = client.get(PICKER, {"kind": "matter", "q": "没有这种类型"}).content.decode()
    assert "没有名称或代码匹配" in empty
