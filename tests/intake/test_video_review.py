"""Low-confidence alarms wait for an operator: accept → a case, reject → a recorded false
alarm that counts in the camera's false-alarm rate on the registry page."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from video_support import DEVICE_A, DEVICE_B, Video, alarm, video_city

from case_support import City, png
from yiwang.cases.models import Case, CaseEvent
from yiwang.core.errors import ActionError, NotFound
from yiwang.core.models import AuditEntry
from yiwang.intake import queries
from yiwang.intake.actions.alarm_review import accept_alarm, reject_alarm
from yiwang.intake.actions.alarms import AlarmResult, receive_alarms
from yiwang.intake.models import Alarm, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    """Snapshots and photos go to a directory of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


@pytest.fixture
def video(city: City) -> Video:
    return video_city(city)


def receive(video: Video, *alarms: object) -> list[AlarmResult]:
    results = receive_alarms(video.source, list(alarms))  # type: ignore[arg-type]
    assert all(isinstance(r, AlarmResult) for r in results), results
    return results  # type: ignore[return-value]


def test_a_low_confidence_alarm_waits_in_the_queue_with_its_snapshot(video: Video) -> None:
    snapshot = png(42)
    (result,) = receive(video, alarm("q-1", confidence=0.62, snapshot=snapshot))
    assert (result.status, result.case_number) == ("pending", None)
    assert not Case.objects.exists() and not Submission.objects.exists()

    operator = video.city.users["operator"]
    client = Client()
    client.force_login(operator)
    page = client.get("/intake/video/review/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-alarm="{result.alarm_id}"' in html
    assert "占道经营" in html and "南园路口东" in html and "0.62" in html
    image = client.get(f"/intake/video/alarms/{result.alarm_id}/snapshot/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert hashlib.sha256(b"".join(image.streaming_content)).digest() == (
        hashlib.sha256(snapshot).digest()
    )
    # Inspectors do not review; handlers neither.
    client.force_login(video.city.users["inspector"])
    assert client.get("/intake/video/review/").status_code == 404
    assert client.get(f"/intake/video/alarms/{result.alarm_id}/snapshot/").status_code == 404


def test_low_confidence_repeats_wait_as_one_group(video: Video) -> None:
    start = timezone.now() - timedelta(minutes=50)
    lead, *rest = receive(
        video,
        alarm("g-1", confidence=0.5, at=start),
        alarm("g-2", confidence=0.6, at=start + timedelta(minutes=10)),
        alarm("g-3", confidence=0.7, at=start + timedelta(minutes=20)),
    )
    queue = list(queries.review_queue(video.city.users["operator"]))
    assert [(a.pk, a.repeats) for a in queue] == [(lead.alarm_id, 2)]  # type: ignore[attr-defined]
    assert all(r.status == "pending" for r in rest)
    client = Client()
    client.force_login(video.city.users["operator"])
    assert "另有 2 条" in client.get("/intake/video/review/").content.decode()


def test_accepting_files_the_case_with_the_snapshot_and_the_operators_note(video: Video) -> None:
    snapshot = png(11)
    start = timezone.now() - timedelta(minutes=30)
    lead, member = receive(
        video,
        alarm("a-1", confidence=0.55, at=start, snapshot=snapshot),
        alarm("a-2", confidence=0.65, at=start + timedelta(minutes=5)),
    )
    operator = video.city.users["operator"]
    client = Client()
    client.force_login(operator)
    response = client.post(
        f"/intake/video/review/{lead.alarm_id}/accept/", {"note": "确有摊贩"}, follow=True
    )
    assert response.status_code == 200
    case = Case.objects.get()
    assert f"已立案：案卷 {case.number}" in response.content.decode()
    assert (case.source, case.type.code, case.reporter.username) == (  # type: ignore[union-attr]
        "video",
        "09006",
        "channel.video",
    )
    assert case.photos.get().sha256 == hashlib.sha256(snapshot).hexdigest()
    assert set(Alarm.objects.values_list("status", "case_id")) == {("accepted", case.pk)}
    assert sorted(Submission.objects.filter(case=case).values_list("external_id", flat=True)) == [
        "a-1",
        "a-2",
    ]
    note = CaseEvent.objects.get(case=case, transition="note")
    assert note.actor_id == operator.pk and "2 条" in note.note and "确有摊贩" in note.note
    assert AuditEntry.objects.filter(action="intake.accept_alarm", actor_id=operator.pk).exists()
    # The queue is empty; the camera's next alarm joins the accepted case.
    assert not queries.review_queue(operator).exists()
    (next_one,) = receive(video, alarm("a-3", confidence=0.99, at=start + timedelta(minutes=20)))
    assert (next_one.status, next_one.case_number) == ("merged", case.number)
    # Deciding again is a conflict, not a second case.
    with pytest.raises(ActionError) as caught:
        accept_alarm(operator, lead.alarm_id)
    assert caught.value.code == "already_decided"
    with pytest.raises(ActionError) as caught:
        accept_alarm(operator, member.alarm_id)
    assert caught.value.code == "not_group_lead"


def test_an_accepted_alarm_joins_the_case_the_camera_opened_meanwhile(video: Video) -> None:
    start = timezone.now() - timedelta(minutes=30)
    (doubtful,) = receive(video, alarm("m-1", confidence=0.5, at=start))
    (sure,) = receive(video, alarm("m-2", confidence=0.95, at=start + timedelta(minutes=3)))
    assert sure.status == "filed"
    accepted = accept_alarm(video.city.users["operator"], doubtful.alarm_id)
    assert (accepted.created, accepted.case.number) == (False, sure.case_number)
    assert Case.objects.count() == 1


def test_rejections_need_a_reason_and_feed_the_cameras_false_alarm_rate(video: Video) -> None:
    start = timezone.now() - timedelta(hours=2)
    receive(
        video,
        alarm("x-1", confidence=0.95, at=start),  # filed
        alarm("x-2", confidence=0.95, at=start + timedelta(minutes=5)),  # merged
        alarm("x-3", confidence=0.3, camera=DEVICE_B, at=start),  # pending → rejected
        alarm("x-4", confidence=0.4, camera=DEVICE_B, at=start + timedelta(minutes=1)),  # its group
        alarm("x-5", confidence=0.4, camera=DEVICE_B, at=start + timedelta(minutes=90)),  # pending
    )
    operator = video.city.users["operator"]
    lead = Alarm.objects.get(event_id="x-3")
    with pytest.raises(ActionError) as caught:
        reject_alarm(operator, lead.pk, reason="  ")
    assert (caught.value.code, caught.value.field) == ("required", "reason")

    client = Client()
    client.force_login(operator)
    response = client.post(
        f"/intake/video/review/{lead.pk}/reject/", {"reason": "树影误识别"}, follow=True
    )
    assert "已驳回 2 条告警" in response.content.decode()
    assert set(
        Alarm.objects.filter(event_id__in=["x-3", "x-4"]).values_list("status", "reason")
    ) == {("rejected", "树影误识别")}
    assert AuditEntry.objects.filter(action="intake.reject_alarm").count() == 1

    # Camera B: 3 alarms, 1 still pending, 2 rejected → 2 / (3 - 1) = 100 %.
    # Camera A: 2 alarms, none rejected → 0 %.
    stats = queries.camera_stats([video.camera_a.pk, video.camera_b.pk])
    assert (stats[video.camera_b.pk].rejected, stats[video.camera_b.pk].decided) == (2, 2)
    assert stats[video.camera_b.pk].false_alarm_rate == pytest.approx(1.0)
    assert stats[video.camera_a.pk].false_alarm_rate == pytest.approx(0.0)
    # Accepting the remaining one: 2 rejected of 3 decided.
    accept_alarm(operator, Alarm.objects.get(event_id="x-5").pk)
    assert queries.camera_stats([video.camera_b.pk])[video.camera_b.pk].false_alarm_rate == (
        pytest.approx(2 / 3)
    )

    client.force_login(video.city.users["leader"])
    html = client.get("/intake/video/cameras/").content.decode()
    rows = dict(re.findall(r'data-device="(\d{20})".*?class="num false-rate">([^<]*)<', html, re.S))
    assert rows == {DEVICE_A: "0.0%", DEVICE_B: "66.7%"}


def test_alarms_of_another_street_are_out_of_a_street_operators_reach(
    video: Video, make_user: object
) -> None:
    (pending,) = receive(video, alarm("o-1", confidence=0.3, camera=DEVICE_B))
    operator_a = make_user("operator", "440304001")  # type: ignore[operator]
    assert not queries.review_queue(operator_a).exists()
    with pytest.raises(NotFound):
        reject_alarm(operator_a, pending.alarm_id, reason="不是我的")
    assert Alarm.objects.get(pk=pending.alarm_id).status == "pending"
