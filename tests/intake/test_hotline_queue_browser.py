"""In a real browser: an operator opens a 待定位 hotline order and places it on the map."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hotline_support import hotline_fixture, order, post_order  # noqa: F401  (fixtures)

from case_support import POINT_B, City
from yiwang.cases.models import Case
from yiwang.intake.models import HotlineOrder, HotlineSystem


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_operator_places_a_waiting_order_by_clicking_the_map(
    browser_page: Any, live_server: Any, city: City, hotline: HotlineSystem
) -> None:
    response = post_order(
        Client(), order("BR-1", located=False, address="深圳市福田区园岭街道八卦二路")
    )
    assert response.status_code == 201, response.content
    row = HotlineOrder.objects.get(order_id="BR-1")
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{live_server.url}/intake/hotline/")
    page.fill("#id_username", city.users["operator"].username)
    page.fill("#id_password", "test-pass-123")
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{live_server.url}/intake/hotline/")
    page.click("tr[data-order='BR-1'] a")
    page.wait_for_url(f"{live_server.url}/intake/hotline/orders/{row.pk}/")
    assert "园岭街道" in (page.text_content("#order-resolved") or "")

    page.wait_for_function("() => window.yiwangPlaceMap !== undefined")
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.yiwangPlaceMap.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [POINT_B[1], POINT_B[0]],
    )
    page.locator("#place-map").click(position={"x": x, "y": y})
    assert abs(float(page.input_value("#id_lon")) - POINT_B[0]) < 1e-4
    page.screenshot(path="/tmp/hotline-place.png", full_page=True)

    page.click("#place-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    case = Case.objects.get()
    assert page.url.endswith(f"/cases/{case.number}/")
    assert case.source == "hotline" and case.street.code == "440304002"
    assert errors == []
