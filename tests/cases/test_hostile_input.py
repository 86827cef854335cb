"""Hostile input never breaks a page or the API: each observation of issue 6, point 1.

Every refusal is a 4xx with `{code, message, field}` (API) or a message next to the field
(pages); nothing is stored.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from test_api_transitions import inspector_case

from case_support import POINT_A, City, png
from yiwang.cases import actions
from yiwang.cases.models import Case, CaseEvent
from yiwang.catalog.models import Component
from yiwang.core.errors import InvalidInput
from yiwang.geo.models import UnitGrid

ESC, VT, NUL = "\x1b", "\x0b", "\x00"
DEEP = "[" * 100_000 + "]" * 100_000


def signed_in(user: Any, **kw: Any) -> Client:
    client = Client(**kw)
    client.force_login(user)
    return client


def body(**fields: Any) -> dict[str, Any]:
    return {
        "kind": "matter",
        "type_code": "06001",
        "source": "hotline",
        "title": "店门口占道经营",
        "lon": POINT_A[0],
        "lat": POINT_A[1],
        **fields,
    }


def post_json(client: Client, path: str, raw: str | bytes) -> Any:
    return client.post(path, raw, content_type="application/json")


def assert_error(response: Any, status: int, code: str, field: str | None) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    got = response.json()
    assert (got["code"], got["field"]) == (code, field)
    assert got["message"]


# ---- sizes: the API carries the model's limits ---------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("address", "路" * 1_000_000, "too_long"),
        ("contact_name", "张" * 1_000_000, "too_long"),
        ("contact_phone", "1" * 1_000, "too_long"),
        ("title", "标" * 201, "too_long"),
    ],
)
def test_oversized_fields_are_refused(city: City, field: str, value: str, code: str) -> None:
    client = signed_in(city.users["operator"])
    response = client.post("/api/cases", body(**{field: value}), content_type="application/json")
    assert_error(response, 400, code, field)
    assert not Case.objects.exists()


def test_the_model_limit_itself_is_accepted(city: City) -> None:
    client = signed_in(city.users["operator"])
    response = client.post(
        "/api/cases",
        body(address="路" * 300, contact_name="张" * 50, contact_phone="1" * 20),
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert len(Case.objects.get().address) == 300


# ---- control characters and invalid Unicode ------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", f"井盖{ESC}[31m丢失"), ("address", f"南园路{VT}12号"), ("description", f"a{NUL}b")],
)
def test_control_characters_are_refused(city: City, field: str, value: str) -> None:
    client = signed_in(city.users["operator"])
    response = client.post("/api/cases", body(**{field: value}), content_type="application/json")
    assert_error(response, 400, "control_character", field)
    assert not Case.objects.exists()


def test_line_breaks_are_kept_where_the_field_is_multi_line(city: City) -> None:
    client = signed_in(city.users["operator"])
    text = "第一行\r\n第二行\t缩进"
    response = client.post("/api/cases", body(description=text), content_type="application/json")
    assert response.status_code == 201
    assert Case.objects.get().description == text
    one_line = client.post("/api/cases", body(title="两\n行"), content_type="application/json")
    assert_error(one_line, 400, "control_character", "title")


def test_a_lone_surrogate_in_the_token_request_is_refused(client: Client, db: Any) -> None:
    raw = '{"username": "\\ud800", "password": "x"}'
    assert_error(post_json(client, "/api/auth/token", raw), 400, "invalid_unicode", "body")


def test_invalid_utf8_in_the_token_request_is_refused(client: Client, db: Any) -> None:
    raw = b'{"username": "\xff\xfe", "password": "x"}'
    assert_error(post_json(client, "/api/auth/token", raw), 400, "invalid_unicode", "body")


def test_a_lone_surrogate_in_a_case_or_a_note_is_refused(city: City) -> None:
    operator = signed_in(city.users["operator"])
    raw = json.dumps(body(), ensure_ascii=False).replace("店门口", "\\udfff")
    assert_error(post_json(operator, "/api/cases", raw), 400, "invalid_unicode", "body")
    case = inspector_case(city)
    note = '{"version": 1, "note": "\\ud800"}'
    response = post_json(operator, f"/api/cases/{case.number}/transitions/accept", note)
    assert_error(response, 400, "invalid_unicode", "body")
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_a_control_character_in_a_note_is_refused(city: City) -> None:
    case = inspector_case(city)
    operator = signed_in(city.users["operator"])
    response = operator.post(
        f"/api/cases/{case.number}/transitions/accept",
        {"version": 1, "note": f"属实{ESC}"},
        content_type="application/json",
    )
    assert_error(response, 400, "control_character", "note")
    assert Case.objects.get(pk=case.pk).version == 1


def test_invalid_utf8_in_a_query_string_is_refused(city: City) -> None:
    client = signed_in(city.users["operator"])
    assert_error(client.get("/api/cases?q=%FF%FE"), 400, "invalid_unicode", "query")
    page = client.get("/cases/search/?q=%FF%FE")
    assert page.status_code == 400
    assert "不是有效的 UTF-8" in page.content.decode()


# ---- the web forms: an error next to the field, never a 500 ---------------------------------


def test_the_new_case_form_shows_control_characters_next_to_the_field(city: City) -> None:
    client = signed_in(city.users["operator"])
    form = {
        "kind": "matter",
        "type_code": "06001",
        "urgency": "normal",
        "source": "hotline",
        "title": f"井盖{ESC}丢失",
        "address": f"南园路{VT}12号",
        "lon": str(POINT_A[0]),
        "lat": str(POINT_A[1]),
    }
    response = client.post("/cases/new/", form)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"title", "address"}
    assert "控制字符" in errors["title"][0]
    assert not Case.objects.exists()


def test_the_new_case_form_refuses_invalid_utf8(city: City) -> None:
    client = signed_in(city.users["operator"])
    raw = b"kind=matter&type_code=06001&source=hotline&title=%FF%FE&lon=114.051&lat=22.541"
    response = client.post("/cases/new/", raw, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "不是有效的 UTF-8" in response.content.decode()
    assert not Case.objects.exists()


def test_a_transition_form_shows_a_control_character_next_to_the_note(city: City) -> None:
    case = inspector_case(city)
    client = signed_in(city.users["operator"])
    response = client.post(
        f"/cases/{case.number}/transition/accept/", {"version": "1", "note": f"属实{NUL}"}
    )
    assert response.status_code == 400
    assert "控制字符" in response.content.decode()
    assert Case.objects.get(pk=case.pk).version == 1


# ---- numbers: integral, not booleans, bounded ----------------------------------------------


def test_a_fractional_department_id_is_refused(city: City) -> None:
    case = inspector_case(city)
    u = city.users
    actions.transition(u["operator"], case.number, "accept", version=1)
    actions.transition(u["shift_lead"], case.number, "register", version=2)
    dispatcher = signed_in(u["dispatcher"])
    url = f"/api/cases/{case.number}/transitions/dispatch"
    fractional = city.municipal.pk + 0.9
    response = dispatcher.post(
        url, {"version": 3, "department_id": fractional}, content_type="application/json"
    )
    assert_error(response, 400, "invalid", "department_id")
    huge = dispatcher.post(
        url, {"version": 3, "department_id": 10**23}, content_type="application/json"
    )
    assert_error(huge, 400, "out_of_range", "department_id")
    assert Case.objects.get(pk=case.pk).department_id is None


def test_a_fractional_department_id_is_refused_by_the_engine_too(city: City) -> None:
    """The pages send ids as text straight to the engine; the API's schema is not there."""
    case = inspector_case(city)
    u = city.users
    actions.transition(u["operator"], case.number, "accept", version=1)
    actions.transition(u["shift_lead"], case.number, "register", version=2)
    for bad in (city.municipal.pk + 0.9, str(10**23), "1.9"):
        with pytest.raises(InvalidInput) as refused:
            actions.transition(
                u["dispatcher"], case.number, "dispatch", version=3, inputs={"department_id": bad}
            )
        assert refused.value.field == "department_id"


@pytest.mark.parametrize("field", ["lon", "lat"])
def test_a_boolean_coordinate_is_refused(city: City, field: str) -> None:
    client = signed_in(city.users["operator"])
    response = client.post("/api/cases", body(**{field: True}), content_type="application/json")
    assert_error(response, 400, "invalid", field)
    assert not Case.objects.exists()


def test_huge_numbers_in_queries_are_refused_not_overflowed(city: City) -> None:
    inspector_case(city)
    client = signed_in(city.users["operator"])
    department = client.get("/api/cases", {"department": "99999999999999999999999"})
    assert_error(department, 400, "out_of_range", "department")
    page = client.get("/api/cases", {"page": "999999999999999999"})
    assert_error(page, 400, "out_of_range", "page")
    # The largest page the document allows is simply empty.
    last = client.get("/api/cases", {"page": str(2**63 // 200 - 1)})
    assert last.status_code == 200
    assert last.json()["items"] == []
    types = client.get("/api/catalog/types", {"page": "999999999999999999999"})
    assert_error(types, 400, "out_of_range", "page")
    photo = client.get(f"/api/cases/{Case.objects.get().number}/photos/99999999999999999999999")
    assert photo.status_code in (400, 404)
    assert photo.json()["code"]


def test_huge_numbers_on_pages_give_a_page_not_a_500(city: City) -> None:
    inspector_case(city)
    client = signed_in(city.users["operator"])
    search = client.get("/cases/search/", {"department": "99999999999999999999999"})
    assert search.status_code == 400
    assert "请从列表中选择。" in search.content.decode()
    page = client.get("/cases/search/", {"searched": "1", "page": "999999999999999999"})
    assert page.status_code == 200
    components = client.get("/catalog/components/", {"page": "999999999999999999999"})
    assert components.status_code == 200


# ---- nesting --------------------------------------------------------------------------------


def test_deeply_nested_json_to_the_imports_is_refused(city: City) -> None:
    admin = signed_in(city.root)
    grids = post_json(admin, "/api/geo/grids/import", DEEP)
    assert_error(grids, 400, "too_deep", "file")
    assert UnitGrid.objects.count() == 2
    components = admin.post(
        "/api/catalog/components/import?format=geojson", DEEP, content_type="application/geo+json"
    )
    assert_error(components, 400, "too_deep", "file")
    assert not Component.objects.exists()
    # Just past the limit, in a place a real file has it (the properties of a feature).
    nested: Any = "x"
    for _ in range(40):
        nested = {"a": nested}
    feature = {"type": "Feature", "properties": nested, "geometry": None}
    doc = json.dumps({"type": "FeatureCollection", "features": [feature]})
    assert_error(post_json(admin, "/api/geo/grids/import", doc), 400, "too_deep", "file")


def test_deeply_nested_json_to_any_endpoint_is_refused(city: City) -> None:
    client = signed_in(city.users["operator"])
    assert_error(post_json(client, "/api/cases", DEEP), 400, "too_deep", "body")


# ---- every error in the API's shape ---------------------------------------------------------


def test_malformed_json_gets_the_error_shape(city: City) -> None:
    client = signed_in(city.users["operator"])
    assert_error(post_json(client, "/api/cases", "{"), 400, "malformed_json", "body")
    case = inspector_case(city)
    response = post_json(client, f"/api/cases/{case.number}/transitions/accept", "[1,")
    assert_error(response, 400, "malformed_json", "body")


def test_a_csrf_refusal_on_the_api_gets_the_error_shape(city: City) -> None:
    client = signed_in(city.users["operator"], enforce_csrf_checks=True)
    response = client.post("/api/cases", body(), content_type="application/json")
    assert_error(response, 403, "csrf_failed", None)
    assert not Case.objects.exists()


def test_a_bad_multipart_body_gets_the_error_shape(city: City) -> None:
    case = inspector_case(city)
    client = signed_in(city.users["inspector"])
    response = client.generic(
        "POST",
        f"/api/cases/{case.number}/photos",
        b'--x\r\nContent-Disposition: form-data; name="phase"\r\n\r\nbefore',
        content_type="multipart/form-data",  # no boundary
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_body"


def test_unknown_paths_and_methods_under_api_get_the_error_shape(city: City) -> None:
    client = signed_in(city.users["operator"])
    assert_error(client.get("/api/no-such-thing"), 404, "not_found", None)
    not_allowed = client.delete("/api/cases/worklists")
    assert_error(not_allowed, 405, "method_not_allowed", None)
    assert "GET" in not_allowed["Allow"]


def test_a_csrf_refusal_on_a_page_is_a_friendly_page(city: City) -> None:
    client = signed_in(city.users["operator"], enforce_csrf_checks=True)
    response = client.post("/cases/new/", {"title": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "CSRF 校验失败" in html
    assert "刷新页面" in html
    assert "Traceback" not in html and "CSRF_FAILURE_VIEW" not in html


def test_a_nul_in_a_path_or_query_is_refused_before_any_lookup(city: City) -> None:
    """PostgreSQL cannot even compare a text with a NUL: it must never reach a query."""
    client = signed_in(city.users["operator"])
    assert_error(client.get("/api/cases/S06%00/timeline"), 400, "control_character", None)
    assert_error(client.get("/api/cases/S06%1B/timeline"), 400, "control_character", "number")
    assert_error(client.get("/api/geo/grids?division=%00"), 400, "control_character", None)
    page = client.get("/cases/S06%00/")
    assert page.status_code == 400
    token = Client().post(
        "/api/auth/token",
        {"username": "root\x00", "password": "x"},
        content_type="application/json",
    )
    assert_error(token, 400, "control_character", "username")


def test_invalid_utf8_in_a_multipart_text_field_is_refused_and_nothing_is_stored(
    city: City,
) -> None:
    case = inspector_case(city)
    client = signed_in(city.users["inspector"])
    boundary = "yiwang-test-boundary"
    raw = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="phase"\r\n\r\nbefore\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\n'
        ).encode()
        + b"\xff\xfe\r\n"
        + (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
            f"Content-Type: image/png\r\n\r\n"
        ).encode()
        + png()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.generic(
        "POST",
        f"/api/cases/{case.number}/photos",
        raw,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert_error(response, 400, "invalid_unicode", "note")
    assert not case.photos.exists()


def test_a_photo_whose_bytes_are_not_utf8_is_still_accepted(city: City) -> None:
    # Only the text parts must be UTF-8: an image's bytes are never text.
    case = inspector_case(city)
    client = signed_in(city.users["inspector"])
    photo = SimpleUploadedFile("现场.png", png() + b"\xff\xfe", content_type="image/png")
    response = client.post(f"/api/cases/{case.number}/photos", {"phase": "before", "file": photo})
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("phone", ["١٣٨٠٠١٣٨٠٠٠", "１３８００１３８０００", "138²"])
def test_a_phone_with_non_ascii_digits_is_refused(city: City, phone: str) -> None:
    client = signed_in(city.users["operator"])
    response = client.post("/api/cases", body(contact_phone=phone), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "contact_phone"
    # The action itself refuses it too (imports, the form, every channel go through it).
    fields = {**body(contact_phone=phone), "crs": "wgs84"}
    with pytest.raises(InvalidInput) as refused:
        actions.report_case(city.users["operator"], **fields)
    assert (refused.value.code, refused.value.field) == ("bad_phone", "contact_phone")
    assert not Case.objects.exists()


def test_a_non_character_that_xml_cannot_hold_is_refused(city: City) -> None:
    client = signed_in(city.users["operator"])
    response = client.post("/api/cases", body(title="占道\uffff"), content_type="application/json")
    assert_error(response, 400, "invalid_unicode", "body")
    with pytest.raises(InvalidInput) as refused:
        actions.report_case(city.users["operator"], **body(title="占道\ufffe"))
    assert (refused.value.code, refused.value.field) == ("invalid_unicode", "title")


def test_a_superscript_version_on_the_case_page_is_a_conflict_not_a_crash(city: City) -> None:
    case = inspector_case(city)
    client = signed_in(city.users["operator"])
    response = client.post(f"/cases/{case.number}/transition/accept/", {"version": "²", "note": ""})
    assert response.status_code < 500
    assert Case.objects.get(pk=case.pk).state == case.state
