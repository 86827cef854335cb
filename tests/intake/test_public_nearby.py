"""Recent public reports near a point: type, coarse place, state, date — nothing personal."""

from __future__ import annotations

import math
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from case_support import POINT_A, POINT_B, City
from public_support import media, move, report
from yiwang.cases import actions as case_actions

__all__ = ["media"]  # the autouse fixture

MIDDLE = ((POINT_A[0] + POINT_B[0]) / 2, POINT_A[1])


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Equirectangular distance: independent of the haversine the page uses, metre-close here."""
    mean_lat = math.radians((a[1] + b[1]) / 2)
    dx = math.radians(b[0] - a[0]) * math.cos(mean_lat)
    dy = math.radians(b[1] - a[1])
    return 6_371_008.8 * math.hypot(dx, dy)


def listed(point: tuple[float, float], page: int = 1) -> tuple[int, list[str], str]:
    response = Client().get(
        "/report/nearby/", {"lon": f"{point[0]}", "lat": f"{point[1]}", "page": page}
    )
    assert response.status_code == 200
    html = response.content.decode()
    count = re.search(r'id="nearby-count">共 (\d+) 条上报', html)
    items = re.findall(r'<strong class="nearby-type">([^<]*)</strong>', html)
    return (int(count.group(1)) if count else 0), items, html


@pytest.mark.django_db
def test_reports_within_a_kilometre_are_listed_newest_first(city: City) -> None:
    # POINT_A and POINT_B are about 1 028 m apart: from A, B lies just outside the circle.
    assert 1000 < metres_between(POINT_A, POINT_B) < 1100
    now = timezone.now()
    report(code="01001", point=POINT_A, now=now - timedelta(hours=2), phone="13800138000")
    report(code="06001", point=POINT_B, now=now - timedelta(hours=1))

    count, items, html = listed(POINT_A)
    assert (count, items) == (1, ["供水井盖异常"])
    assert "南园街道 南华社区" in html and "待核实" in html
    assert (now - timedelta(hours=2)).astimezone(timezone.get_current_timezone()).strftime(
        "%Y-%m-%d"
    ) in html
    for personal in ("13800138000", "深南大道", "行人踩空"):
        assert personal not in html

    count, items, _ = listed(MIDDLE)
    # Both about 514 m from the middle; the newer first.
    assert count == 2 and items[0] != "供水井盖异常" and items[1] == "供水井盖异常"


@pytest.mark.django_db
def test_old_set_aside_and_staff_reports_are_not_listed(city: City) -> None:
    report(point=POINT_A, now=timezone.now() - timedelta(days=31))
    voided = report(point=POINT_A)
    move(voided.case, "request_void", city.users["operator"], note="不属实")  # type: ignore[arg-type]
    move(voided.case, "approve_void", city.users["shift_lead"])  # type: ignore[arg-type]
    case_actions.report_case(
        city.users["inspector"],
        kind="matter",
        type_code="06001",
        title="暴露垃圾",
        lon=POINT_A[0],
        lat=POINT_A[1],
    )
    assert listed(POINT_A)[:2] == (0, [])
    assert "附近暂无公众上报" in listed(POINT_A)[2]


@pytest.mark.django_db
def test_the_list_is_paginated(city: City) -> None:
    for _ in range(21):
        report(point=POINT_A)
    count, first, html = listed(POINT_A)
    assert count == 21 and len(first) == 20
    assert "第 1 / 2 页" in html
    assert len(listed(POINT_A, page=2)[1]) == 1


@pytest.mark.django_db
def test_points_on_the_map_are_coarse(city: City) -> None:
    report(point=(114.0512345, 22.5412345))
    _, _, html = listed(POINT_A)
    config = re.search(r'<script id="nearby-config" type="application/json">(.*?)</script>', html)
    assert config is not None
    assert '"lat": 22.541, "lon": 114.051' in config.group(1)
    assert "114.0512345" not in html and "22.5412345" not in html


@pytest.mark.django_db
def test_the_page_without_a_point_offers_the_map_and_bad_coordinates_are_refused(
    city: City,
) -> None:
    page = Client().get("/report/nearby/")
    assert page.status_code == 200
    assert 'id="nearby-map"' in page.content.decode()
    assert "nearby-count" not in page.content.decode()
    bad = Client().get("/report/nearby/", {"lon": "east", "lat": "22.5"})
    assert bad.status_code == 400 and "位置坐标不正确" in bad.content.decode()
    far = Client().get("/report/nearby/", {"lon": "200", "lat": "22.5"})
    assert far.status_code == 400
