"""多渠道受理 (/intake/): one menu entry, a card per channel the user works with, counts of
the user's own area, and the menu still marking where the user is on every intake page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hotline_support import hotline_fixture, order  # noqa: F401  (fixtures)
from video_support import DEVICE_B, alarm, device_id, video_city

from case_support import POINT_A, POINT_B, City
from public_support import media, report  # noqa: F401  (fixtures)
from yiwang.intake.actions import cameras, open311
from yiwang.intake.actions import hotline as hotline_actions
from yiwang.intake.actions.alarms import receive_alarms
from yiwang.intake.models import AlarmSource, HotlineOrder, HotlineSystem, PublicService
from yiwang.intake.schemas.hotline import HotlineOrderIn
from yiwang.org.models import User

pytestmark = pytest.mark.django_db

# The menu entries the desk replaced; none of them may come back.
OLD_ENTRIES = {"hotline", "public_photos", "cameras", "alarm_review"}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def figures(html: str) -> dict[str, int]:
    """The figures on the desk, by their data-count name."""
    return {k: int(v) for k, v in re.findall(r'data-count="([^"]+)"[^>]*>(\d+)<', html)}


def cards(html: str) -> list[str]:
    return re.findall(r'class="panel desk-card" data-channel="(\w+)"', html)


def menu(html: str) -> list[str]:
    return re.findall(r'data-menu="(\w+)"', html)


def active(html: str) -> list[str]:
    return re.findall(r'data-menu="(\w+)"\s+class="active', html)


def _order(system: HotlineSystem, order_id: str, *, located: bool) -> None:
    hotline_actions.receive_order(
        system, HotlineOrderIn.model_validate(order(order_id, located=located))
    )


def _service() -> PublicService:
    return PublicService.objects.get(type__kind="matter", type__code="06010")


@pytest.fixture
def intake(city: City, hotline: HotlineSystem) -> AlarmSource:
    """Something waiting in every channel: in street A (南园) and in street B (园岭)."""
    video = video_city(city)  # camera A in street A, camera B in street B
    receive_alarms(
        video.source,
        [
            alarm("low-a", confidence=0.5),  # below 0.80: 告警审核, street A
            alarm("low-b", camera=DEVICE_B, confidence=0.5),  # 告警审核, street B
            alarm("sure-a", event_type="exposed_garbage", confidence=0.95),  # a case, street A
        ],
    )
    _order(hotline, "W-1", located=False)  # 待定位 (the address names 南园街道)
    _order(hotline, "W-2", located=False)
    _order(hotline, "F-1", located=True)  # filed at once
    report(photos=2)  # street A: two photos to review
    report(point=POINT_B, photos=1)  # street B: one
    open311.save_public_service(city.root, kind="matter", type_code="06010")
    _key, client = open311.issue_client(city.root, name="市民App")
    open311.submit_request(
        client,
        open311.RequestPost(
            service=_service(), lat=str(POINT_A[1]), long=str(POINT_A[0]), description="垃圾"
        ),
    )
    return video.source


def test_each_role_sees_the_cards_of_its_channels_with_its_counts(
    city: City, intake: AlarmSource, make_user: Any
) -> None:
    operator = signed_in(city.users["operator"]).get("/intake/")
    assert operator.status_code == 200
    html = operator.content.decode()
    assert "<h1>多渠道受理</h1>" in html
    assert cards(html) == ["public", "hotline", "video", "open311"]
    # The types open to the public: the one list Open311 publishes.
    services = len(Client().get("/open311/v2/services.json").json())
    assert figures(html) == {
        "pending-photos": 3,
        "public-recent": 2,
        "awaiting-location": 2,
        "hotline-recent": 3,
        "pending-review": 2,
        "cameras": 2,
        "video-recent": 1,
        "open311-recent": 1,
        "open311-services": services,
    }
    assert 'data-count="cameras-online">在线 2</span>' in html
    # The ways on: the review queues, the hotline queue, the public form, the registry.
    for href in (
        "/report/review/",
        "/intake/hotline/",
        "/report/",
        "/intake/video/review/",
        "/intake/video/cameras/",
        "/open311/v2/discovery.json",
        "/intake/open311/",
    ):
        assert f'href="{href}"' in html, href
    assert "/admin/intake/open311client/" not in html  # the clients are the admin's

    # 调度员 and 领导 read the camera registry only: no review count, no other card.
    for role in ("dispatcher", "leader"):
        html = signed_in(city.users[role]).get("/intake/").content.decode()
        assert cards(html) == ["video"], role
        assert figures(html) == {"cameras": 2, "video-recent": 1}, role

    # 系统管理员 (not a superuser): the hotline, the registry with its review, Open311 with
    # its clients, the 311 open-data upload — not the public photos, which 受理员 and 值班长
    # review.
    admin = make_user("admin", "440304")
    html = signed_in(admin).get("/intake/").content.decode()
    assert cards(html) == ["hotline", "video", "open311", "opendata"]
    assert 'href="/intake/opendata/"' in html
    assert figures(html)["open311-clients"] == 1
    assert 'href="/admin/intake/open311client/"' in html

    # 监督员: the phone app's card, with the inspector's own tasks and reports.
    html = signed_in(city.users["inspector"]).get("/intake/").content.decode()
    assert cards(html) == ["phone"]
    assert figures(html) == {"phone-tasks": 0, "phone-recent": 0}
    assert 'href="/m/"' in html

    # 处置人员 take in nothing: refused, and no menu entry leads there.
    handler = signed_in(city.users["handler"]).get("/intake/")
    assert handler.status_code == 403
    assert "您的角色不负责受理各渠道上报的问题。" in handler.content.decode()


def test_counts_are_of_the_users_own_area(city: City, intake: AlarmSource, make_user: Any) -> None:
    street_b = signed_in(make_user("operator", "440304002"))
    html = street_b.get("/intake/").content.decode()
    # Street B holds camera B and its pending alarm, and one public report with one photo;
    # the hotline orders and the Open311 request lie in street A.
    assert figures(html) == {
        "pending-photos": 1,
        "public-recent": 1,
        "awaiting-location": 0,
        "hotline-recent": 0,
        "pending-review": 1,
        "cameras": 1,
        "video-recent": 0,
        "open311-recent": 0,
        "open311-services": len(Client().get("/open311/v2/services.json").json()),
    }
    # The figures agree with the pages they lead to.
    assert "共 1 台摄像机" in street_b.get("/intake/video/cameras/").content.decode()
    assert "待审核 1 组" in street_b.get("/intake/video/review/").content.decode()


def test_the_desk_costs_the_same_queries_however_much_arrived(
    city: City, intake: AlarmSource, hotline: HotlineSystem
) -> None:
    client = signed_in(city.users["operator"])
    client.get("/intake/")  # the session and the caches are warm
    with CaptureQueriesContext(connection) as before:
        client.get("/intake/")
    # Ten more cameras, ten more alarms to review, more orders and photos.
    rows = [
        f"{device_id(serial=f'{i:06d}')},监控{i},{POINT_A[0]},{POINT_A[1]},online,rtsp://10.0.0.{i}/1"
        for i in range(100, 110)
    ]
    cameras.import_cameras(
        city.root, "\n".join(["device_id,name,lon,lat,status,stream_url", *rows])
    )
    receive_alarms(
        intake,
        [
            alarm(f"more-{i}", camera=device_id(serial=f"{100 + i:06d}"), confidence=0.4)
            for i in range(10)
        ],
    )
    for i in range(5):
        _order(hotline, f"W-more-{i}", located=False)
        report(photos=1)
    with CaptureQueriesContext(connection) as after:
        html = client.get("/intake/").content.decode()
    assert figures(html)["pending-review"] == 12 and figures(html)["cameras"] == 12
    assert len(after) == len(before), [q["sql"] for q in after.captured_queries]


def test_one_menu_entry_leads_to_the_desk_and_stays_marked_on_every_intake_page(
    city: City, intake: AlarmSource, make_user: Any
) -> None:
    expected = {
        "operator": True,
        "shift_lead": True,
        "dispatcher": True,
        "leader": True,
        "inspector": False,  # keeps its own entry, 城管通
        "handler": False,
    }
    for role, has_entry in expected.items():
        html = signed_in(city.users[role]).get("/").content.decode()
        entries = menu(html)
        assert ("intake" in entries) is has_entry, role
        assert not OLD_ENTRIES & set(entries), (role, entries)
        assert ("phone" in entries) is (role == "inspector"), role
    admin = make_user("admin", "440304")
    assert "intake" in menu(signed_in(admin).get("/").content.decode())
    # A superuser sees every entry but the inspectors' shortcut (the desk's card leads there).
    entries = menu(signed_in(city.root).get("/").content.decode())
    assert "intake" in entries and "admin" in entries and "phone" not in entries

    operator = signed_in(city.users["operator"])
    html = operator.get("/").content.decode()
    assert '<a href="/intake/" data-menu="intake"' in html and ">多渠道受理</a>" in html
    order_pk = hotline_order_pk("W-1")
    pages = [
        "/intake/",
        "/intake/hotline/",
        f"/intake/hotline/orders/{order_pk}/",
        "/intake/hotline/import/",
        "/intake/hotline/daily/",
        "/report/review/",
        "/report/review/?status=approved",
        "/intake/video/cameras/",
        "/intake/video/review/",
    ]
    for page in pages:
        response = operator.get(page)
        assert response.status_code == 200, page
        assert active(response.content.decode()) == ["intake"], page
    for page in ("/intake/hotline/deliveries/", "/intake/video/cameras/new/"):
        response = signed_in(admin).get(page)
        assert response.status_code == 200, page
        assert active(response.content.decode()) == ["intake"], page
    # Other pages keep their own entry.
    assert active(operator.get("/map/").content.decode()) == ["map"]


def hotline_order_pk(order_id: str) -> int:
    return HotlineOrder.objects.get(order_id=order_id).pk


def test_the_desk_in_english(city: City, intake: AlarmSource) -> None:
    client = signed_in(city.users["operator"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/intake/"})
    html = client.get("/intake/").content.decode()
    assert "<h1>Intake channels</h1>" in html
    assert ">Intake channels</a>" in html  # the menu entry
    for text in ("Photos to review", "12345 hotline", "Alarms to review", "Discovery document"):
        assert text in html, text
    assert "待审核照片" not in html
