"""城管通, the inspector's phone: reports filed once per phone id, photos, tasks nearest first.

The phone sends `POST /api/intake/inspector/reports` with a UUID it made before the first
try; any number of resends file one case. Tasks (核实, 核查) are listed nearest first from the
phone's position and done with their photos by a form post.
"""

from __future__ import annotations

import io
import json
import re
import struct
import uuid
from typing import Any

import pytest
from django.test import Client
from pyproj import Geod

from case_support import POINT_A, POINT_B, City, png
from concurrency import run_together
from yiwang.cases import actions as case_actions
from yiwang.cases.models import Case, CaseEvent, CasePhoto
from yiwang.core.models import AuditEntry
from yiwang.intake.models import Submission
from yiwang.org.models import User

REPORTS = "/api/intake/inspector/reports"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def report(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "kind": "matter",
        "type_code": "06010",
        "lon": POINT_A[0],
        "lat": POINT_A[1],
        "description": "路边垃圾堆放约 2 平方米",
        "accuracy_m": 8.5,
        "captured_at": "2026-12-01T09:30:00+08:00",
    }
    body.update(overrides)
    return body


def post(client: Client, body: dict[str, Any]) -> Any:
    return client.post(REPORTS, json.dumps(body), content_type="application/json")


def post_photo(client: Client, report_id: str, content: bytes, name: str = "p.png") -> Any:
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(f"{REPORTS}/{report_id}/photos", {"file": upload})


def error(response: Any) -> tuple[int, str, str | None]:
    body = response.json()
    assert set(body) >= {"code", "message", "field"}
    assert body["message"]  # a sentence for the inspector, never empty
    return response.status_code, body["code"], body["field"]


# ---- reports ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_resent_report_files_one_case_and_answers_with_it(city: City) -> None:
    inspector = city.users["inspector"]
    client = signed_in(inspector)
    body = report()

    first = post(client, body)
    assert first.status_code == 201, first.content
    again = post(client, body)
    third = post(client, body)

    assert again.status_code == 200 and third.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["number"] == again.json()["number"] == third.json()["number"]
    assert again.json()["replayed"] is True and first.json()["replayed"] is False
    case = Case.objects.get()
    assert case.number == first.json()["number"]
    # Filed as the inspector, from the inspector's phone, with the type's name as title.
    assert (case.source, case.reporter_id, case.state) == ("inspector", inspector.pk, "reported")
    assert case.title == case.type.name == "暴露垃圾"
    assert case.grid.code == "440304001001001"
    submission = Submission.objects.get()
    assert (submission.channel, submission.sender, submission.external_id) == (
        "inspector",
        str(inspector.pk),
        body["id"],
    )
    assert submission.case_id == case.pk
    assert first.json()["tracking_code"] == submission.tracking_code
    # One report event on the timeline; the phone's time and accuracy are in the audit row.
    assert CaseEvent.objects.filter(case=case, transition="report").count() == 1
    audit = AuditEntry.objects.get(action="intake.inspector_report")
    assert audit.data["accuracy_m"] == 8.5
    assert audit.data["captured_at"].startswith("2026-12-01T09:30:00")


@pytest.mark.django_db
def test_the_id_is_the_report_another_report_needs_another_id(city: City) -> None:
    client = signed_in(city.users["inspector"])
    body = report()
    assert post(client, body).status_code == 201
    reused = post(client, {**body, "type_code": "01002", "description": "别的问题"})
    assert error(reused) == (409, "report_id_reused", "id")
    assert Case.objects.count() == 1
    # Another inspector may (by chance or by copying) use the same id: it is theirs.
    other = make_inspector_a(city)
    assert post(signed_in(other), body).status_code == 201
    assert Case.objects.count() == 2


def make_inspector_a(city: City) -> User:
    from yiwang.org import actions as org_actions

    return org_actions.create_staff(
        city.root,
        username="inspector-a2",
        password="test-pass-123",
        role="inspector",
        division_code="440304001",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"id": "not-a-uuid"}, (400, "id")),
        ({"type_code": None}, (400, "type_code")),
        ({"type_code": "1001"}, (400, "type_code")),
        ({"kind": "thing"}, (400, "kind")),
        ({"lon": 181}, (400, "lon")),
        ({"lat": "north"}, (400, "lat")),
        ({"description": "坏\x1b[31m了"}, (400, "description")),
        ({"description": "长" * 5001}, (400, "description")),
        ({"accuracy_m": -1}, (400, "accuracy_m")),
        ({"urgent": "sometimes"}, (400, "urgent")),
    ],
)
def test_malformed_reports_are_refused_field_by_field(
    city: City, change: dict[str, Any], expected: tuple[int, str]
) -> None:
    body = {k: v for k, v in {**report(), **change}.items() if v is not None}
    response = post(signed_in(city.users["inspector"]), body)
    status, _code, field = error(response)
    assert (status, field) == expected
    assert Case.objects.count() == 0 and Submission.objects.count() == 0


@pytest.mark.django_db
def test_what_no_schema_can_say_is_refused_and_nothing_is_written(city: City) -> None:
    client = signed_in(city.users["inspector"])
    assert error(post(client, report(type_code="99999"))) == (400, "unknown_type", "type_code")
    # A point of the city outside every grid, and a point in another street.
    assert error(post(client, report(lon=114.2, lat=22.6))) == (400, "not_in_grid", "lon")
    assert error(post(client, report(lon=POINT_B[0], lat=POINT_B[1]))) == (
        403,
        "out_of_scope",
        "lon",
    )
    # Not JSON at all.
    broken = client.post(REPORTS, "{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.json()["code"]
    assert Case.objects.count() == 0 and Submission.objects.count() == 0
    assert not AuditEntry.objects.filter(action="intake.inspector_report").exists()


@pytest.mark.django_db
def test_only_inspectors_file_from_the_phone(city: City) -> None:
    for role in ("operator", "handler", "leader", "dispatcher"):
        refused = post(signed_in(city.users[role]), report())
        assert error(refused) == (403, "forbidden_role", None), role
    anonymous = post(Client(), report())
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
    assert Case.objects.count() == 0 and Submission.objects.count() == 0
    # The pages: a signed-out visitor is sent to the login page and back; others are refused.
    to_login = Client().get("/m/")
    assert to_login.status_code == 302 and to_login["Location"] == "/login/?next=/m/"
    assert signed_in(city.users["operator"]).get("/m/").status_code == 403
    assert signed_in(city.users["operator"]).get("/m/tasks/list/").status_code == 403


@pytest.mark.django_db
def test_a_report_queued_under_one_account_is_not_filed_as_another(city: City) -> None:
    first, second = city.users["inspector"], make_inspector_a(city)
    refused = post(signed_in(second), report(user_id=first.pk))
    assert error(refused) == (409, "other_user", "user_id")
    assert Case.objects.count() == 0
    assert post(signed_in(first), report(user_id=first.pk)).status_code == 201


@pytest.mark.django_db
def test_a_session_post_needs_the_csrf_token(city: City) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(city.users["inspector"])
    refused = post(client, report())
    assert error(refused) == (403, "csrf_failed", None)
    page = client.get("/m/")
    token = page.cookies["csrftoken"].value  # the page sets the cookie the script reads
    accepted = client.post(
        REPORTS, json.dumps(report()), content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_two_tabs_sending_the_same_report_at_once_file_one_case(city: City) -> None:
    clients = [signed_in(city.users["inspector"]) for _ in range(2)]
    for round_ in range(3):
        body = report()
        responses = run_together([lambda c=c, b=body: post(c, b) for c in clients])
        assert sorted(r.status_code for r in responses) == [200, 201], [
            getattr(r, "content", r) for r in responses
        ]
        assert responses[0].json()["number"] == responses[1].json()["number"]
        assert Case.objects.count() == round_ + 1
        assert Submission.objects.count() == round_ + 1


# ---- photos -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_photos_follow_the_case_and_a_resent_photo_is_the_same_photo(city: City) -> None:
    inspector = city.users["inspector"]
    client = signed_in(inspector)
    body = report()
    early = post_photo(client, body["id"], png(1))
    assert error(early) == (404, "report_not_found", "id")

    number = post(client, body).json()["number"]
    stored = post_photo(client, body["id"], png(1))
    assert stored.status_code == 201 and stored.json()["duplicate"] is False
    resent = post_photo(client, body["id"], png(1))
    assert resent.status_code == 200 and resent.json()["duplicate"] is True
    assert resent.json()["id"] == stored.json()["id"]
    assert post_photo(client, body["id"], png(2)).status_code == 201

    photos = CasePhoto.objects.filter(case__number=number).order_by("id")
    assert [(p.phase, p.uploaded_by_id, p.content_type) for p in photos] == [
        ("before", inspector.pk, "image/png"),
        ("before", inspector.pk, "image/png"),
    ]
    # Not a picture: an SVG, an HTML page, text.
    for content, name in (
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "x.svg"),
        (b"<!doctype html><p>hi", "x.jpg"),
    ):
        assert error(post_photo(client, body["id"], content, name)) == (
            400,
            "bad_file_type",
            "file",
        )
    # Another inspector cannot attach photos to this report (it is not theirs).
    other = post_photo(signed_in(make_inspector_a(city)), body["id"], png(3))
    assert error(other) == (404, "report_not_found", "id")
    assert photos.count() == 2


@pytest.mark.django_db
def test_a_report_takes_at_most_five_photos(city: City) -> None:
    client = signed_in(city.users["inspector"])
    body = report()
    post(client, body)
    for seed in range(5):
        assert post_photo(client, body["id"], png(seed)).status_code == 201
    assert error(post_photo(client, body["id"], png(9))) == (400, "too_many_photos", "file")
    # A resend of one already stored is still fine.
    assert post_photo(client, body["id"], png(0)).status_code == 200


# ---- tasks ------------------------------------------------------------------------------


def verify_task(
    city: City, lon: float, lat: float, title: str, inspector: User | None = None
) -> Case:
    """A hotline case sent to (by default) the street-A inspector to verify (核实)."""
    u = city.users
    case = case_actions.report_case(
        u["operator"],
        kind="matter",
        type_code="06001",
        title=title,
        lon=lon,
        lat=lat,
        source="hotline",
    )
    case = case_actions.transition(u["operator"], case.number, "to_verify", version=case.version)
    return case_actions.transition(
        u["operator"],
        case.number,
        "send_verify",
        version=case.version,
        inputs={"inspector_id": (inspector or u["inspector"]).pk},
    )


def check_task(city: City, lon: float, lat: float, title: str) -> Case:
    """An inspector's case handled by the municipal department, sent back to check (核查)."""
    u = city.users
    case = case_actions.report_case(
        u["inspector"], kind="matter", type_code="01001", title=title, lon=lon, lat=lat
    )
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("operator", "accept", {}),
        ("shift_lead", "register", {}),
        ("dispatcher", "dispatch", {"department_id": city.municipal.pk}),
        ("handler", "accept_task", {}),
        ("handler", "finish", {"result": "已清理"}),
        ("operator", "send_check", {"inspector_id": u["inspector"].pk}),
    ]
    for who, name, inputs in steps:
        case = case_actions.transition(
            u[who], case.number, name, version=case.version, inputs=inputs
        )
    return case


def listed(client: Client, query: str = "") -> list[str]:
    response = client.get(f"/m/tasks/list/{query}")
    assert response.status_code == 200
    return re.findall(r'data-number="([^"]+)"', response.content.decode())


@pytest.mark.django_db
def test_tasks_are_listed_nearest_first_from_the_phone(city: City) -> None:
    # Five tasks spread over street A's grid (114.050–114.052, 22.540–22.542).
    spots = [
        (114.0502, 22.5402, "verify"),
        (114.0518, 22.5417, "check"),
        (114.0510, 22.5410, "verify"),
        (114.0519, 22.5403, "verify"),
        (114.0504, 22.5418, "check"),
    ]
    numbers = []
    for i, (lon, lat, kind) in enumerate(spots):
        make = verify_task if kind == "verify" else check_task
        numbers.append(make(city, lon, lat, f"任务{i}").number)
    # Not the inspector's tasks: a case only reported, and a task given to another inspector.
    case_actions.report_case(
        city.users["operator"],
        kind="matter",
        type_code="06001",
        title="未派核实",
        lon=114.0519,
        lat=22.5419,
        source="hotline",
    )
    verify_task(city, 114.0519, 22.5418, "别人的", inspector=make_inspector_a(city))

    phone = (114.0520, 22.5419)
    geod = Geod(ellps="WGS84")  # geodesic distance: an independent computation
    expected = sorted(
        zip(numbers, spots, strict=True),
        key=lambda item: geod.inv(phone[0], phone[1], item[1][0], item[1][1])[2],
    )
    client = signed_in(city.users["inspector"])
    got = listed(client, f"?lon={phone[0]}&lat={phone[1]}")
    assert got == [n for n, _ in expected]

    # The distance shown agrees with the geodesic within 0.5 %.
    html = client.get(f"/m/tasks/list/?lon={phone[0]}&lat={phone[1]}").content.decode()
    for number, (lon, lat, kind) in zip(numbers, spots, strict=True):
        shown = float(
            re.search(
                rf'data-number="{number}" data-kind="{kind}" data-distance="([0-9.]+)"', html
            ).group(1)
        )  # type: ignore[union-attr]
        assert shown == pytest.approx(geod.inv(phone[0], phone[1], lon, lat)[2], rel=0.005)

    # From the other corner the order turns around.
    far = listed(client, "?lon=114.0500&lat=22.5400")
    assert far[0] == numbers[0] and far[-1] == numbers[1]
    # Without a position (GPS refused): earliest deadline first, the same five tasks.
    assert sorted(listed(client)) == sorted(numbers)
    # Another inspector sees none of them.
    assert listed(signed_in(city.inspector_b), f"?lon={phone[0]}&lat={phone[1]}") == []


def upload(content: bytes, name: str = "photo-1.jpg") -> io.BytesIO:
    f = io.BytesIO(content)
    f.name = name
    return f


@pytest.mark.django_db
def test_a_verify_task_is_done_from_the_phone_with_its_photo(city: City) -> None:
    inspector = city.users["inspector"]
    case = verify_task(city, *POINT_A, title="占道经营")
    client = signed_in(inspector)
    page = client.get(f"/m/tasks/{case.number}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/m/tasks/{case.number}/verify_confirm/" in html
    assert f'name="version" value="{case.version}"' in html

    done = client.post(
        f"/m/tasks/{case.number}/verify_confirm/",
        {"version": case.version, "note": "现场属实", "photos": [upload(png(5))]},
    )
    assert done.status_code == 302
    assert done["Location"] == f"/m/tasks/?done={case.number}&move=verify_confirm"
    case.refresh_from_db()
    assert case.state == "pending_register" and case.assignee_id is None
    photo = CasePhoto.objects.get(case=case)
    assert (photo.phase, photo.uploaded_by_id) == ("before", inspector.pk)
    event = CaseEvent.objects.get(case=case, transition="verify_confirm")
    assert (event.actor_id, event.note) == (inspector.pk, "现场属实")
    # The list no longer has it, and the page says what was done.
    assert case.number not in listed(client)
    notice = client.get(done["Location"]).content.decode()
    assert "核实属实" in notice and case.number in notice
    # The notice repeats a case number, nothing else a link could carry.
    forged = client.get("/m/tasks/?done=请致电0000&move=verify_confirm").content.decode()
    assert "请致电" not in forged and 'id="task-done"' not in forged


@pytest.mark.django_db
def test_a_check_that_fails_needs_a_reason_and_keeps_its_after_photo(city: City) -> None:
    inspector = city.users["inspector"]
    case = check_task(city, *POINT_A, title="垃圾未清")
    client = signed_in(inspector)
    url = f"/m/tasks/{case.number}/check_fail/"

    no_reason = client.post(url, {"version": case.version, "photos": [upload(png(6))]})
    assert no_reason.status_code == 400
    assert "理由" in no_reason.content.decode()
    case.refresh_from_db()
    assert case.state == "checking" and not CasePhoto.objects.filter(case=case).exists()

    failed = client.post(
        url, {"version": case.version, "note": "仍有垃圾", "photos": [upload(png(6))]}
    )
    assert failed.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.rework_count) == ("dispatched", 1)
    photo = CasePhoto.objects.get(case=case, uploaded_by=inspector)
    assert photo.phase == "after"  # the check shows the result of the handling


@pytest.mark.django_db
def test_a_task_moved_meanwhile_is_refused_and_no_photo_is_kept(city: City) -> None:
    case = verify_task(city, *POINT_A, title="井盖缺失")
    stale_version = case.version
    # The inspector rejected it from another screen while this page showed the old version.
    u = city.users
    case = case_actions.transition(
        u["inspector"],
        case.number,
        "verify_reject",
        version=case.version,
        inputs={"note": "已不存在"},
    )
    client = signed_in(u["inspector"])
    refused = client.post(
        f"/m/tasks/{case.number}/verify_confirm/",
        {"version": stale_version, "photos": [upload(png(7))]},
    )
    assert refused.status_code == 409
    assert "已被他人修改" in refused.content.decode()
    assert not CasePhoto.objects.filter(case=case).exists()
    # A move that is not a task move of the phone is refused too.
    case2 = verify_task(city, *POINT_A, title="另一件")
    wrong = client.post(f"/m/tasks/{case2.number}/check_pass/", {"version": case2.version})
    assert wrong.status_code == 409
    assert Case.objects.get(pk=case2.pk).state == "verifying"


# ---- the installable app ----------------------------------------------------------------


def png_size(content: bytes) -> tuple[int, int]:
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", content[16:24])
    return width, height


@pytest.mark.django_db
def test_the_manifest_makes_an_installable_app(city: City) -> None:
    client = Client()
    response = client.get("/m/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(response.content)
    assert manifest["name"] == "城管通"
    assert (manifest["start_url"], manifest["scope"], manifest["display"], manifest["lang"]) == (
        "/m/",
        "/m/",
        "standalone",
        "zh-CN",
    )
    sizes = set()
    for icon in manifest["icons"]:
        served = client.get(icon["src"])
        assert served.status_code == 200, icon["src"]
        content = b"".join(served.streaming_content) if served.streaming else served.content
        width, height = png_size(content)
        assert icon["sizes"] == f"{width}x{height}" and icon["type"] == "image/png"
        sizes.add((width, icon["purpose"]))
    # What Chromium asks of an installable app: 192 and 512 px icons.
    assert {(192, "any"), (512, "any"), (512, "maskable")} <= sizes
    # Every page of the app links it.
    page = signed_in(city.users["inspector"]).get("/m/").content.decode()
    assert '<link rel="manifest" href="/m/manifest.webmanifest">' in page


@pytest.mark.django_db
def test_the_service_worker_keeps_the_whole_shell(city: City) -> None:
    client = Client()
    sw = client.get("/m/sw.js")
    assert sw.status_code == 200
    assert sw["Content-Type"].startswith("text/javascript")
    assert sw["Service-Worker-Allowed"] == "/m/"
    assert "no-cache" in sw["Cache-Control"] or "max-age=0" in sw["Cache-Control"]
    text = sw.content.decode()
    shell = json.loads(re.search(r"var SHELL = (\[.*?\]);", text).group(1))  # type: ignore[union-attr]
    # The pages, and every script and style sheet the pages load, are kept.
    inspector = signed_in(city.users["inspector"])
    for page in ("/m/", "/m/tasks/"):
        assert page in shell
        html = inspector.get(page).content.decode()
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
            assert asset in shell, (page, asset)
    assert "/static/vendor/leaflet/leaflet.js" in shell
    assert "/static/vendor/htmx.min.js" in shell
    for url in shell:
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_the_pages_run_no_inline_script_under_the_csp(city: City) -> None:
    client = signed_in(city.users["inspector"])
    case = verify_task(city, *POINT_A, title="积水")
    for url in ("/m/", "/m/tasks/", f"/m/tasks/{case.number}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "script-src 'self'" in response["Content-Security-Policy"]
        for attrs, body in re.findall(
            r"<script([^>]*)>(.*?)</script>", response.content.decode(), re.S
        ):
            # Scripts come from files; the only inline element is the page's JSON config.
            assert "src=" in attrs or 'type="application/json"' in attrs, (url, attrs)
            if "src=" in attrs:
                assert not body.strip()


@pytest.mark.django_db
def test_the_type_list_is_for_signed_in_users_and_never_a_login_page(city: City) -> None:
    anonymous = Client().get("/m/types.json")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
    types = signed_in(city.users["inspector"]).get("/m/types.json").json()["types"]
    assert {"kind": "matter", "code": "06010", "name": "暴露垃圾"}.items() <= next(
        t for t in types if t["code"] == "06010" and t["kind"] == "matter"
    ).items()
    # The standard catalogue: 153 component and 250 matter types.
    assert sum(t["kind"] == "component" for t in types) == 153
    assert sum(t["kind"] == "matter" for t in types) == 250
