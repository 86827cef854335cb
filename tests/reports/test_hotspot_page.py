"""The hotspot page: filters, the ranked lists, the map layer (browser)."""

from __future__ import annotations

import json
from typing import Any

import h3
import pytest
from django.test import Client
from hotspot_support import RESOLUTION, add_big_grid, centre, grid_cells, report_at

from case_support import City

QUERY = {"start": "2026-11-01", "end": "2026-11-30", "resolution": RESOLUTION}


@pytest.fixture
def clustered(city: City) -> str:
    add_big_grid(city)
    middle = h3.latlng_to_cell(22.615, 114.115, RESOLUTION)
    report_at(city, [centre(c) for c in h3.grid_disk(middle, 1) for _ in range(4)], "2026-11-03")
    report_at(city, [centre(c) for c in sorted(grid_cells())[1::25]], "2026-11-04")
    for day in ("2026-11-05", "2026-11-06", "2026-11-07"):
        report_at(city, [centre(middle)], day, type_code="06002")
    return middle


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_page_ranks_the_cluster_first_and_lists_recurrences(city: City, clustered: str) -> None:
    response = signed_in(city.users["leader"]).get("/reports/hotspots/", QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    assert "热点分析" in html
    first_row = html.split("<tbody>")[1].split("</tr>")[0]
    assert f'data-cell="{clustered}"' in first_row
    assert "店面无证装修" in html.split('id="recurrences"')[1]
    config = json.loads(html.split('id="hotspot-config" type="application/json">')[1].split("<")[0])
    kinds = {f["id"]: f["properties"]["kind"] for f in config["cells"]["features"]}
    assert kinds[clustered] == "hot"


def test_bad_filters_show_an_error(city: City) -> None:
    client = signed_in(city.users["leader"])
    response = client.get("/reports/hotspots/", {"type_code": "123"})
    assert response.status_code == 400
    assert "请输入 2 位大类代码或 5 位小类代码。" in response.content.decode()
    response = client.get("/reports/hotspots/", {"start": "2026-11-30", "end": "2026-11-01"})
    assert response.status_code == 400
    assert "结束日期不能早于开始日期。" in response.content.decode()


def test_default_page_opens_on_the_last_30_days(city: City) -> None:
    response = signed_in(city.users["leader"]).get("/reports/hotspots/")
    assert response.status_code == 200
    assert "统计期内没有显著的热点。" in response.content.decode()


@pytest.mark.browser
@pytest.mark.slow
def test_map_colours_the_hot_cells(
    city: City, clustered: str, browser_page: Any, live_server: Any
) -> None:
    page = browser_page
    path = "/reports/hotspots/?start=2026-11-01&end=2026-11-30&resolution=9"
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/login/?next=/reports/hotspots/")
    page.fill("#id_username", city.users["leader"].username)
    page.fill("#id_password", "test-pass-123")
    with page.expect_navigation(url=f"{live_server.url}/reports/hotspots/"):
        page.click("button[type=submit]:has-text('登录')")
    page.goto(f"{live_server.url}{path}")
    page.wait_for_selector("path.leaflet-interactive")
    # The seven clustered cells are drawn in the 99 % hot colour.
    assert page.locator('path.leaflet-interactive[fill="#b2182b"]').count() >= 7
    assert page.locator("#hot-cells tbody tr").first.get_attribute("data-cell") == clustered
    page.screenshot(path="/tmp/hotspots-page.png")
    assert not errors
