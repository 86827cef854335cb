"""重点监管 check tasks on the inspector's phone (城管通) and in the supervision API: the
inspectors of the spot's community see them nearest first, do each once with a finding, and
the supervision page shows who did it and which are overdue."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import h3
import pytest
from django.test import Client
from django.utils import timezone
from pyproj import Geod

from case_support import POINT_B, City, png
from yiwang.core.models import AuditEntry
from yiwang.org.models import User
from yiwang.reports import actions
from yiwang.reports.models import SpotCheck, SupervisedSpot

CELL = h3.latlng_to_cell(POINT_B[1], POINT_B[0], 9)
API = "/api/reports/supervision"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def a_check(city: City, *, cell: str = CELL, now: datetime | None = None) -> SpotCheck:
    spot = actions.supervise(
        city.users["leader"], cell=cell, frequency_days=7, reason="夜市占道反复", now=now
    )
    assert actions.generate_checks(now=now) >= 1
    return SpotCheck.objects.filter(spot=spot).latest("id")


def task_list(client: Client, lon: float | None = None, lat: float | None = None) -> str:
    query = {} if lon is None else {"lon": lon, "lat": lat}
    response = client.get("/m/tasks/list/", query)
    assert response.status_code == 200
    return response.content.decode()


def test_the_inspector_of_the_community_sees_the_task_and_one_elsewhere_does_not(
    city: City,
) -> None:
    check = a_check(city)
    mine = task_list(signed_in(city.inspector_b), *POINT_B)
    assert f'data-check="{check.pk}"' in mine and "夜市占道反复" in mine
    # The due time, shown in Asia/Shanghai: one day after the task was given.
    due = timezone.localtime(check.created_at + timedelta(days=1))
    assert due.strftime("%m-%d %H:%M") in mine
    # Street A's inspector: the spot lies in street B.
    other = task_list(signed_in(city.users["inspector"]), *POINT_B)
    assert "data-check=" not in other and "夜市占道反复" not in other
    assert signed_in(city.users["inspector"]).get(f"/m/checks/{check.pk}/").status_code == 404
    api = signed_in(city.users["inspector"]).get(f"{API}/checks")
    assert api.status_code == 200 and api.json() == []


def test_checks_are_listed_nearest_first(city: City) -> None:
    # Two resolution-10 cells (edge ≈ 66 m) inside street B's grid (114.060–114.062,
    # 22.540–22.542), neighbours about 130 m apart.
    near_cell = h3.latlng_to_cell(POINT_B[1], POINT_B[0], 10)
    inside = [
        c
        for c in sorted(h3.grid_ring(near_cell, 1))
        if 114.0601 < h3.cell_to_latlng(c)[1] < 114.0619
        and 22.5401 < h3.cell_to_latlng(c)[0] < 22.5419
    ]
    far_cell = inside[0]
    far = a_check(city, cell=far_cell)
    near = a_check(city, cell=near_cell)
    geod = Geod(ellps="WGS84")
    lat, lon = h3.cell_to_latlng(far_cell)
    # Stand on the far spot's centre: it is now the nearest.
    html = task_list(signed_in(city.inspector_b), lon, lat)
    assert html.index(f'data-check="{far.pk}"') < html.index(f'data-check="{near.pk}"')
    near_lat, near_lon = h3.cell_to_latlng(near_cell)
    _, _, metres = geod.inv(lon, lat, near_lon, near_lat)
    shown = f"{round(metres)} 米"
    assert shown in html or f"{round(metres) - 1} 米" in html or f"{round(metres) + 1} 米" in html


def test_completing_on_the_phone_records_who_and_when_once(city: City) -> None:
    check = a_check(city)
    phone = signed_in(city.inspector_b)
    page = phone.get(f"/m/checks/{check.pk}/").content.decode()
    assert "夜市占道反复" in page and 'name="result"' in page
    upload = io.BytesIO(png(3))
    upload.name = "p.png"
    before = timezone.now()
    response = phone.post(
        f"/m/checks/{check.pk}/done/", {"result": "ok", "note": "现场整洁", "photo": upload}
    )
    assert response.status_code == 302 and response["Location"].startswith("/m/tasks/")
    check.refresh_from_db()
    assert (check.result, check.note, check.done_by) == ("ok", "现场整洁", city.inspector_b)
    assert check.done_at is not None and check.done_at >= before
    assert check.photo and check.photo_type == "image/png"
    entry = AuditEntry.objects.get(action="reports.spot_check_done", object_id=str(check.pk))
    assert entry.actor_id == city.inspector_b.pk
    # No longer a task; a second completion is refused.
    assert "data-check=" not in task_list(phone, *POINT_B)
    again = phone.post(f"/m/checks/{check.pk}/done/", {"result": "problem"})
    assert again.status_code == 409 and "已完成" in again.content.decode()
    check.refresh_from_db()
    assert check.result == "ok"
    # The supervision page shows the completion, and the photo to those in scope.
    leader = signed_in(city.users["leader"])
    sup = leader.get("/reports/supervision/").content.decode()
    row = sup[sup.index(f'data-check="{check.pk}"') :].split("</tr>")[0]
    assert "已完成" in row and "无问题" in row and "现场整洁" in row
    assert city.inspector_b.username in row
    photo = leader.get(f"/reports/supervision/checks/{check.pk}/photo/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert (
        signed_in(city.users["inspector"])
        .get(f"/reports/supervision/checks/{check.pk}/photo/")
        .status_code
        == 404
    )


def test_a_problem_found_leads_to_the_report_form_at_the_spot(city: City) -> None:
    check = a_check(city)
    response = signed_in(city.inspector_b).post(
        f"/m/checks/{check.pk}/done/", {"result": "problem", "note": "又有摊贩占道"}
    )
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    query = parse_qs(target.query)
    lat, lon = h3.cell_to_latlng(CELL)
    assert target.path == "/m/"
    assert abs(float(query["lon"][0]) - lon) < 1e-6 and abs(float(query["lat"][0]) - lat) < 1e-6
    assert query["note"] == ["又有摊贩占道"] and query["check"] == [str(check.pk)]


def test_bad_input_is_refused_next_to_the_field(city: City) -> None:
    check = a_check(city)
    phone = signed_in(city.inspector_b)
    response = phone.post(f"/m/checks/{check.pk}/done/", {"result": "maybe"})
    assert response.status_code == 400 and "请选择核查结果" in response.content.decode()
    bad = io.BytesIO(b"<script>alert(1)</script>")
    bad.name = "x.png"
    response = phone.post(f"/m/checks/{check.pk}/done/", {"result": "ok", "photo": bad})
    assert response.status_code == 400 and "JPEG" in response.content.decode()
    check.refresh_from_db()
    assert check.done_at is None
    # Only inspectors do checks.
    leader = signed_in(city.users["leader"])
    refused = leader.post(
        f"{API}/checks/{check.pk}/complete", json.dumps({"result": "ok"}), "application/json"
    )
    assert refused.status_code == 403 and refused.json()["code"]


def test_the_supervision_api_lists_and_completes_once(city: City) -> None:
    check = a_check(city)
    leader = signed_in(city.users["leader"])
    spots = leader.get(f"{API}/spots").json()
    assert [(s["cell"], s["reason"], s["frequency_days"]) for s in spots] == [
        (CELL, "夜市占道反复", 7)
    ]
    inspector = signed_in(city.inspector_b)
    listed = inspector.get(f"{API}/checks").json()
    assert [(c["id"], c["cell"], c["done_at"], c["overdue"]) for c in listed] == [
        (check.pk, CELL, None, False)
    ]
    url = f"{API}/checks/{check.pk}/complete"
    done = inspector.post(
        url, json.dumps({"result": "problem", "note": "井盖缺失"}), "application/json"
    )
    assert done.status_code == 200
    body = done.json()
    assert (body["result"], body["note"], body["done_by"]) == (
        "problem",
        "井盖缺失",
        city.inspector_b.username,
    )
    twice = inspector.post(url, json.dumps({"result": "ok"}), "application/json")
    assert twice.status_code == 409
    assert twice.json() == {
        "code": "check_done",
        "message": "该核查任务已完成，不能重复提交。",
        "field": "check_id",
    }
    assert inspector.get(f"{API}/checks").json() == []
    every = inspector.get(f"{API}/checks", {"state": "all"}).json()
    assert [c["result"] for c in every] == ["problem"]
    missing = inspector.post(
        f"{API}/checks/999999/complete", json.dumps({"result": "ok"}), "application/json"
    )
    assert missing.status_code == 404 and missing.json()["code"] == "check_not_found"
    bad = inspector.post(url, json.dumps({"result": "x"}), "application/json")
    assert bad.status_code == 400 and bad.json()["field"]


def test_overdue_checks_are_flagged_on_the_supervision_page(city: City) -> None:
    long_ago = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    check = a_check(city, now=long_ago)
    page = signed_in(city.users["leader"]).get("/reports/supervision/").content.decode()
    assert "1 个核查任务已超时未完成" in page
    row = page[page.index(f'data-check="{check.pk}"') :].split("</tr>")[0]
    assert 'class="overdue"' in row and "已超时" in row
    listed = signed_in(city.inspector_b).get(f"{API}/checks").json()
    assert listed[0]["overdue"] is True


def test_a_released_spot_has_no_tasks_and_refuses_completion(city: City) -> None:
    check = a_check(city)
    actions.release(city.users["leader"], check.spot.pk)
    assert SupervisedSpot.objects.get().status == "released"
    phone = signed_in(city.inspector_b)
    assert "data-check=" not in task_list(phone, *POINT_B)
    response = phone.post(
        f"{API}/checks/{check.pk}/complete", json.dumps({"result": "ok"}), "application/json"
    )
    assert response.status_code == 409 and response.json()["code"] == "spot_released"


@pytest.mark.parametrize("check_id", ["0", "-1", "abc", "99999999999999999999"])
def test_hostile_ids_are_not_found(city: City, check_id: str) -> None:
    phone = signed_in(city.inspector_b)
    assert phone.get(f"/m/checks/{check_id}/").status_code == 404


def test_the_api_puts_a_cell_under_supervision_and_releases_it(city: City) -> None:
    leader = signed_in(city.users["leader"])
    body = {"cell": CELL, "frequency_days": 3, "reason": "井盖反复丢失"}
    created = leader.post(f"{API}/spots", json.dumps(body), "application/json")
    assert created.status_code == 201, created.content
    spot = created.json()
    lat, lon = h3.cell_to_latlng(CELL)
    assert (spot["cell"], spot["frequency_days"], spot["reason"]) == (CELL, 3, "井盖反复丢失")
    assert spot["lon"] == pytest.approx(lon) and spot["lat"] == pytest.approx(lat)
    again = leader.post(f"{API}/spots", json.dumps(body), "application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_supervised"
    bad = leader.post(f"{API}/spots", json.dumps({**body, "cell": "nonsense"}), "application/json")
    assert bad.status_code == 400 and bad.json()["field"] == "cell"
    inspector = signed_in(city.inspector_b)
    refused = inspector.post(f"{API}/spots", json.dumps(body), "application/json")
    assert refused.status_code == 403
    released = leader.post(f"{API}/spots/{spot['id']}/release")
    assert released.status_code == 200
    assert SupervisedSpot.objects.get().status == "released"
    gone = leader.post(f"{API}/spots/{spot['id']}/release")
    assert gone.status_code == 404 and gone.json()["code"] == "spot_not_found"
