"""In a real browser at 1366×900: the header menu fits one line for the users who see the
most entries, and an operator goes from the 多渠道受理 desk to a channel's page and back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hotline_support import hotline_fixture, order  # noqa: F401  (fixtures)
from video_support import video_city

from case_support import City
from yiwang.intake.actions import hotline as hotline_actions
from yiwang.intake.models import HotlineSystem
from yiwang.intake.schemas.hotline import HotlineOrderIn
from yiwang.org import actions as org_actions

PASSWORD = "test-pass-123"
WAIT_MS = 15_000


def sign_in(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation(url=f"{base}/", timeout=WAIT_MS):
        page.click("button[type=submit]:has-text('登录')")


def menu_lines(page: Any) -> int:
    """How many lines the header menu takes (its entries' distinct tops)."""
    tops = page.locator("ul.menu > li").evaluate_all(
        "items => items.map(li => Math.round(li.getBoundingClientRect().top))"
    )
    return len(set(tops))


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_menu_is_one_line_and_the_desk_leads_to_each_channel(
    browser_page: Any,
    live_server: Any,
    city: City,
    hotline: HotlineSystem,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    video_city(city)
    hotline_actions.receive_order(
        hotline, HotlineOrderIn.model_validate(order("W-1", located=False))
    )
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1366, "height": 900})

    # The administrator sees the most entries (as the demo's: named after the role).
    admin = org_actions.create_staff(
        city.root,
        username="sysadmin",
        password=PASSWORD,
        role="admin",
        division_code="440304",
        display_name="系统管理员",
    )
    sign_in(page, base, admin.username)
    assert menu_lines(page) == 1
    page.screenshot(
        path="/tmp/desk-header-admin.png", clip={"x": 0, "y": 0, "width": 1366, "height": 60}
    )
    page.click("button[type=submit]:has-text('退出登录')")
    sign_in(page, base, city.users["operator"].username)
    assert menu_lines(page) == 1
    page.click("a[data-menu='intake']")
    page.wait_for_url(f"{base}/intake/", timeout=WAIT_MS)
    assert page.locator("h1").inner_text() == "多渠道受理"
    assert page.locator("[data-channel]").evaluate_all(
        "cards => cards.map(c => c.dataset.channel)"
    ) == [
        "public",
        "hotline",
        "video",
        "open311",
    ]
    assert page.locator("[data-count='awaiting-location']").inner_text() == "1"
    page.screenshot(path="/tmp/desk-operator.png", full_page=True)

    # Into the hotline queue by the card's figure: the menu still marks 多渠道受理.
    page.click("[data-count='awaiting-location']")
    page.wait_for_url(f"{base}/intake/hotline/", timeout=WAIT_MS)
    assert page.locator("tr[data-order='W-1']").is_visible()
    assert page.locator("a[data-menu='intake']").get_attribute("aria-current") == "page"
    page.go_back()
    page.click("[data-channel='public'] a:has-text('公众照片审核')")
    page.wait_for_url(f"{base}/report/review/", timeout=WAIT_MS)
    assert page.locator("a[data-menu='intake']").get_attribute("aria-current") == "page"

    # A leader's menu is one line too: the analysis pages are behind 分析研判.
    page.click("button[type=submit]:has-text('退出登录')")
    sign_in(page, base, city.users["leader"].username)
    assert menu_lines(page) == 1
    page.click("a[data-menu='analysis']")
    page.wait_for_url(f"{base}/reports/", timeout=WAIT_MS)
    assert page.locator("h1").inner_text() == "分析研判"
    assert page.locator("[data-card]").evaluate_all("cards => cards.map(c => c.dataset.card)") == [
        "evaluation",
        "bulletins",
        "hotspots",
        "dashboard",
    ]
    page.screenshot(path="/tmp/hub-leader.png", full_page=True)
    page.click("[data-card='hotspots'] a:has-text('热点分析')")
    page.wait_for_url(f"{base}/reports/hotspots/**", timeout=WAIT_MS)
    assert page.locator("a[data-menu='analysis']").get_attribute("aria-current") == "page"
