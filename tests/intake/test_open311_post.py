"""Open311 POST requests: filing a case with an api_key, and every refusal (GeoReport v2)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from open311_support import (
    BASE,
    COVER_CODE,
    GARBAGE_CODE,
    error_of,
    get,
    new_client,
    open_services,
    parse,
    requests_of,
    tags,
    text,
)

from case_support import POINT_A, POINT_B, City
from yiwang.cases.models import Case, CaseEvent
from yiwang.core.models import AuditEntry
from yiwang.geo import crs
from yiwang.intake.actions import open311 as actions
from yiwang.intake.models import Open311Request, Submission

FORMATS = ["json", "xml"]


@pytest.fixture
def key(city: City) -> str:
    open_services(city.root)
    return new_client(city.root)[0]


def post(client: Client, fmt: str, data: dict[str, Any], **extra: Any) -> Any:
    return client.post(f"{BASE}/requests.{fmt}", data, **extra)


def garbage_at(point: tuple[float, float], api_key: str, **more: Any) -> dict[str, Any]:
    return {
        "api_key": api_key,
        "service_code": GARBAGE_CODE,
        "lat": str(point[1]),
        "long": str(point[0]),
        "attribute[SIZE]": "large",
        **more,
    }


def nothing_written() -> bool:
    return not Case.objects.exists() and not Submission.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_registered_client_files_a_case_and_gets_its_id(key: str, fmt: str) -> None:
    client = Client()
    response = post(
        client,
        fmt,
        garbage_at(
            POINT_A,
            key,
            description="人行道上堆了很多垃圾\n已经两天",
            address_string="福田区南园路 12 号",
            first_name="小明",
            last_name="王",
            phone="138 0013 8000",
            email="wang@example.invalid",
            account_id="acct-7",
            device_id="dev-1",
            media_url="https://example.invalid/p.jpg",
            **{"attribute[NOTE]": "靠近公交站"},
        ),
    )
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "json":
        # An array even for one request; the id, never a token with it.
        assert isinstance(body, list) and len(body) == 1
        answer = body[0]
        assert list(answer) == ["service_request_id", "service_notice", "account_id"]
        number = answer["service_request_id"]
        assert answer["account_id"] == "acct-7"
    else:
        assert body.tag == "service_requests" and tags(body) == ["request"]
        assert tags(body[0]) == ["service_request_id", "service_notice", "account_id"]
        number = text(body[0], "service_request_id")
        assert text(body[0], "account_id") == "acct-7"
    case = Case.objects.get(number=number)
    assert case.source == "public"
    assert case.type.code == "06010"
    # Public reports enter as 待核实: accepted for an inspector to verify.
    assert case.state == "pending_verify"
    assert case.contact_name == "王小明"
    assert case.contact_phone == "13800138000"
    assert "人行道上堆了很多垃圾" in case.description
    assert "垃圾多少：一车以上" in case.description
    assert "补充说明：靠近公交站" in case.description
    assert case.address == "福田区南园路 12 号"
    assert [e.transition for e in CaseEvent.objects.filter(case=case).order_by("id")] == [
        "report",
        "to_verify",
    ]
    submission = Submission.objects.get(case=case)
    assert submission.channel == "open311"
    stored = Open311Request.objects.get(submission=submission)
    assert stored.email == "wang@example.invalid"
    assert stored.media_url == "https://example.invalid/p.jpg"
    assert AuditEntry.objects.filter(action="intake.open311.submit").count() == 1

    # What the client gets back reading it: the same id, nothing personal.
    shown = get(client, f"requests/{number}", fmt)
    assert shown.status_code == 200
    raw = shown.content.decode()
    for personal in ("王", "小明", "138", "wang@example", "acct-7", "dev-1"):
        assert personal not in raw
    (request,) = requests_of(shown, fmt)
    assert request["status"] == "open"
    assert request["service_code"] == GARBAGE_CODE


@pytest.mark.django_db
def test_a_json_body_is_read_like_the_form(key: str) -> None:
    body = {
        "api_key": key,
        "service_code": GARBAGE_CODE,
        "lat": POINT_A[1],
        "long": POINT_A[0],
        "attribute": {"SIZE": "small"},
    }
    response = Client().post(
        f"{BASE}/requests.json", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200
    number = response.json()[0]["service_request_id"]
    assert "垃圾多少：一袋以内" in Case.objects.get(number=number).description


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("api_key", [None, "", "not-a-key"])
def test_a_missing_or_wrong_api_key_is_403_and_nothing_is_filed(
    key: str, fmt: str, api_key: str | None
) -> None:
    data = garbage_at(POINT_A, api_key or "")
    if api_key is None:
        del data["api_key"]
    response = post(Client(), fmt, data)
    assert response.status_code == 403
    ((code, description),) = error_of(response, fmt)
    assert code == "403"
    assert "api_key" in description
    assert nothing_written()


@pytest.mark.django_db
def test_a_deactivated_client_and_a_replaced_key_are_refused(city: City, key: str) -> None:
    old_key, registered = new_client(city.root, name="第二个客户端")
    new_key = actions.reset_client_key(city.root, registered.pk)
    assert post(Client(), "json", garbage_at(POINT_A, old_key)).status_code == 403
    assert post(Client(), "json", garbage_at(POINT_A, new_key)).status_code == 200
    actions.update_client(city.root, registered.pk, is_active=False)
    assert post(Client(), "json", garbage_at(POINT_A, new_key)).status_code == 403
    # Only a hash is kept: the key itself is nowhere in the database row.
    registered.refresh_from_db()
    assert new_key not in (registered.key_hash, registered.key_prefix)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_service_is_404_and_a_missing_one_400(key: str, fmt: str) -> None:
    unknown = post(Client(), fmt, {**garbage_at(POINT_A, key), "service_code": "S99999"})
    assert unknown.status_code == 404
    assert error_of(unknown, fmt)[0][0] == "404"
    missing = garbage_at(POINT_A, key)
    del missing["service_code"]
    assert post(Client(), fmt, missing).status_code == 400
    # A type that exists in the catalogue but is not opened to the public is unknown too.
    closed = post(Client(), fmt, {**garbage_at(POINT_A, key), "service_code": "S06001"})
    assert closed.status_code == 404
    assert nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("lat", "long"),
    [
        ("abc", "114.05"),  # not a number
        ("22.54", ""),  # half a point
        ("95", "114.05"),  # latitude beyond the pole
        ("22.54", "-200"),  # longitude out of range
        ("nan", "114.05"),  # not finite
        ("1e999", "114.05"),  # overflows to infinity
        ("22.60", "114.20"),  # a real place, outside every grid of the city
    ],
)
def test_a_bad_point_is_400_and_nothing_is_filed(key: str, fmt: str, lat: str, long: str) -> None:
    response = post(Client(), fmt, {**garbage_at(POINT_A, key), "lat": lat, "long": long})
    assert response.status_code == 400
    assert error_of(response, fmt)[0][0] == "400"
    assert nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_bad_or_missing_crs_is_400_a_named_one_converts(key: str, fmt: str) -> None:
    bad = post(Client(), fmt, {**garbage_at(POINT_A, key), "crs": "EPSG:3857x"})
    assert bad.status_code == 400
    assert "坐标系" in error_of(bad, fmt)[0][1]
    assert nothing_written()
    # Point A as a Chinese web map shows it (GCJ-02, some 500 m off) lands on point A.
    gcj_lon, gcj_lat = crs.wgs84_to_gcj02(*POINT_A)
    assert abs(gcj_lon - POINT_A[0]) > 0.003
    ok = post(Client(), fmt, {**garbage_at((gcj_lon, gcj_lat), key), "crs": "gcj02"})
    assert ok.status_code == 200
    case = Case.objects.get()
    assert case.lon == pytest.approx(POINT_A[0], abs=1e-6)
    assert case.lat == pytest.approx(POINT_A[1], abs=1e-6)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"api_key": "x", "service_code": '),
        ("application/json", b'["not", "an", "object"]'),
        ("application/json", b'{"api_key": {"nested": true}}'),
        ("text/xml", b"<request><service_code>S06010</service_code>"),
        ("application/xml", b'<?xml version="1.0"?><request/>'),
        ("multipart/form-data", b"--zz\r\nno boundary declared"),
        ("application/x-www-form-urlencoded", b"api_key=%FF%FE&service_code=S06010"),
    ],
)
def test_a_malformed_body_is_400_in_the_open311_shape(
    key: str, fmt: str, content_type: str, body: bytes
) -> None:
    response = Client().post(f"{BASE}/requests.{fmt}", body, content_type=content_type)
    assert response.status_code == 400
    assert error_of(response, fmt)[0][0] == "400"
    assert nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"attribute[SIZE]": ""}, "SIZE"),  # a required question left out
        ({"attribute[SIZE]": "huge"}, "SIZE"),  # not one of its options
        ({"attribute[COLOUR]": "red"}, "COLOUR"),  # not a question of this service
        ({"description": "x" * 4001}, "description"),  # GeoReport v2: at most 4,000
        ({"description": "bad\x1bescape"}, "description"),
        ({"email": "not an address"}, "email"),
        ({"media_url": "javascript:alert(1)"}, "media_url"),
        ({"phone": "call me"}, "phone"),
        ({"lat": "", "long": ""}, "address_string"),  # no location at all
    ],
)
def test_bad_fields_are_400_naming_the_field(key: str, changes: dict[str, str], field: str) -> None:
    response = post(Client(), "json", {**garbage_at(POINT_A, key), **changes})
    assert response.status_code == 400
    (error,) = response.json()
    assert error["code"] == 400
    if field != "address_string":
        assert field in error["description"]
    assert nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_id_is_a_division_code(key: str, fmt: str) -> None:
    unknown = post(Client(), fmt, {**garbage_at(POINT_A, key), "jurisdiction_id": "990000"})
    assert unknown.status_code == 404
    assert error_of(unknown, fmt)[0][0] == "404"
    # 园岭街道 (440304002) does not contain point A, which lies in 南园街道.
    elsewhere = post(Client(), fmt, {**garbage_at(POINT_A, key), "jurisdiction_id": "440304002"})
    assert elsewhere.status_code == 400
    assert nothing_written()
    inside = post(Client(), fmt, {**garbage_at(POINT_B, key), "jurisdiction_id": "440304002"})
    assert inside.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_each_client_is_rate_limited(city: City, fmt: str) -> None:
    open_services(city.root)
    # Counted in fixed windows (django-ratelimit): a day long, so the test never straddles one.
    slow_key, _slow = new_client(city.root, name="慢客户端", rate="2/d")
    other_key, _other = new_client(city.root, name="另一个客户端", rate="2/d")
    client = Client()
    assert post(client, fmt, garbage_at(POINT_A, slow_key)).status_code == 200
    assert post(client, fmt, garbage_at(POINT_A, slow_key)).status_code == 200
    refused = post(client, fmt, garbage_at(POINT_A, slow_key))
    # GeoReport v2 knows 400, 403 and 404; the body's code says what kind of 400 it is.
    assert refused.status_code == 400
    assert error_of(refused, fmt)[0][0] == "429"
    assert int(refused["Retry-After"]) >= 1
    assert Case.objects.count() == 2
    # Another client's allowance is its own.
    assert post(client, fmt, garbage_at(POINT_A, other_key)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_address_only_request_gets_a_token_until_an_operator_places_it(
    city: City, key: str, fmt: str
) -> None:
    client = Client()
    data = {"api_key": key, "service_code": COVER_CODE, "address_string": "南园路与红岭路交叉口"}
    response = post(client, fmt, data)
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "json":
        (answer,) = body
        assert "service_request_id" not in answer
        token = answer["token"]
    else:
        assert tags(body[0]) == ["token", "service_notice", "account_id"]
        token = text(body[0], "token")
    assert not Case.objects.exists()

    pending = parse(get(client, f"tokens/{token}", fmt), fmt)
    if fmt == "json":
        assert pending == [{"service_request_id": None, "token": token}]
    else:
        assert tags(pending[0]) == ["service_request_id", "token"]
        assert text(pending[0], "service_request_id") == ""

    case = actions.place_request(city.users["operator"], token, lon=POINT_A[0], lat=POINT_A[1])
    assert case.address == "南园路与红岭路交叉口"
    assert case.state == "pending_verify"
    placed = parse(get(client, f"tokens/{token}", fmt), fmt)
    if fmt == "json":
        assert placed == [{"service_request_id": case.number, "token": token}]
    else:
        assert text(placed[0], "service_request_id") == case.number
        assert text(placed[0], "token") == token

    unknown = get(client, "tokens/NOSUCHTOKEN", fmt)
    assert unknown.status_code == 404
    assert error_of(unknown, fmt)[0][0] == "404"
