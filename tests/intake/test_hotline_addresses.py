"""Hotline addresses resolved to divisions with jionlp, checked against the reference list.

The expected division of every address is looked up by name in
shared/reference/guangdong-divisions.csv (GB/T 2260 codes), not taken from the code.
"""

from __future__ import annotations

import csv
import socket
from typing import Any

import pytest
from django.test import Client
from hotline_support import hotline_fixture, order, post_order  # noqa: F401  (fixtures)

from case_support import City
from shared_data import shared_file
from yiwang.intake import addresses
from yiwang.intake.models import HotlineOrder, HotlineSystem
from yiwang.org.models import Division


def reference_code(city: str, county: str = "") -> str:
    """The GB/T 2260 code of a city, or of a county of that city, from the reference list."""
    with shared_file("reference", "guangdong-divisions.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    city_code = next(r["code"] for r in rows if r["name"] == city and r["level"] == "city")
    if not county:
        return city_code
    return next(r["code"] for r in rows if r["name"] == county and r["parent_code"] == city_code)


@pytest.fixture
def shenzhen(db: Any) -> Division:
    return Division.objects.get(code=reference_code("深圳市"))


@pytest.mark.parametrize(
    ("text", "city", "county"),
    [
        ("广东省深圳市福田区福华三路100号", "深圳市", "福田区"),
        # 光明区 (2018): missing from older address libraries' tables.
        ("深圳市光明区华夏路28号", "深圳市", "光明区"),
        ("深圳市坪山区坪山大道", "深圳市", "坪山区"),
        # No city written: 龙华区 exists in Shenzhen and in Haikou; this node is Shenzhen.
        ("龙华区民治街道民治大道", "深圳市", "龙华区"),
        ("广州市天河区天河路385号", "广州市", "天河区"),
        ("佛山市顺德区大良街道新桂路", "佛山市", "顺德区"),
        ("韶关市仁化县丹霞街道", "韶关市", "仁化县"),
        ("湛江市霞山区人民大道南", "湛江市", "霞山区"),
        # 东莞 and 中山 have no districts: the city is as far as the text goes.
        ("东莞市南城街道鸿福路200号", "东莞市", ""),
        ("中山市石岐区孙文中路", "中山市", ""),
    ],
)
@pytest.mark.django_db
def test_real_guangdong_addresses_resolve_to_their_division(
    shenzhen: Division, text: str, city: str, county: str
) -> None:
    resolved = addresses.resolve(text, shenzhen)
    assert resolved.division is not None
    assert resolved.division.code == reference_code(city, county)
    assert resolved.outside == (city != "深圳市")


@pytest.mark.parametrize(
    "text",
    [
        "中山公园门口",  # "中山" is also 中山市's short name: not a city written out
        "惠州大道与东环路交叉口",
        "南山公园东门",
        "深南大道6008号",
    ],
)
@pytest.mark.django_db
def test_a_short_name_inside_a_street_name_is_not_taken_for_a_city(
    shenzhen: Division, text: str
) -> None:
    resolved = addresses.resolve(text, shenzhen)
    assert resolved.division is None
    assert not resolved.outside


@pytest.mark.django_db
def test_a_place_outside_the_province_is_outside(shenzhen: Division) -> None:
    resolved = addresses.resolve("北京市朝阳区建国路88号", shenzhen)
    assert resolved.division is None and resolved.outside


@pytest.mark.django_db
def test_an_order_outside_the_node_city_is_refused_with_the_reason(
    city: City, hotline: HotlineSystem
) -> None:
    response = post_order(
        Client(), order("OUT-1", located=False, address="广州市海珠区新港中路397号")
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "outside_node" and body["field"] == "address"
    assert "海珠区" in body["message"] and "深圳市" in body["message"]
    assert HotlineOrder.objects.count() == 0


@pytest.mark.django_db
def test_resolution_works_without_any_network(
    shenzhen: Division, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library must not fetch anything: every socket is refused while it loads and runs."""

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the address library tried to open a network connection")

    monkeypatch.setattr(addresses, "_parser", None)
    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    resolved = addresses.resolve("深圳市福田区南园街道华强南路", shenzhen)
    assert resolved.division is not None
    assert resolved.division.code == reference_code("深圳市", "福田区")
