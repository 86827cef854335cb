"""In a real browser: sign in, open the map, click inside a grid, read its code."""

from __future__ import annotations

from typing import Any

import pytest
from web_support import CENTRE_A, square

from yiwang.geo.actions import create_grid
from yiwang.org.models import User

SCREENSHOT = "/tmp/yw-web/map.png"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_signs_in_and_locates_a_grid_on_the_map(
    browser_page: Any, live_server: Any, root: User, make_user: Any, org_tree: Any
) -> None:
    grid = create_grid(
        root,
        code="440304001001001",
        name="南华一格",
        community_code="440304001001",
        geometry=square(*CENTRE_A),
    )
    create_grid(
        root,
        code="440304001001002",
        name="南华二格",
        community_code="440304001001",
        geometry=square(CENTRE_A[0], CENTRE_A[1] + 0.0025),
    )
    admin = make_user("admin", "440304")
    page = browser_page
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{live_server.url}/map/")
    # Not signed in: the login form, in Chinese.
    assert "/login/" in page.url
    page.fill("#id_username", admin.username)
    page.fill("#id_password", "test-pass-123")
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(f"{live_server.url}/map/")

    # The grids of the district are drawn, labelled with their codes.
    page.wait_for_selector(".grid-label:has-text('440304001001001')")
    assert page.locator("path.leaflet-interactive").count() >= 2

    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.yiwangMap.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [CENTRE_A[1] - 0.0005, CENTRE_A[0] - 0.0005],
    )
    page.locator("#map").click(position={"x": x, "y": y})
    result = page.locator("#locate-result")
    page.wait_for_function("() => document.querySelector('#locate-result').dataset.gridCode !== ''")
    assert result.get_attribute("data-grid-code") == grid.code
    text = result.inner_text()
    assert grid.code in text and "南华一格" in text and "南华社区" in text and "南园街道" in text
    assert "福田区" in text
    page.screenshot(path=SCREENSHOT)
    assert not console_errors, console_errors

    # Outside every grid: a clear message instead of a code.
    far = page.evaluate(
        "([lat, lon]) => { const p = window.yiwangMap.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [CENTRE_A[1], CENTRE_A[0] - 0.0018],
    )
    page.locator("#map").click(position={"x": far[0], "y": far[1]})
    page.wait_for_selector("#locate-result.not-found")
    assert "不在任何单元网格内" in result.inner_text()
