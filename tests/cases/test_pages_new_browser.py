"""In a real browser: an inspector picks a type, clicks the map and reports a case."""

from __future__ import annotations

from typing import Any

import pytest

from case_support import POINT_A, City
from yiwang.cases.models import Case


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_inspector_reports_by_clicking_the_map(
    browser_page: Any, live_server: Any, city: City
) -> None:
    inspector = city.users["inspector"]
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{live_server.url}/cases/new/")
    page.fill("#id_username", inspector.username)
    page.fill("#id_password", "test-pass-123")
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{live_server.url}/cases/new/")

    page.fill("#new-type", "井盖")
    page.wait_for_selector(".picker-option[data-code='01001']")
    page.click(".picker-option[data-code='01001']")
    assert page.input_value("input[name=type_code]") == "01001"
    page.fill("#id_title", "供水井盖异常")

    page.wait_for_function("() => window.yiwangReportMap !== undefined")
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.yiwangReportMap.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [POINT_A[1], POINT_A[0]],
    )
    page.locator("#report-map").click(position={"x": x, "y": y})
    page.wait_for_function("() => document.querySelector('#located').dataset.gridCode")
    assert page.locator("#located").get_attribute("data-grid-code") == "440304001001001"
    assert (page.locator("#location-error").text_content() or "").strip() == ""
    assert abs(float(page.input_value("#id_lon")) - POINT_A[0]) < 1e-4

    page.click("button[type=submit]:has-text('提交上报')")
    page.wait_for_load_state("networkidle")
    case = Case.objects.get()
    assert page.url.endswith(f"/cases/{case.number}/")
    assert case.type.code == "01001" and case.kind == "matter"
    assert case.grid.code == "440304001001001"
    assert errors == []
