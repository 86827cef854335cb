"""The map page and the admin site for reference data."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.test import Client

from yiwang.org.models import User


def map_config(html: str) -> dict[str, Any]:
    found = re.search(r'<script id="map-config" type="application/json">(.*?)</script>', html, re.S)
    assert found, "map page carries its configuration"
    return dict(json.loads(found.group(1)))


def test_map_fits_the_users_grids(
    client: Client, make_user: Callable[..., User], demo: dict[str, Any]
) -> None:
    client.force_login(make_user("inspector", "440304001"))
    html = client.get("/map/").content.decode()
    assert 'id="map"' in html and 'id="locate-result"' in html
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "http://" not in html and "https://" not in html  # no CDN, works offline
    config = map_config(html)
    (south, west), (north, east) = config["bounds"]
    grid_a = demo["grid_a"]
    # Street A's user gets exactly grid A's box, not street B's grid.
    assert (west, south, east, north) == (
        grid_a.min_lon,
        grid_a.min_lat,
        grid_a.max_lon,
        grid_a.max_lat,
    )
    assert config["tileUrl"] == ""
    assert config["labels"]["gridCode"] == "网格编码"


def test_map_without_grids_says_so(
    client: Client, make_user: Callable[..., User], org_tree: Any
) -> None:
    client.force_login(make_user("inspector", "440304001"))
    html = client.get("/map/").content.decode()
    assert map_config(html)["bounds"] is None
    assert "尚无单元网格" in html


def test_admin_lists_divisions_for_a_system_administrator(
    client: Client, make_user: Callable[..., User], org_tree: Any
) -> None:
    client.force_login(make_user("admin", "440304"))
    index = client.get("/admin/")
    assert index.status_code == 200
    page = client.get("/admin/org/division/", {"q": "南园"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "440304001" in html
    # Outside the administrator's district: not listed.
    assert "440305" not in client.get("/admin/org/division/").content.decode()


def test_admin_adds_staff_through_the_action(
    client: Client, make_user: Callable[..., User], org_tree: Any
) -> None:
    client.force_login(make_user("admin", "440304"))
    division = org_tree["street_a"]
    form = {
        "username": "inspector-zhang",
        "password1": "zhang-pass-2024",
        "password2": "zhang-pass-2024",
        "display_name": "张三",
        "role": "inspector",
        "division": str(division.pk),
        "phone": "",
    }
    response = client.post("/admin/org/user/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="inspector-zhang")
    assert (
        user.role == "inspector"
        and user.division == division
        and user.check_password("zhang-pass-2024")
    )
    from yiwang.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="org.create_staff", object_id=str(user.pk)).exists()

    # A handler without a department is refused with the action's message by the field.
    refused = client.post(
        "/admin/org/user/add/", {**form, "username": "handler-li", "role": "handler"}
    )
    assert refused.status_code == 200
    assert "处置人员必须指定所属部门" in refused.content.decode()
    assert not User.objects.filter(username="handler-li").exists()
