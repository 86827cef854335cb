"""Camera alarms over the API: one case per problem however often it fires, resends ignored,
every refusal a clear 4xx with {code, message, field} and nothing half-written."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from video_support import (
    DEVICE_A,
    DEVICE_B,
    EXPOSED_GARBAGE,
    ROAD_OCCUPATION,
    Video,
    alarm,
    body,
    device_id,
    post,
    video_city,
)

from case_support import City, png
from yiwang.cases import actions as case_actions
from yiwang.cases.models import Case, CaseEvent, CasePhoto
from yiwang.intake.actions import alarm_setup
from yiwang.intake.actions.alarms import receive_alarms
from yiwang.intake.models import Alarm, AlarmEventType, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    """Snapshots and photos go to a directory of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


@pytest.fixture
def video(city: City) -> Video:
    return video_city(city)


def counts() -> tuple[int, int, int, int, int]:
    return (
        Alarm.objects.count(),
        Case.objects.count(),
        Submission.objects.count(),
        CaseEvent.objects.count(),
        CasePhoto.objects.count(),
    )


# ---- authentication -----------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "not-a-key"])
def test_without_a_valid_source_key_nothing_is_received(video: Video, key: str | None) -> None:
    headers = {} if key is None else {"X-Alarm-Key": key}
    response = Client().post(
        "/api/intake/alarms", body(alarm("e1")), content_type="application/json", headers=headers
    )
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "field"}
    assert counts()[:2] == (0, 0)


def test_a_switched_off_source_is_refused(video: Video) -> None:
    alarm_setup.set_alarm_source_active(video.city.root, video.source.pk, False)
    assert post(video.key, body(alarm("e1"))).status_code == 401


# ---- a first alarm, its repeats and its resends ---------------------------------------------


def test_a_confident_alarm_files_a_video_case_with_its_snapshot(video: Video) -> None:
    snapshot = png(7)
    response = post(video.key, body(alarm("evt-1", snapshot=snapshot, confidence=0.93)))
    assert response.status_code == 201, response.content
    out = response.json()
    assert (out["status"], out["status_label"], out["replayed"]) == ("filed", "已立案", False)
    case = Case.objects.get(number=out["case_number"])
    # 占道经营 → GB/T 47678.5-2026 matter 09006, at the camera's place, by the video account.
    assert (case.kind, case.type.code, case.source, case.state) == (
        "matter",
        "09006",
        "video",
        "reported",
    )
    assert case.reporter is not None and case.reporter.username == "channel.video"
    assert (case.grid.code, case.lon, case.lat) == (
        "440304001001001",
        video.camera_a.lon,
        video.camera_a.lat,
    )
    assert DEVICE_A in case.description and "0.93" in case.description
    photo = case.photos.get()
    assert (photo.phase, photo.sha256) == ("before", hashlib.sha256(snapshot).hexdigest())
    sub = Submission.objects.get()
    assert (sub.channel, sub.sender, sub.external_id, sub.case_id) == (
        "video",
        DEVICE_A,
        "evt-1",
        case.pk,
    )


def test_repeats_within_the_window_join_the_open_case_as_notes(video: Video) -> None:
    start = timezone.now() - timedelta(hours=2)
    first = post(video.key, body(alarm("r-1", at=start))).json()
    version = Case.objects.get(number=first["case_number"]).version
    # The window (30 min for 占道经营) slides: each repeat is within 30 min of the last one.
    for i, minutes in enumerate([10, 35, 60, 85], start=2):
        out = post(video.key, body(alarm(f"r-{i}", at=start + timedelta(minutes=minutes)))).json()
        assert (out["status"], out["case_number"]) == ("merged", first["case_number"])
    case = Case.objects.get()
    assert case.version == version  # notes move nothing
    notes = CaseEvent.objects.filter(case=case, transition="note").order_by("id")
    assert notes.count() == 4
    assert all(n.from_state == n.to_state == "reported" for n in notes)
    assert "南园路口东" in notes[0].note and "占道经营" in notes[0].note
    assert notes[0].data["events"][0]["event_id"] == "r-2"
    subs = Submission.objects.filter(case=case).order_by("external_id")
    assert [(s.channel, s.sender, s.external_id) for s in subs] == [
        ("video", DEVICE_A, f"r-{i}") for i in range(1, 6)
    ]
    assert case.photos.count() == 1  # the repeats' snapshots are fingerprinted, not stored
    # Each has its own tracking code of the common format (no 0/O, 1/I/L).
    codes = [s.tracking_code for s in subs]
    assert len(set(codes)) == 5
    assert all(re.fullmatch(r"[2-9A-HJKMNP-Z]{10}", c) for c in codes)


def test_an_alarm_after_the_window_or_after_the_case_ended_files_a_new_case(
    video: Video,
) -> None:
    start = timezone.now() - timedelta(hours=3)
    first = post(video.key, body(alarm("w-1", at=start))).json()["case_number"]
    later = post(video.key, body(alarm("w-2", at=start + timedelta(minutes=31)))).json()
    assert later["status"] == "filed" and later["case_number"] != first
    case = Case.objects.get(number=later["case_number"])
    case_actions.transition(
        video.city.users["shift_lead"],
        case.number,
        "void",
        version=case.version,
        inputs={"note": "重复上报"},
    )
    after_void = post(video.key, body(alarm("w-3", at=start + timedelta(minutes=40)))).json()
    assert after_void["status"] == "filed"
    assert after_void["case_number"] not in (first, later["case_number"])


def test_another_type_or_another_camera_is_another_case(video: Video) -> None:
    a = post(video.key, body(alarm("t-1"))).json()["case_number"]
    b = post(video.key, body(alarm("t-2", event_type=EXPOSED_GARBAGE))).json()["case_number"]
    c = post(video.key, body(alarm("t-3", camera=DEVICE_B))).json()["case_number"]
    assert len({a, b, c}) == 3
    assert Case.objects.get(number=b).type.code == "06010"  # 暴露垃圾
    assert Case.objects.get(number=c).grid.code == "440304002001001"


def test_a_resend_is_one_alarm(video: Video) -> None:
    first = post(video.key, body(alarm("dup-1")))
    before = counts()
    again = post(video.key, body(alarm("dup-1", confidence=0.99)))
    assert again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    assert counts() == before
    # Within one batch too.
    results = receive_alarms(video.source, [alarm("dup-2"), alarm("dup-2")])
    assert not isinstance(results[0], Exception) and not isinstance(results[1], Exception)
    assert results[1].replayed and results[1].status == results[0].status == "merged"
    assert Submission.objects.filter(external_id="dup-2").count() == 1


# ---- refusals -------------------------------------------------------------------------------


def test_an_unknown_camera_is_404_with_code_message_and_field(video: Video) -> None:
    before = counts()
    response = post(video.key, body(alarm("u-1", camera=device_id(serial="999999"))))
    assert response.status_code == 404
    assert response.json() == {
        "code": "unknown_camera",
        "message": f"摄像机 {device_id(serial='999999')} 未登记。",
        "field": "camera_id",
    }
    assert counts() == before


def test_a_camera_outside_the_sources_division_is_unknown_to_it(video: Video) -> None:
    key, _ = alarm_setup.create_alarm_source(
        video.city.root, name="园岭街道平台", division_code="440304002"
    )
    assert post(key, body(alarm("s-1", camera=DEVICE_A))).status_code == 404
    assert post(key, body(alarm("s-2", camera=DEVICE_B))).status_code == 201


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"snapshot": base64.b64encode(SVG).decode()}, 400, "bad_file_type", "snapshot"),
        ({"snapshot": base64.b64encode(HTML).decode()}, 400, "bad_file_type", "snapshot"),
        ({"snapshot": "not base64 at all!"}, 400, "bad_snapshot", "snapshot"),
        ({"event_type": "flying_saucer"}, 400, "unknown_event_type", "event_type"),
        ({"occurred_at": "2026-12-02T08:30:00"}, 400, "naive_time", "occurred_at"),
        ({"confidence": 1.5}, 400, "out_of_range", "confidence"),
        ({"camera_id": "4403040008132600000X"}, 400, "invalid", "camera_id"),
        ({"flight_id": "F-1", "lon": 114.05, "lat": 22.54}, 400, "camera_or_flight", "camera_id"),
        ({"event_id": ""}, 400, "invalid", "event_id"),
    ],
)
def test_bad_alarms_are_refused_whole(
    video: Video, change: dict[str, Any], status: int, code: str, field: str
) -> None:
    before = counts()
    response = post(video.key, {**body(alarm("bad-1")), **change})
    assert response.status_code == status, response.content
    out = response.json()
    assert (out["code"], out["field"]) == (code, field)
    assert out["message"]
    assert counts() == before


def test_an_alarm_from_the_future_is_refused(video: Video) -> None:
    future = alarm("f-1", at=timezone.now() + timedelta(hours=1))
    response = post(video.key, body(future))
    assert (response.status_code, response.json()["code"]) == (400, "future_time")


def test_malformed_json_is_a_400(video: Video) -> None:
    response = Client().post(
        "/api/intake/alarms",
        b'{"event_id": "x", ',
        content_type="application/json",
        headers={"X-Alarm-Key": video.key},
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"code", "message", "field"}


# ---- the batch endpoint ---------------------------------------------------------------------


def test_a_batch_answers_each_alarm_and_a_bad_one_does_not_stop_the_others(video: Video) -> None:
    start = timezone.now() - timedelta(minutes=20)
    alarms = [
        body(alarm("b-1", at=start)),
        body(alarm("b-2", at=start + timedelta(minutes=1))),
        {**body(alarm("b-3")), "snapshot": base64.b64encode(SVG).decode()},
        body(alarm("b-4", camera=device_id(serial="999999"))),
        body(alarm("b-5", camera=DEVICE_B, event_type=EXPOSED_GARBAGE)),
        body(alarm("b-1", at=start)),
    ]
    response = post(video.key, {"alarms": alarms}, path="/api/intake/alarms/batch")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [(r["index"], r["event_id"], r["ok"]) for r in results] == [
        (0, "b-1", True),
        (1, "b-2", True),
        (2, "b-3", False),
        (3, "b-4", False),
        (4, "b-5", True),
        (5, "b-1", True),
    ]
    assert [r["result"]["status"] for r in results if r["ok"]] == [
        "filed",
        "merged",
        "filed",
        "filed",
    ]
    assert results[5]["result"]["replayed"] is True
    assert results[1]["result"]["case_number"] == results[0]["result"]["case_number"]
    assert results[2]["error"]["code"] == "bad_file_type"
    assert results[3]["error"] == {
        "code": "unknown_camera",
        "message": f"摄像机 {device_id(serial='999999')} 未登记。",
        "field": "camera_id",
        "details": None,
    }
    assert Case.objects.count() == 2
    # The two filing alarms are kept as alarms; the repeat b-2 as its submission.
    assert sorted(Alarm.objects.values_list("event_id", flat=True)) == ["b-1", "b-5"]
    assert sorted(Submission.objects.values_list("external_id", flat=True)) == ["b-1", "b-2", "b-5"]


def test_the_confidence_threshold_and_window_are_per_event_type(video: Video) -> None:
    et = alarm_setup.save_event_type(
        video.city.root,
        code=ROAD_OCCUPATION,
        name="占道经营",
        matter_code="09006",
        min_confidence="0.95",
        window_minutes=5,
        event_type_id=_event_type_id(ROAD_OCCUPATION),
    )
    assert (str(et.min_confidence), et.window_minutes) == ("0.95", 5)
    start = timezone.now() - timedelta(hours=1)
    assert post(video.key, body(alarm("c-1", confidence=0.93, at=start))).json()["status"] == (
        "pending"
    )
    first = post(video.key, body(alarm("c-2", confidence=0.96, at=start))).json()
    late = post(video.key, body(alarm("c-3", confidence=0.96, at=start + timedelta(minutes=6))))
    assert late.json()["case_number"] != first["case_number"]


def _event_type_id(code: str) -> int:
    return AlarmEventType.objects.get(code=code).pk
