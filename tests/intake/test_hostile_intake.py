"""Hostile input on every intake channel: each refusal is a clear 4xx in the channel's own
error shape, nothing is half-written, and nothing one sender does breaks another's data.

Found by attacking the public form, the inspector's phone API, Open311 and the 12345
hotline with the test client (and real threads on PostgreSQL). Each test failed before the
fix named in its docstring; the expected answers come from the channel's documentation
(docs/intake.md), the GeoReport v2 specification and XML 1.0, not from the code under test.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hostile_support import BROKEN_PNG, PHONE_REPORTS, nothing_filed, readable, signed_in
from hotline_support import hotline_fixture, jsonl, order, post_batch, post_order
from open311_support import BASE, GARBAGE_CODE, error_of, new_client, open_services, parse
from openpyxl import Workbook

from case_support import POINT_A, City, png
from public_support import form, media, photo, stored_files
from yiwang.cases import actions as case_actions
from yiwang.cases.models import Case, CaseEvent, CasePhoto
from yiwang.intake.models import HotlineOrder, Open311Request

__all__ = ["hotline_fixture", "media"]  # fixtures

# ==== photos shared between cases ============================================================
# Photos are stored once per content and shared by every case that carries them
# (docs/intake.md "附件存储"): a refusal may only delete a file no other case still uses.


@pytest.mark.django_db
def test_a_refused_public_report_keeps_the_photo_another_case_shares(
    city: City, media: Path
) -> None:
    """Was: the public form deleted every file it had stored on a refusal, including the file
    an earlier case shares (the same picture): that case's photo was gone."""
    visitor = Client()
    first = visitor.post(
        "/report/", {**form(), "photos": [photo("a.png", png(5))]}, HTTP_ACCEPT="application/json"
    )
    assert first.status_code == 200
    kept = CasePhoto.objects.get()
    assert readable(kept)

    # The same picture again, with a second "photo" that only looks like a PNG.
    refused = visitor.post(
        "/report/",
        {**form(), "photos": [photo("a.png", png(5)), photo("b.png", BROKEN_PNG)]},
        HTTP_ACCEPT="application/json",
    )
    assert refused.status_code == 400
    assert Case.objects.count() == 1 and CasePhoto.objects.count() == 1
    assert readable(kept), "the first case lost its photo"
    assert len(stored_files(media)) == 1


@pytest.mark.django_db
def test_the_public_form_shows_a_photo_refused_by_its_content_next_to_the_photos(
    city: City,
) -> None:
    """Was: a photo refused when it was decoded (damaged, or web markup hidden in it) came back
    with no field, so the page showed it at the top instead of next to 现场照片."""
    for bad in (BROKEN_PNG, png(1) + b"<script>alert(1)</script>"):
        response = Client().post(
            "/report/", {**form(), "photos": [photo("p.png", bad)]}, HTTP_ACCEPT="application/json"
        )
        assert response.status_code == 400
        body = response.json()
        assert body["ok"] is False and list(body["errors"]) == ["photos"], body
        assert body["errors"]["photos"][0]
    assert nothing_filed()


def check_task(city: City) -> Case:
    """An inspector's case handled by the municipal department, sent back to check (核查)."""
    u = city.users
    case = case_actions.report_case(
        u["inspector"], kind="matter", type_code="01001", title="井盖破损", lon=POINT_A[0],
        lat=POINT_A[1],
    )  # fmt: skip
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("operator", "accept", {}),
        ("shift_lead", "register", {}),
        ("dispatcher", "dispatch", {"department_id": city.municipal.pk}),
        ("handler", "accept_task", {}),
        ("handler", "finish", {"result": "已修复"}),
        ("operator", "send_check", {"inspector_id": u["inspector"].pk}),
    ]
    for who, name, inputs in steps:
        case = case_actions.transition(
            u[who], case.number, name, version=case.version, inputs=inputs
        )
    assert case.state == "checking"
    return case


@pytest.mark.django_db
def test_a_refused_phone_task_keeps_the_photo_another_case_shares(city: City) -> None:
    """Was: a task move refused after its photos were stored (核查不通过 without a reason)
    deleted their files, including one another case's photo shares."""
    inspector = city.users["inspector"]
    client = signed_in(inspector)
    # The inspector's own report carries the picture first.
    body = {"id": str(uuid.uuid4()), "kind": "matter", "type_code": "06010",
            "lon": POINT_A[0], "lat": POINT_A[1]}  # fmt: skip
    assert client.post(PHONE_REPORTS, body, content_type="application/json").status_code == 201
    upload = io.BytesIO(png(6))
    upload.name = "p.png"
    assert client.post(f"{PHONE_REPORTS}/{body['id']}/photos", {"file": upload}).status_code == 201
    kept = CasePhoto.objects.get()

    case = check_task(city)
    again = io.BytesIO(png(6))
    again.name = "same.png"
    refused = client.post(
        f"/m/tasks/{case.number}/check_fail/", {"version": case.version, "photos": [again]}
    )
    assert refused.status_code == 400  # 核查不通过 needs a reason
    assert not CasePhoto.objects.filter(case=case).exists()
    assert readable(kept), "the report lost its photo"


@pytest.mark.django_db
@pytest.mark.parametrize("what", ["files", "fields"])
def test_a_post_too_full_to_read_gets_the_forms_refusal_in_chinese(city: City, what: str) -> None:
    """Was: 120 files (or 20,000 fields) made Django refuse the body before the page saw it:
    a bare English "Bad Request (400)" page, which the page's script cannot show."""
    extra: dict[str, Any] = (
        {"photos": [photo(f"{i}.png", png(i)) for i in range(120)]}
        if what == "files"
        else {f"f{i}": "x" for i in range(20_000)}
    )
    response = Client().post("/report/", {**form(), **extra}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False and "提交" in body["message"]
    page = Client().post("/report/", {**form(), **extra})
    assert page.status_code == 400 and 'lang="zh-hans"' in page.content.decode()
    assert nothing_filed()


# ==== Open311 GeoReport v2 ===================================================================
# Every answer is a well-formed document (XML 1.0 or JSON) and every refusal the
# specification's list of {code, description} with 400 / 403 / 404.


@pytest.fixture
def api_key(city: City) -> str:
    open_services(city.root)
    return new_client(city.root)[0]


def garbage(api_key: str, **more: Any) -> dict[str, Any]:
    return {
        "api_key": api_key,
        "service_code": GARBAGE_CODE,
        "lat": str(POINT_A[1]),
        "long": str(POINT_A[0]),
        "attribute[SIZE]": "large",
        **more,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_text_that_xml_forbids_does_not_break_the_request_list(city: City, fmt: str) -> None:
    """Was: a public report whose description held U+FFFF made `GET requests.xml` not
    well-formed for every client: XML 1.0 has no such character. Such text is now refused
    at the edge; a row stored before that (or by another tool) still cannot break the list."""
    refused = Client().post(
        "/report/",
        form(description="井盖\uffff破损", address="路口\ufffe东侧"),
        HTTP_ACCEPT="application/json",
    )
    assert refused.status_code == 400
    reported = Client().post(
        "/report/", form(description="井盖破损"), HTTP_ACCEPT="application/json"
    )
    assert reported.status_code == 200
    Case.objects.update(description="井盖\uffff破损", address="路口\ufffe东侧")  # legacy row
    response = Client().get(f"{BASE}/requests.{fmt}")
    assert response.status_code == 200
    body = parse(response, fmt)  # raises if not well-formed
    if fmt == "xml":
        (request,) = body
        assert request.findtext("description", "").startswith("井盖")
    else:
        assert body[0]["description"].startswith("井盖")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "services/%01.xml",  # an unknown service code
        "tokens/%1B%5B31m.xml",  # an unknown token (an ANSI escape)
        "requests/%08.xml",  # an unknown request
        "no-such-call%0B.xml",  # an unknown resource
        "services.xml?jurisdiction_id=%01",  # an unknown jurisdiction
    ],
)
def test_an_error_that_repeats_a_control_character_is_still_well_formed_xml(
    city: City, path: str
) -> None:
    """Was: the refusal echoed what the client sent, control characters included, and XML 1.0
    cannot hold them: the client could not even read why it was refused."""
    response = Client().get(f"{BASE}/{path}")
    assert response.status_code == 404
    ((code, description),) = error_of(response, "xml")
    assert code == "404" and description


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "extra",
    [
        {"\ud800": [1]},  # a key that is half a surrogate pair
        {"attribute": {"\udfff": "x"}},  # an attribute code
        {"crs": "\ud83d"},  # a value
    ],
    ids=["key", "attribute", "crs"],
)
def test_lone_surrogates_in_a_json_post_are_a_400(
    api_key: str, fmt: str, extra: dict[str, Any]
) -> None:
    """Was: a lone surrogate (JSON "\\ud800") reached the error message, which could then not
    be written as UTF-8: 500."""
    body = json.dumps({**garbage(api_key), **extra})
    response = Client().post(f"{BASE}/requests.{fmt}", body, content_type="application/json")
    assert response.status_code == 400
    ((code, description),) = error_of(response, fmt)
    assert code == "400" and "Unicode" in description
    assert nothing_filed() and not Open311Request.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_deeply_nested_json_is_refused_as_malformed_not_as_a_failure_of_ours(
    api_key: str, fmt: str
) -> None:
    """Was: 100,000 nested arrays overflowed the parser and were answered "服务内部错误"
    (general service error) with a logged stack trace."""
    body = '{"description": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = Client().post(f"{BASE}/requests.{fmt}", body, content_type="application/json")
    assert response.status_code == 400
    ((code, description),) = error_of(response, fmt)
    assert code == "400" and "JSON" in description and "内部错误" not in description
    assert nothing_filed()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["²", "１", "٣"])
def test_a_page_number_in_other_digits_is_refused_by_name(city: City, value: str) -> None:
    """Was: "²" passed str.isdigit() and then failed int(): a general service error."""
    response = Client().get(f"{BASE}/requests.json", {"page": value})
    assert response.status_code == 400
    ((code, description),) = error_of(response, "json")
    assert code == "400" and "page" in description and "内部错误" not in description


@pytest.mark.django_db
def test_an_open311_phone_number_in_other_digits_is_refused(api_key: str) -> None:
    """Was: Arabic-Indic digits passed str.isdigit() and were stored as the call-back number,
    which no telephone can dial."""
    response = Client().post(f"{BASE}/requests.json", garbage(api_key, phone="١٣٨٠٠١٣٨٠٠٠"))
    assert response.status_code == 400
    ((code, description),) = error_of(response, "json")
    assert code == "400" and "phone" in description
    assert nothing_filed()


@pytest.mark.django_db
def test_a_public_call_back_number_in_other_digits_is_refused(city: City) -> None:
    """Was: the public form's phone check (\\d) took any Unicode digit."""
    response = Client().post("/report/", form(phone="138٠٠١٣٨٠٠٠"), HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["phone"]
    assert nothing_filed()


# ==== 12345 hotline ==========================================================================

HEADERS = ["order_id", "received_at", "category", "title", "address", "lon", "lat"]
ADDRESS = "广东省深圳市福田区南园街道华强南路"


def workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def patched(xlsx: bytes, member: str, change: Any) -> bytes:
    """The workbook with one of its XML parts rewritten (a valid ZIP around broken XML)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, change(data) if name == member else data)
    return out.getvalue()


def xlsx_row(order_id: str) -> list[Any]:
    return [order_id, "2026-12-01 09:30", "暴露垃圾", "路口垃圾", ADDRESS, POINT_A[0], POINT_A[1]]


def nan_cell(data: bytes) -> bytes:
    # A number cell that holds no number (another tool wrote "NaN").
    return data.replace(b"<v>1.5</v>", b"<v>NaN</v>")


SHEET = "xl/worksheets/sheet1.xml"
GOOD_XLSX = workbook([xlsx_row("X-1")])
BROKEN_XLSX = {
    "sheet cut short": patched(GOOD_XLSX, SHEET, lambda d: d[: len(d) // 2]),
    "workbook cut short": patched(GOOD_XLSX, "xl/workbook.xml", lambda d: d[: len(d) // 2]),
    "styles not xml": patched(GOOD_XLSX, "xl/styles.xml", lambda d: b"<styleSheet"),
    "NaN in a number cell": patched(workbook([[1.5, *xlsx_row("")[1:]]]), SHEET, nan_cell),
}


@pytest.mark.django_db
@pytest.mark.parametrize("broken", list(BROKEN_XLSX))
def test_a_damaged_workbook_is_refused_as_not_an_xlsx(
    city: City, hotline: Any, broken: str
) -> None:
    """Was: a ZIP whose XML was cut short (or a number cell with "NaN") raised an XML parse
    error or ValueError while the rows were read: 500, on the API and on the import page."""
    response = post_batch(Client(), BROKEN_XLSX[broken], fmt="xlsx")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["field"]) == ("bad_xlsx", "file")
    page = signed_in(city.users["operator"]).post(
        "/intake/hotline/import/",
        {"system": str(hotline.pk), "file": SimpleUploadedFile("o.xlsx", BROKEN_XLSX[broken])},
    )
    assert page.status_code == 400 and "XLSX" in page.content.decode()
    assert not HotlineOrder.objects.exists() and nothing_filed()


@pytest.mark.django_db
def test_a_workbook_over_the_row_limit_is_refused_without_reading_the_rest(
    city: City, hotline: Any, settings: Any
) -> None:
    """Was: every row was read (and kept) before the limit was checked: a 50 MB workbook of
    short rows is millions of rows, minutes of work. Now reading stops at the first row over
    the limit, so a damaged row after it is never reached."""
    settings.HOTLINE_BATCH_MAX_ROWS = 3
    rows = [xlsx_row(f"L-{i}") for i in range(4)] + [[1.5, *xlsx_row("")[1:]]]
    data = patched(workbook(rows), SHEET, nan_cell)
    response = post_batch(Client(), data, fmt="xlsx")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["field"]) == ("too_many_rows", "file") and "3" in body["message"]
    assert not HotlineOrder.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "received_at",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1900-01-01T00:00:00+08:00"],
)
def test_a_receiving_time_outside_any_calendar_we_keep_is_a_400(
    city: City, hotline: Any, received_at: str
) -> None:
    """Was: year 1 at +14:00 (or 9999 at -14:00) is valid ISO 8601 but has no UTC time a
    database column holds: OverflowError, 500."""
    response = post_order(Client(), order("T-1", received_at=received_at))
    assert response.status_code == 400
    assert response.json()["field"] == "received_at"
    batch = post_batch(Client(), jsonl(order("T-2", received_at=received_at)))
    assert batch.status_code == 400
    (error,) = batch.json()["details"]["errors"]
    assert (error["index"], error["ref"], error["field"]) == (1, "T-2", "received_at")
    assert not HotlineOrder.objects.exists() and nothing_filed()


@pytest.mark.django_db
def test_a_street_operator_cannot_change_another_streets_orders_by_importing_a_file(
    city: City, hotline: Any, make_user: Any
) -> None:
    """Was: the batch import checked only the role: a 受理员 of street B could file, revise and
    add notes to street A's orders (and see their case numbers) by uploading a file."""
    waiting = order("A-1", located=False)  # 待定位 in street A (the address names 南园街道)
    filed = order("A-2")  # a case in street A
    assert post_order(Client(), waiting).status_code == 201
    assert post_order(Client(), filed).status_code == 201
    before = {o.order_id: (o.content_hash, o.status) for o in HotlineOrder.objects.all()}
    notes = CaseEvent.objects.filter(transition="note").count()

    operator_b = signed_in(make_user("operator", "440304002"))
    upload = jsonl(
        order("A-1", title="改成已定位"),  # revise and file A's waiting order
        order("A-2", title="改了标题"),  # revise A's case
        order("A-3"),  # a new order in street A
    )
    page = operator_b.post(
        "/intake/hotline/import/",
        {"system": str(hotline.pk), "file": SimpleUploadedFile("o.jsonl", upload)},
    )
    assert page.status_code in (400, 403, 404)
    html = page.content.decode()
    filed_number = HotlineOrder.objects.get(order_id="A-2").case.number  # type: ignore[union-attr]
    assert filed_number not in html
    after = {o.order_id: (o.content_hash, o.status) for o in HotlineOrder.objects.all()}
    assert after == before
    assert CaseEvent.objects.filter(transition="note").count() == notes
    assert Case.objects.count() == 1

    # The district's operator imports the same file.
    district = signed_in(city.users["operator"])
    done = district.post(
        "/intake/hotline/import/",
        {"system": str(hotline.pk), "file": SimpleUploadedFile("o.jsonl", upload)},
    )
    assert done.status_code == 200
    assert HotlineOrder.objects.get(order_id="A-1").status == "filed"


@pytest.mark.django_db
def test_a_resent_order_answers_with_its_tracking_code(city: City, hotline: Any) -> None:
    """Was: the first answer carried the tracking code, a resend after a lost answer
    (outcome unchanged) answered null: the hotline could not learn it again."""
    first = post_order(Client(), order("R-1"))
    assert first.status_code == 201 and first.json()["tracking_code"]
    again = post_order(Client(), order("R-1"))
    assert again.status_code == 200 and again.json()["outcome"] == "unchanged"
    assert again.json()["tracking_code"] == first.json()["tracking_code"]
    assert again.json()["case_number"] == first.json()["case_number"]


@pytest.mark.django_db
def test_an_older_revision_arriving_late_does_not_overwrite_a_newer_one(
    city: City, hotline: Any
) -> None:
    import time

    now = time.time()
    assert post_order(Client(), order("V-1", title="第一版"), at=now - 60).status_code == 201
    assert post_order(Client(), order("V-1", title="第二版"), at=now - 10).status_code == 200
    # The hotline's retry of the first revision, signed when it was first sent.
    late = post_order(Client(), order("V-1", title="第一版"), at=now - 60)
    assert late.status_code == 409
    assert (late.json()["code"], late.json()["field"]) == ("stale_revision", "order_id")
    assert HotlineOrder.objects.get(order_id="V-1").title == "第二版"
