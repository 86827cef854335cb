"""A handler sees the cases dispatched to their department, now or before, and nothing else.

Two departments of the same district (福田区市政设施管理中心 and 南园街道办事处) and a
third (园林绿化中心) get cases dispatched by the test; one case goes to the first, comes
back and goes to the second. What each handler may see is computed here from the test's
own dispatch log and checked on every surface that shows case data: the API list and its
count, the worklists and their counts, the search page, CSV and XLSX exports, the detail
page and API, the timeline, the offered moves and the photo files. Out of scope is 404.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from case_steps import Loop
from django.http import HttpResponse
from django.test import Client
from openpyxl import load_workbook

from case_support import POINT_B, City, png
from yiwang.cases import actions
from yiwang.cases.actions.photos import add_photo
from yiwang.cases.models import Case
from yiwang.core.errors import NotFound, PermissionDenied
from yiwang.org import actions as org_actions
from yiwang.org.models import Department, User

HANDLERS = ("municipal", "office_a", "greening")
OPEN_FOR_HANDLER = {"dispatched", "handling"}  # the 待处置 worklist


@dataclass
class Scene:
    city: City
    handlers: dict[str, User]
    departments: dict[str, Department]
    cases: dict[str, Case] = field(default_factory=dict)
    # The test's own log: department key → numbers dispatched to it (now or before).
    dispatched: dict[str, set[str]] = field(default_factory=dict)
    current: dict[str, str] = field(default_factory=dict)  # number → department key now
    photos: dict[str, int] = field(default_factory=dict)  # number → a photo's id

    def numbers(self) -> set[str]:
        return {c.number for c in self.cases.values()}

    def expected(self, key: str) -> set[str]:
        return set(self.dispatched.get(key, set()))

    def to_handle(self, key: str) -> set[str]:
        return {
            n
            for n in self.expected(key)
            if self.current.get(n) == key and self.state(n) in OPEN_FOR_HANDLER
        }

    def state(self, number: str) -> str:
        return Case.objects.values_list("state", flat=True).get(number=number)


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def scene(city: City, make_user: Any, media: Any) -> Scene:
    greening = org_actions.create_department(
        city.root, name="福田区园林绿化中心", kind="professional", division_code="440304"
    )
    s = Scene(
        city=city,
        handlers={
            "municipal": city.users["handler"],
            "office_a": city.handler_office_a,
            "greening": make_user("handler", "440304", department=greening),
        },
        departments={"municipal": city.municipal, "office_a": city.office_a, "greening": greening},
    )
    loop = Loop(city)

    def dispatch(case: Case, key: str) -> Case:
        moved = loop.step(case, "dispatch", department_id=s.departments[key].pk)
        s.dispatched.setdefault(key, set()).add(moved.number)
        s.current[moved.number] = key
        return moved

    s.cases["municipal"] = dispatch(loop.drive("pending_dispatch"), "municipal")
    s.cases["office_a"] = dispatch(loop.drive("pending_dispatch"), "office_a")
    s.cases["greening"] = dispatch(loop.drive("pending_dispatch"), "greening")
    # Street B's case, dispatched to the district-wide municipal centre.
    street_b = loop.report(source="inspector", by=city.inspector_b, point=POINT_B)
    for name in ("accept", "register"):
        street_b = loop.step(street_b, name)
    s.cases["street_b"] = dispatch(street_b, "municipal")
    # Sent to the municipal centre, returned by it, then sent to the street office.
    moved = dispatch(loop.drive("pending_dispatch"), "municipal")
    moved = loop.step(moved, "request_return", by=s.handlers["municipal"])
    moved = loop.step(moved, "approve_return")
    s.cases["moved"] = dispatch(moved, "office_a")
    # Handled by the municipal centre and closed: still its case.
    closed = dispatch(loop.drive("pending_dispatch"), "municipal")
    add_before_photo(s, closed)  # a closed case takes no more photos
    for name in ("accept_task", "finish", "send_check", "check_pass", "close"):
        closed = loop.step(closed, name)
    s.cases["closed"] = closed
    # Never dispatched: no handler's case.
    s.cases["waiting"] = loop.drive("pending_dispatch")

    for case in s.cases.values():
        if case.number not in s.photos:
            add_before_photo(s, case)
    return s


def add_before_photo(s: Scene, case: Case) -> None:
    photo = add_photo(
        s.city.users["operator"],
        case.number,
        phase="before",
        filename="p.png",
        content=photo_bytes(case.number),
    )
    s.photos[case.number] = photo.pk


def photo_bytes(number: str) -> bytes:
    return png(int(number[-5:]))


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def body(response: HttpResponse) -> bytes:
    """The bytes of a response, streamed or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content


def listed_numbers(html: str) -> set[str]:
    return set(re.findall(r'data-number="([^"]+)"', html))


# ---- lists, worklists and counts --------------------------------------------------------------


def test_the_dispatch_log_covers_what_the_scope_must_separate(scene: Scene) -> None:
    # Guards the scene itself: without a shared case and a private one per department the
    # checks below could pass with a wrong rule.
    assert scene.cases["moved"].number in scene.expected("municipal") & scene.expected("office_a")
    assert scene.cases["waiting"].number not in set().union(*scene.dispatched.values())
    for key in HANDLERS:
        assert scene.expected(key), key
        assert scene.expected(key) != scene.numbers()


@pytest.mark.parametrize("key", HANDLERS)
def test_api_list_and_count_hold_the_departments_cases_only(scene: Scene, key: str) -> None:
    client = signed_in(scene.handlers[key])
    page = client.get("/api/cases", {"page_size": 100}).json()
    assert {item["number"] for item in page["items"]} == scene.expected(key)
    assert page["count"] == len(scene.expected(key))
    # A filter cannot widen the scope: asking for another department's cases finds none
    # but those this department also had.
    for other in HANDLERS:
        found = client.get(
            "/api/cases", {"department": scene.departments[other].pk, "page_size": 100}
        ).json()
        expected = {n for n in scene.expected(key) if scene.current.get(n) == other}
        assert {item["number"] for item in found["items"]} == expected, other
    # Looking a number up directly finds nothing outside the scope.
    for number in scene.numbers() - scene.expected(key):
        assert client.get("/api/cases", {"number": number}).json()["items"] == []


@pytest.mark.parametrize("key", HANDLERS)
def test_worklists_and_their_counts(scene: Scene, key: str) -> None:
    client = signed_in(scene.handlers[key])
    counts = {w["key"]: w["count"] for w in client.get("/api/cases/worklists").json()}
    assert counts["to_handle"] == len(scene.to_handle(key))
    listed = client.get("/api/cases", {"worklist": "to_handle", "page_size": 100}).json()
    assert {item["number"] for item in listed["items"]} == scene.to_handle(key)
    page = client.get("/cases/worklist/to_handle/")
    assert page.status_code == 200
    assert listed_numbers(page.content.decode()) == scene.to_handle(key)


@pytest.mark.parametrize("key", HANDLERS)
def test_search_page_shows_the_departments_cases_only(scene: Scene, key: str) -> None:
    html = signed_in(scene.handlers[key]).get("/cases/search/").content.decode()
    assert listed_numbers(html) == scene.expected(key)
    for number in scene.numbers() - scene.expected(key):
        assert number not in html


@pytest.mark.parametrize("key", HANDLERS)
def test_csv_and_xlsx_exports_hold_the_departments_cases_only(scene: Scene, key: str) -> None:
    client = signed_in(scene.handlers[key])
    response = client.get("/cases/search/export/", {"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))
    assert {r[0] for r in rows[1:]} == scene.expected(key)

    response = client.get("/cases/search/export/", {"format": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(body(response)), read_only=True)
    sheet = list(book.worksheets[0].iter_rows(values_only=True))
    assert {r[0] for r in sheet[1:]} == scene.expected(key)


# ---- one case: detail, timeline, moves, photos ------------------------------------------------


@pytest.mark.parametrize("key", HANDLERS)
def test_detail_timeline_moves_and_photos_are_404_outside_the_scope(scene: Scene, key: str) -> None:
    client = signed_in(scene.handlers[key])
    for number in sorted(scene.numbers()):
        photo = scene.photos[number]
        urls = [
            f"/api/cases/{number}",
            f"/api/cases/{number}/timeline",
            f"/api/cases/{number}/transitions",
            f"/api/cases/{number}/photos/{photo}",
            f"/cases/{number}/",
            f"/cases/{number}/photos/{photo}/",
        ]
        want = 200 if number in scene.expected(key) else 404
        for url in urls:
            response = client.get(url)
            assert response.status_code == want, (url, response.status_code)
            if want == 404 and url.startswith("/api/"):
                # The same answer as for a case that does not exist at all.
                assert response.json()["code"] == "case_not_found", url
            if want == 200 and "/photos/" in url:
                assert body(response) == photo_bytes(number)


def test_a_department_that_held_the_case_reads_it_but_cannot_move_it(scene: Scene) -> None:
    moved = Case.objects.get(number=scene.cases["moved"].number)
    first, now, third = (scene.handlers[k] for k in ("municipal", "office_a", "greening"))
    # The first department reads the whole timeline, the second dispatch included.
    events = signed_in(first).get(f"/api/cases/{moved.number}/timeline").json()["events"]
    assert [e["transition"] for e in events].count("dispatch") == 2
    assert signed_in(first).get(f"/api/cases/{moved.number}/transitions").json() == []

    with pytest.raises(PermissionDenied) as refused:
        actions.transition(first, moved.number, "accept_task", version=moved.version)
    assert refused.value.code == "not_holder"
    with pytest.raises(NotFound):
        actions.transition(third, moved.number, "accept_task", version=moved.version)
    with pytest.raises(NotFound):
        add_photo(third, moved.number, phase="after", filename="x.png", content=png(99))
    moved = actions.transition(now, moved.number, "accept_task", version=moved.version)
    assert moved.state == "handling"


def test_wider_roles_keep_the_division_scope(scene: Scene) -> None:
    city = scene.city
    everything = scene.numbers()
    for role in ("leader", "dispatcher", "operator", "shift_lead"):
        page = signed_in(city.users[role]).get("/api/cases", {"page_size": 100}).json()
        assert {item["number"] for item in page["items"]} == everything, role
    # The street-A inspector keeps street A (everything but street B's case).
    page = signed_in(city.users["inspector"]).get("/api/cases", {"page_size": 100}).json()
    assert {item["number"] for item in page["items"]} == everything - {
        scene.cases["street_b"].number
    }
