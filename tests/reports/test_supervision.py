"""重点监管: a leader puts a hotspot cell under supervision, the worker gives check tasks at
the chosen frequency until the spot is released; each write is audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import h3
import pytest
from django.test import Client

from case_support import POINT_B, City
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.models import AuditEntry
from yiwang.reports import actions, queries
from yiwang.reports.models import SpotCheck

CELL = h3.latlng_to_cell(POINT_B[1], POINT_B[0], 9)
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def test_checks_follow_the_frequency_until_release(city: City) -> None:
    leader = city.users["leader"]
    spot = actions.supervise(leader, cell=CELL, frequency_days=3, reason="占道经营反复", now=T0)
    assert AuditEntry.objects.filter(action="reports.supervise", object_id=str(spot.pk)).exists()

    assert actions.generate_checks(now=T0) == 1  # the first check at once
    assert actions.generate_checks(now=T0 + timedelta(days=2, hours=23)) == 0
    assert actions.generate_checks(now=T0 + timedelta(days=3)) == 1
    assert SpotCheck.objects.filter(spot=spot).count() == 2
    # Street B's inspector sees the checks (the leader's district covers street B).
    assert [c.spot.cell for c in queries.spot_checks(city.inspector_b)] == [CELL, CELL]

    actions.release(leader, spot.pk, now=T0 + timedelta(days=4))
    assert AuditEntry.objects.filter(action="reports.release", object_id=str(spot.pk)).exists()
    assert actions.generate_checks(now=T0 + timedelta(days=30)) == 0
    assert list(queries.supervised_spots(leader)) == []
    with pytest.raises(NotFound):
        actions.release(leader, spot.pk)


def test_refusals(city: City) -> None:
    leader = city.users["leader"]
    with pytest.raises(PermissionDenied):
        actions.supervise(city.users["inspector"], cell=CELL, frequency_days=3, reason="x")
    with pytest.raises(InvalidInput) as caught:
        actions.supervise(leader, cell="not-a-cell", frequency_days=3, reason="x")
    assert caught.value.code == "bad_cell"
    with pytest.raises(InvalidInput) as caught:
        actions.supervise(leader, cell=CELL, frequency_days=0, reason="x")
    assert caught.value.code == "bad_frequency"
    with pytest.raises(InvalidInput) as caught:
        actions.supervise(leader, cell=CELL, frequency_days=3, reason="  ")
    assert caught.value.code == "bad_reason"
    actions.supervise(leader, cell=CELL, frequency_days=3, reason="反复")
    with pytest.raises(Conflict):
        actions.supervise(leader, cell=CELL, frequency_days=7, reason="再次")
    # Everyone of the leader's district sees it.
    spot = queries.supervised_spots(leader).get()
    assert list(queries.supervised_spots(city.users["operator"])) == [spot]


def test_page_puts_a_cell_under_supervision_and_releases_it(city: City) -> None:
    client = Client()
    client.force_login(city.users["leader"])
    response = client.post(
        "/reports/supervision/", {"cell": CELL, "frequency_days": 7, "reason": "夜市占道"}
    )
    assert response.status_code == 302
    page = client.get("/reports/supervision/").content.decode()
    assert CELL in page and "夜市占道" in page
    spot = queries.supervised_spots(city.users["leader"]).get()
    response = client.post(f"/reports/supervision/{spot.pk}/release/")
    assert response.status_code == 302
    assert list(queries.supervised_spots(city.users["leader"])) == []
    # A refused request shows the reason and changes nothing.
    inspector = Client()
    inspector.force_login(city.users["inspector"])
    response = inspector.post(
        "/reports/supervision/", {"cell": CELL, "frequency_days": 7, "reason": "x"}
    )
    assert response.status_code == 403
    assert "只有" in response.content.decode()


@pytest.mark.browser
def test_supervision_page_in_the_browser(city: City, browser_page: Any, live_server: Any) -> None:
    spot = actions.supervise(city.users["leader"], cell=CELL, frequency_days=7, reason="夜市占道")
    actions.generate_checks()
    page = browser_page
    page.goto(f"{live_server.url}/login/?next=/reports/supervision/")
    page.fill("#id_username", city.users["leader"].username)
    page.fill("#id_password", "test-pass-123")
    with page.expect_navigation(url=f"{live_server.url}/reports/supervision/"):
        page.click("button[type=submit]:has-text('登录')")
    assert page.locator("#spots tbody tr").count() == 1
    assert page.locator("#checks tbody tr").first.inner_text().startswith(spot.cell)
    page.screenshot(path="/tmp/supervision-page.png", full_page=True)
