"""12345 batches in bulk: hundreds of orders filed together, still all or nothing, every bad
row named by its line; the fast address parser answers as jionlp itself does."""

from __future__ import annotations

import contextlib
import io
import random
from typing import Any

import pytest
from django.test import Client
from hotline_support import (  # noqa: F401  (fixtures)
    OUTSIDE_EVERY_GRID,
    hotline_fixture,
    jsonl,
    many_orders,
    order,
    post_batch,
)

from case_support import City
from yiwang.cases.models import Case, CaseEvent
from yiwang.intake import addresses
from yiwang.intake.actions import hotline_bulk
from yiwang.intake.models import HotlineOrder, HotlineSystem, Submission


def rejected(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "import_rejected", body
    return body["details"]["errors"]  # type: ignore[no-any-return]


def nothing_written() -> bool:
    return (
        not HotlineOrder.objects.exists()
        and not Case.objects.exists()
        and not Submission.objects.exists()
    )


@pytest.mark.slow
@pytest.mark.django_db
def test_a_600_order_batch_with_one_bad_row_in_the_middle_writes_nothing_and_names_it(
    city: City, hotline: HotlineSystem
) -> None:
    orders = many_orders(600)
    orders[300] = {**orders[300], **OUTSIDE_EVERY_GRID}  # line 301 of the file
    client = Client()

    errors = rejected(post_batch(client, jsonl(*orders)))

    assert [(e["index"], e["ref"], e["code"], e["field"]) for e in errors] == [
        (301, "M-0300", "not_in_grid", "lon")
    ]
    assert "第 301 行" in errors[0]["message"]
    assert nothing_written()

    # Fixed, the same file goes in whole: 600 cases, each with its own tracking code.
    orders[300] = many_orders(600)[300]
    first = post_batch(client, jsonl(*orders))
    assert first.status_code == 201, first.content
    assert (first.json()["created"], first.json()["awaiting_location"]) == (600, 0)
    assert Case.objects.filter(source="hotline").count() == 600
    submissions = Submission.objects.filter(channel="hotline", sender="gd12345")
    assert submissions.count() == 600
    assert len(set(submissions.values_list("tracking_code", flat=True))) == 600
    assert len({o["tracking_code"] for o in first.json()["orders"]}) == 600
    # Each order's own point decides its street (even lines 南园, odd lines 园岭).
    by_order = {o["order_id"]: o["case_number"] for o in first.json()["orders"]}
    assert Case.objects.get(number=by_order["M-0000"]).street.code == "440304001"
    assert Case.objects.get(number=by_order["M-0001"]).street.code == "440304002"
    case = Case.objects.get(number=by_order["M-0007"])
    assert (case.title, case.contact_phone) == ("路口垃圾堆放 7", "13800130007")
    assert HotlineOrder.objects.get(order_id="M-0007").case == case

    # The same batch again: nothing new, the same case for every order.
    again = post_batch(client, jsonl(*orders))
    assert again.status_code == 201
    assert (again.json()["unchanged"], again.json()["created"]) == (600, 0)
    assert {o["order_id"]: o["case_number"] for o in again.json()["orders"]} == by_order
    assert Case.objects.count() == 600 and Submission.objects.count() == 600


@pytest.mark.django_db
def test_every_refused_row_is_reported_by_its_line_whatever_refused_it(
    city: City, hotline: HotlineSystem
) -> None:
    orders = many_orders(12, prefix="R")
    orders[1] = {**orders[1], "category": "没有这个分类"}  # line 2: no matter type for it
    orders[3] = {**orders[3], "address": "北京市朝阳区建国路 1 号"}  # line 4: not this city
    orders[4] = {**orders[4], **OUTSIDE_EVERY_GRID}  # line 5: point in no grid
    orders[6] = {**orders[6], "caller_phone": "+8613800138000"}  # line 7: the case refuses it
    orders[8] = {**orders[8], **OUTSIDE_EVERY_GRID}  # line 9: point in no grid
    orders[11] = {**orders[11], **OUTSIDE_EVERY_GRID}  # line 12: the last one too

    errors = rejected(post_batch(Client(), jsonl(*orders)))

    assert [(e["index"], e["ref"], e["code"], e["field"]) for e in errors] == [
        (2, "R-0001", "unknown_category", "category"),
        (4, "R-0003", "outside_node", "address"),
        (5, "R-0004", "not_in_grid", "lon"),
        (7, "R-0006", "bad_phone", "contact_phone"),
        (9, "R-0008", "not_in_grid", "lon"),
        (12, "R-0011", "not_in_grid", "lon"),
    ]
    assert all(e["message"].startswith(f"第 {e['index']} 行：") for e in errors)
    assert nothing_written()


@pytest.mark.django_db
def test_a_batch_with_more_refused_filings_than_listed_says_the_rest_was_not_checked(
    city: City, hotline: HotlineSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hotline_bulk, "MAX_FILING_REFUSALS", 5)
    orders = [{**o, **OUTSIDE_EVERY_GRID} for o in many_orders(20, prefix="X")]

    errors = rejected(post_batch(Client(), jsonl(*orders)))

    listed = [e for e in errors if e["index"]]
    assert len(listed) == 5 and {e["code"] for e in listed} == {"not_in_grid"}
    assert [e["code"] for e in errors if not e["index"]] == ["too_many_errors"]
    assert nothing_written()


@pytest.mark.django_db
def test_a_revised_batch_notes_every_changed_case_and_files_orders_that_now_have_a_point(
    city: City, hotline: HotlineSystem
) -> None:
    orders = many_orders(6, prefix="V")
    waiting = order("V-WAIT", located=False, address="广东省深圳市福田区园岭街道八卦路")
    client = Client()
    first = post_batch(client, jsonl(*orders, waiting))
    assert first.status_code == 201
    assert (first.json()["created"], first.json()["awaiting_location"]) == (7, 1)

    revised = [
        {**o, "title": o["title"] + "（已扩大）"} if i < 3 else o for i, o in enumerate(orders)
    ]
    located = {**waiting, "lon": 114.061, "lat": 22.541}
    second = post_batch(client, jsonl(*revised, located))

    assert second.status_code == 201, second.content
    body = second.json()
    assert (body["updated"], body["unchanged"], body["created"]) == (4, 3, 0)
    numbers = {o["order_id"]: o["case_number"] for o in body["orders"]}
    for i in range(3):
        case = Case.objects.get(number=numbers[f"V-{i:04d}"])
        notes = list(CaseEvent.objects.filter(case=case, transition="note"))
        assert len(notes) == 1
        assert "标题" in notes[0].note and f"路口垃圾堆放 {i}（已扩大）" in notes[0].note
        assert notes[0].data["revision"] == 2
        assert case.title == f"路口垃圾堆放 {i}"  # the case keeps the facts it was filed with
    assert not CaseEvent.objects.filter(case__number=numbers["V-0004"], transition="note")
    now_filed = HotlineOrder.objects.get(order_id="V-WAIT")
    assert now_filed.status == "filed" and now_filed.case is not None
    assert now_filed.case.street.code == "440304002"
    assert Submission.objects.filter(external_id="V-WAIT", case=now_filed.case).count() == 1


def _plain_parser() -> Any:
    with contextlib.redirect_stdout(io.StringIO()):
        from jionlp.gadget.location_parser import LocationParser

        return LocationParser()


def _texts(n: int) -> list[str]:
    """Addresses built from jionlp's own dictionary: full names, short names, streets,
    shuffled parts and filler, across the whole country."""
    from jionlp.dictionary.dictionary_loader import china_location_loader

    rng = random.Random(2026)
    places = []
    for province, cities in china_location_loader(detail=True).items():
        if province.startswith("_"):
            continue
        for city_name, counties in cities.items():
            if city_name.startswith("_"):
                continue
            city_aliases = counties.get("_alias") or [city_name]
            for county, towns in counties.items():
                if county.startswith("_"):
                    continue
                places.append(
                    (
                        [province, cities["_alias"]],
                        [city_name, *city_aliases],
                        [county, towns.get("_alias") or county],
                        [t for t in towns if not t.startswith("_")],
                    )
                )
    filler = "路街道号楼小区门口附近公园中山南北东西大道"
    texts = ["中山公园门口", "北京市朝阳区", "北海市重庆路其仓11号", "上海市嘉定区太原路99号", ""]
    while len(texts) < n:
        province, city_names, county, towns = rng.choice(places)
        parts = [
            rng.choice([*province, ""]),
            rng.choice([*city_names, ""]),
            rng.choice([*county, ""]),
        ]
        if towns and rng.random() < 0.5:
            parts.append(rng.choice(towns))
        parts.append("".join(rng.choice(filler) for _ in range(rng.randint(0, 8))))
        if rng.random() < 0.2:
            rng.shuffle(parts)
        texts.append("".join(parts))
    return texts


@pytest.mark.slow
def test_the_indexed_address_parser_answers_exactly_as_jionlp_does() -> None:
    plain = _plain_parser()
    fast = addresses._location_parser()
    for text in _texts(800):
        expected = plain(text, town_village=True, change2new=True)
        assert fast(text, town_village=True, change2new=True) == expected, text
