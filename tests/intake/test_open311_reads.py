"""Open311 public reads: discovery, services, GET requests with every filter, updates.

Each call in both formats; the XML is read with ElementTree and its element names and
order compared with the GeoReport v2 examples (open311_support).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from open311_support import (
    ATTRIBUTE_FIELDS,
    BASE,
    COVER,
    COVER_CODE,
    DISCOVERY_FIELDS,
    ENDPOINT_FIELDS,
    GARBAGE,
    GARBAGE_CODE,
    SERVICE_FIELDS,
    UPDATE_FIELDS,
    aware,
    error_of,
    get,
    ids_of,
    open_services,
    parse,
    requests_of,
    tags,
    text,
)

from case_support import POINT_A, POINT_B, City
from yiwang.cases import actions as case_actions
from yiwang.cases.models import Case

FORMATS = ["json", "xml"]


@dataclass
class Cases:
    old: Case  # 95 days ago: outside the default 90 days
    garbage: Case  # 10 days ago, street A
    cover: Case  # 5 days ago, street B
    voided: Case  # 1 day ago, street A, voided (作废): closed in Open311
    void_reason: str


def _report(city: City, kind_code: tuple[str, str], point: tuple[float, float], days: int) -> Case:
    return case_actions.report_case(
        city.users["operator"],
        kind=kind_code[0],
        type_code=kind_code[1],
        title="路边问题",
        description=f"{days} 天前上报",
        address="福田区某路",
        lon=point[0],
        lat=point[1],
        source="public",
        contact_name="张三丰",
        contact_phone="13912345678",
        now=timezone.now() - timedelta(days=days),
    )


@pytest.fixture
def cases(city: City) -> Cases:
    open_services(city.root)
    old = _report(city, GARBAGE, POINT_A, 95)
    garbage = _report(city, GARBAGE, POINT_A, 10)
    cover = _report(city, COVER, POINT_B, 5)
    voided = _report(city, GARBAGE, POINT_A, 1)
    reason = "重复上报，联系人李四说已处理"
    voided = case_actions.transition(
        city.users["shift_lead"],
        voided.number,
        "void",
        version=voided.version,
        inputs={"note": reason},
    )
    return Cases(old, garbage, cover, voided, reason)


def requests(client: Client, fmt: str, **params: Any) -> Any:
    return get(client, "requests", fmt, **params)


def w3c(moment: datetime) -> str:
    return moment.astimezone(timezone.get_current_timezone()).isoformat(timespec="seconds")


# ---- discovery and services -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_endpoint_and_its_formats(cases: Cases, fmt: str) -> None:
    response = get(Client(), "discovery", fmt)
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "json":
        assert list(body) == DISCOVERY_FIELDS
        (endpoint,) = body["endpoints"]
        assert list(endpoint) == ENDPOINT_FIELDS
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"] == "http://testserver/open311/v2"
        assert endpoint["formats"] == ["text/xml", "application/json"]
    else:
        assert body.tag == "discovery" and tags(body) == DISCOVERY_FIELDS
        endpoints = body.find("endpoints")
        assert endpoints is not None and tags(endpoints) == ["endpoint"]
        assert tags(endpoints[0]) == ENDPOINT_FIELDS
        formats = endpoints[0].find("formats")
        assert formats is not None
        assert [f.text for f in formats] == ["text/xml", "application/json"]
        assert tags(formats) == ["format", "format"]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_services_list_the_types_opened_to_the_public(cases: Cases, fmt: str) -> None:
    response = get(Client(), "services", fmt)
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "json":
        assert [list(s) for s in body] == [SERVICE_FIELDS, SERVICE_FIELDS]
        services = body
    else:
        assert body.tag == "services" and tags(body) == ["service", "service"]
        assert all(tags(s) == SERVICE_FIELDS for s in body)
        services = [{c.tag: c.text or "" for c in s} for s in body]
    garbage, cover = services
    assert garbage["service_code"] == GARBAGE_CODE
    assert garbage["service_name"] == "乱扔垃圾"  # the public name, not the catalogue's
    assert garbage["keywords"] == "垃圾, 脏乱"
    assert garbage["group"] == "市容环境类"  # the catalogue's major class
    assert cover["service_code"] == COVER_CODE
    assert cover["service_name"] == "供水井盖"
    assert garbage["type"] == cover["type"] == "realtime"
    if fmt == "json":
        assert garbage["metadata"] is True and cover["metadata"] is False
    else:
        assert (garbage["metadata"], cover["metadata"]) == ("true", "false")


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_definition_lists_its_questions(cases: Cases, fmt: str) -> None:
    response = get(Client(), f"services/{GARBAGE_CODE}", fmt)
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "json":
        assert list(body) == ["service_code", "attributes"]
        assert body["service_code"] == GARBAGE_CODE
        size, note = body["attributes"]
        assert list(size) == ATTRIBUTE_FIELDS
        assert size["code"] == "SIZE" and size["datatype"] == "singlevaluelist"
        assert size["required"] is True and size["variable"] is True and size["order"] == 1
        assert size["values"] == [
            {"key": "small", "name": "一袋以内"},
            {"key": "large", "name": "一车以上"},
        ]
        assert note["values"] == [] and note["required"] is False
    else:
        assert body.tag == "service_definition"
        assert tags(body) == ["service_code", "attributes"]
        attributes = body.find("attributes")
        assert attributes is not None and tags(attributes) == ["attribute", "attribute"]
        size = attributes[0]
        assert tags(size) == ATTRIBUTE_FIELDS
        assert text(size, "required") == "true" and text(size, "order") == "1"
        values = size.find("values")
        assert values is not None and tags(values) == ["value", "value"]
        assert [(text(v, "key"), text(v, "name")) for v in values] == [
            ("small", "一袋以内"),
            ("large", "一车以上"),
        ]
    # A service without questions has an empty list of them.
    plain = parse(get(Client(), f"services/{COVER_CODE}", fmt), fmt)
    if fmt == "json":
        assert plain == {"service_code": COVER_CODE, "attributes": []}
    else:
        assert plain.find("attributes") is not None and len(plain.find("attributes")) == 0


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("services/S99999", {}),  # no such service
        ("services/S06001", {}),  # a catalogue type not opened to the public
        ("services", {"jurisdiction_id": "990000"}),  # no such division
        ("services", {"jurisdiction_id": "110000"}),  # a division outside this node
        ("requests", {"jurisdiction_id": "abc"}),
        ("requests/S0601020990101000001", {}),  # no such request
        ("tokens/NOSUCHTOKEN", {}),
        ("nothing-here", {}),  # no such resource
    ],
)
def test_unknown_resources_and_jurisdictions_are_404(
    cases: Cases, fmt: str, path: str, params: dict[str, str]
) -> None:
    response = get(Client(), path, fmt, **params)
    assert response.status_code == 404
    ((code, description),) = error_of(response, fmt)
    assert code == "404" and description


@pytest.mark.django_db
def test_an_unknown_format_or_a_wrong_method_answers_in_the_open311_shape(cases: Cases) -> None:
    unknown = Client().get(f"{BASE}/requests.csv")
    assert unknown.status_code == 404
    assert error_of(unknown, "xml")[0][0] == "404"  # XML: the format every server must speak
    mistyped = Client().post(f"{BASE}/request.json", {"api_key": "x"})
    assert mistyped.status_code == 404
    assert error_of(mistyped, "json")[0][0] == "404"
    wrong = Client().delete(f"{BASE}/requests.json")
    assert wrong.status_code == 400
    assert error_of(wrong, "json")[0][0] == "405"
    bad_bytes = Client().get(f"{BASE}/requests.json?status=%FF")
    assert bad_bytes.status_code == 400
    assert error_of(bad_bytes, "json")[0][0] == "400"


# ---- GET requests -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_default_to_the_last_90_days_newest_first(cases: Cases, fmt: str) -> None:
    response = requests(Client(), fmt)
    assert response.status_code == 200
    items = requests_of(response, fmt)
    assert [r["service_request_id"] for r in items] == [
        cases.voided.number,
        cases.cover.number,
        cases.garbage.number,
    ]
    voided, cover, garbage = items
    assert voided["status"] == "closed" and voided["status_notes"] == "已作废"
    assert cover["status"] == "open" and garbage["status"] == "open"
    assert cover["service_code"] == COVER_CODE and cover["service_name"] == "供水井盖"
    assert garbage["service_code"] == GARBAGE_CODE and garbage["service_name"] == "乱扔垃圾"
    assert garbage["description"] == "10 天前上报"
    assert garbage["address"] == "福田区某路"
    assert aware(garbage["requested_datetime"]) == cases.garbage.reported_at.replace(microsecond=0)
    assert aware(voided["updated_datetime"]) >= cases.voided.reported_at
    assert float(garbage["lat"]) == pytest.approx(POINT_A[1])
    assert float(garbage["long"]) == pytest.approx(POINT_A[0])
    if fmt == "json":
        assert garbage["address_id"] is None and garbage["media_url"] is None
    # Nothing personal: neither the reporter's name and phone nor the void reason.
    raw = response.content.decode()
    for personal in ("张三丰", "13912345678", cases.void_reason, "operator", "shift_lead"):
        assert personal not in raw


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_date_window_of_at_most_90_days(cases: Cases, fmt: str) -> None:
    client = Client()
    now = timezone.now()
    start, end = now - timedelta(days=96), now - timedelta(days=7)
    assert ids_of(requests(client, fmt, start_date=w3c(start), end_date=w3c(end)), fmt) == [
        cases.garbage.number,
        cases.old.number,
    ]
    # UTC with "Z" and only a start date (the window then runs 90 days from it).
    start_z = (now - timedelta(days=96)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids_of(requests(client, fmt, start_date=start_z), fmt) == [
        cases.garbage.number,
        cases.old.number,
    ]
    too_long = requests(client, fmt, start_date=w3c(now - timedelta(days=91)), end_date=w3c(now))
    assert too_long.status_code == 400
    assert "90" in error_of(too_long, fmt)[0][1]
    backwards = requests(client, fmt, start_date=w3c(now), end_date=w3c(now - timedelta(days=1)))
    assert backwards.status_code == 400
    for bad in ("yesterday", "2026-13-01T00:00:00Z", "2026-01-01T25:00:00+08:00", "0001-01-01"):
        response = requests(client, fmt, start_date=bad)
        assert response.status_code == 400, bad
        assert "start_date" in error_of(response, fmt)[0][1]


@pytest.mark.django_db
def test_an_offset_whose_plus_arrived_as_a_space_is_still_read(cases: Cases) -> None:
    start = (timezone.now() - timedelta(days=3)).astimezone(timezone.get_current_timezone())
    raw = start.strftime("%Y-%m-%dT%H:%M:%S") + "+08:00"
    response = Client().get(f"{BASE}/requests.json?start_date={raw}")  # "+" unencoded
    assert response.status_code == 200
    assert ids_of(response, "json") == [cases.voided.number]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_status_and_service_code_filters_take_lists(cases: Cases, fmt: str) -> None:
    client = Client()
    assert ids_of(requests(client, fmt, status="open"), fmt) == [
        cases.cover.number,
        cases.garbage.number,
    ]
    assert ids_of(requests(client, fmt, status="closed"), fmt) == [cases.voided.number]
    assert len(ids_of(requests(client, fmt, status="open,closed"), fmt)) == 3
    assert ids_of(requests(client, fmt, service_code=GARBAGE_CODE), fmt) == [
        cases.voided.number,
        cases.garbage.number,
    ]
    both = requests(client, fmt, service_code=f"{COVER_CODE},{GARBAGE_CODE}", status="open")
    assert ids_of(both, fmt) == [cases.cover.number, cases.garbage.number]
    assert ids_of(requests(client, fmt, service_code="S99999"), fmt) == []
    too_many = requests(client, fmt, service_code=",".join(["S06010"] * 101))
    assert too_many.status_code == 400
    bad = requests(client, fmt, status="pending")
    assert bad.status_code == 400
    assert "status" in error_of(bad, fmt)[0][1]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_service_request_id_overrides_every_other_filter(cases: Cases, fmt: str) -> None:
    now = timezone.now()
    response = requests(
        Client(),
        fmt,
        service_request_id=f"{cases.old.number},{cases.cover.number},NOSUCHID",
        status="closed",
        service_code=GARBAGE_CODE,
        start_date=w3c(now - timedelta(days=2)),
        end_date=w3c(now),
    )
    assert sorted(ids_of(response, fmt)) == sorted([cases.old.number, cases.cover.number])
    (one,) = requests_of(requests(Client(), fmt, service_request_id=cases.cover.number), fmt)
    assert one["service_request_id"] == cases.cover.number


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_page_and_page_size(cases: Cases, fmt: str) -> None:
    client = Client()
    assert ids_of(requests(client, fmt, page_size=1), fmt) == [cases.voided.number]
    assert ids_of(requests(client, fmt, page_size=2, page=2), fmt) == [cases.garbage.number]
    assert ids_of(requests(client, fmt, page_size=2, page=3), fmt) == []
    for bad in ({"page": "0"}, {"page": "two"}, {"page_size": "-5"}, {"page_size": "1.5"}):
        response = requests(client, fmt, **bad)
        assert response.status_code == 400
        assert error_of(response, fmt)[0][0] == "400"


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_updated_after_finds_what_moved_since(city: City, cases: Cases, fmt: str) -> None:
    client = Client()
    since = timezone.now()
    case_actions.transition(
        city.users["operator"], cases.garbage.number, "to_verify", version=cases.garbage.version
    )
    moved = requests(client, fmt, updated_after=w3c(since - timedelta(seconds=1)))
    # Recent enough to be in the same second as `since`: compare against the last moves.
    assert cases.garbage.number in ids_of(moved, fmt)
    strictly = requests(client, fmt, updated_after=since.isoformat())
    assert ids_of(strictly, fmt) == [cases.garbage.number]
    before = requests(client, fmt, updated_before=since.isoformat())
    assert cases.garbage.number not in ids_of(before, fmt)
    assert set(ids_of(before, fmt)) >= {cases.cover.number, cases.voided.number}
    # With a date window too, both apply.
    both = requests(
        client,
        fmt,
        updated_after=since.isoformat(),
        start_date=w3c(timezone.now() - timedelta(days=7)),
        end_date=w3c(timezone.now()),
    )
    assert ids_of(both, fmt) == []
    backwards = requests(
        client,
        fmt,
        updated_after=w3c(timezone.now()),
        updated_before=w3c(since - timedelta(days=1)),
    )
    assert backwards.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_id_narrows_to_a_division_of_this_node(cases: Cases, fmt: str) -> None:
    client = Client()
    assert ids_of(requests(client, fmt, jurisdiction_id="440304002"), fmt) == [cases.cover.number]
    assert len(ids_of(requests(client, fmt, jurisdiction_id="440304"), fmt)) == 3
    assert len(ids_of(requests(client, fmt, jurisdiction_id="440000"), fmt)) == 3
    outside = get(client, f"requests/{cases.garbage.number}", fmt, jurisdiction_id="440304002")
    assert outside.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_is_an_array_of_one(cases: Cases, fmt: str) -> None:
    response = get(Client(), f"requests/{cases.cover.number}", fmt)
    assert response.status_code == 200
    (item,) = requests_of(response, fmt)
    assert item["service_request_id"] == cases.cover.number
    # An old request is still found by its id.
    assert get(Client(), f"requests/{cases.old.number}", fmt).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_extensions_add_the_detailed_state_and_the_timeline(cases: Cases, fmt: str) -> None:
    response = get(Client(), f"requests/{cases.voided.number}", fmt, extensions="true")
    body = parse(response, fmt)
    extended_fields = [
        "state",
        "state_name",
        "stage",
        "stage_name",
        "stage_due_datetime",
        "source",
        "source_name",
    ]
    if fmt == "json":
        (item,) = body
        assert list(item)[-2:] == ["extended_attributes", "notes"]
        extended = item["extended_attributes"]
        assert list(extended) == extended_fields
        notes = item["notes"]
        assert [list(n) for n in notes] == [["datetime", "type", "description"]] * 2
    else:
        request = body[0]
        assert tags(request)[-2:] == ["extended_attributes", "notes"]
        node = request.find("extended_attributes")
        assert node is not None and tags(node) == extended_fields
        extended = {c.tag: c.text or "" for c in node}
        notes_node = request.find("notes")
        assert notes_node is not None and tags(notes_node) == ["note", "note"]
        notes = [{c.tag: c.text or "" for c in n} for n in notes_node]
    assert extended["state"] == "voided" and extended["state_name"] == "已作废"
    assert extended["source"] == "public" and extended["source_name"] == "公众上报"
    assert [n["type"] for n in notes] == ["report", "void"]
    assert notes[1]["description"] == "作废：已作废"
    assert aware(notes[0]["datetime"]) == cases.voided.reported_at.replace(microsecond=0)
    assert cases.void_reason not in response.content.decode()
    # Without the flag the request has exactly the specification's fields.
    (plain,) = requests_of(get(Client(), f"requests/{cases.voided.number}", fmt), fmt)
    assert "notes" not in plain and "extended_attributes" not in plain


@pytest.mark.django_db
def test_extensions_on_a_list_read_every_timeline_in_one_query(
    cases: Cases, django_assert_max_num_queries: Any
) -> None:
    client = Client()
    requests(client, "json", extensions="true")  # warm: the channel's account exists
    with django_assert_max_num_queries(8):
        response = requests(client, "json", extensions="true")
    assert [len(r["notes"]) for r in response.json()] == [2, 1, 1]


@pytest.mark.django_db
@pytest.mark.slow
def test_at_most_1000_requests_a_call(city: City) -> None:
    open_services(city.root)
    report = case_actions.Report(
        kind=GARBAGE[0],
        type_code=GARBAGE[1],
        title="批量",
        lon=POINT_A[0],
        lat=POINT_A[1],
        source="hotline",
    )
    case_actions.report_cases(city.users["operator"], [report] * 1001)
    client = Client()
    assert len(ids_of(requests(client, "json"), "json")) == 1000
    assert len(ids_of(requests(client, "xml", page_size=5000), "xml")) == 1000
    assert len(ids_of(requests(client, "json", page=2), "json")) == 1


# ---- servicerequestupdates (mySociety's extension, as FixMyStreet polls it) -----------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_service_request_updates_list_the_moves_in_a_window(cases: Cases, fmt: str) -> None:
    now = timezone.now()
    # FixMyStreet asks for a window in UTC ("Z"), both ends given.
    start = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = get(Client(), "servicerequestupdates", fmt, start_date=start, end_date=end)
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "json":
        updates = body
    else:
        assert body.tag == "service_request_updates"
        assert tags(body) == ["request_update", "request_update"]
        updates = [{c.tag: c.text or "" for c in u} for u in body]
    for update in updates:
        assert set(update) >= UPDATE_FIELDS
        aware(update["updated_datetime"])
    # The voided case: reported a day ago, then voided just now.
    assert [(u["service_request_id"], u["status"]) for u in updates] == [
        (cases.voided.number, "open"),
        (cases.voided.number, "closed"),
    ]
    assert len({str(u["update_id"]) for u in updates}) == 2
    assert updates[1]["description"] == "作废：已作废"
    assert cases.void_reason not in response.content.decode()

    older = get(
        Client(),
        "servicerequestupdates",
        fmt,
        start_date=w3c(now - timedelta(days=12)),
        end_date=w3c(now - timedelta(days=8)),
    )
    assert [str(u) for u in _update_ids(older, fmt)] == [str(_first_event_id(cases.garbage))]
    too_long = get(
        Client(),
        "servicerequestupdates",
        fmt,
        start_date=w3c(now - timedelta(days=100)),
        end_date=w3c(now),
    )
    assert too_long.status_code == 400
    bad = get(Client(), "servicerequestupdates", fmt, start_date="last tuesday")
    assert bad.status_code == 400


def _update_ids(response: Any, fmt: str) -> list[str]:
    body = parse(response, fmt)
    if fmt == "json":
        return [u["update_id"] for u in body]
    return [text(u, "update_id") for u in body]


def _first_event_id(case: Case) -> int:
    return case.events.order_by("id").values_list("id", flat=True)[0]
