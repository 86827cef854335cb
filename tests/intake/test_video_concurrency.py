"""Alarms of one camera and type arriving at the same instant still make one case.

Real threads, each with its own connection, and real commits (transaction=True): on
PostgreSQL the camera/type track row lock orders them, on SQLite the IMMEDIATE write
transaction does.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from video_support import DEVICE_A, alarm, drone_alarm, video_city

from case_support import POINT_A, City
from concurrency import run_together
from yiwang.cases.models import Case
from yiwang.intake.actions.alarms import AlarmResult, receive_alarms
from yiwang.intake.models import Alarm, AlarmTrack, Submission

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    """Snapshots and photos go to a directory of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


def test_alarms_at_once_for_one_camera_and_type_give_one_case(city: City) -> None:
    video = video_city(city)
    start = timezone.now() - timedelta(hours=2)
    for round_ in range(3):
        at = start + timedelta(minutes=round_ * 40)  # each round beyond the 30-min window
        results = run_together(
            [
                lambda i=i, r=round_, at=at: receive_alarms(
                    video.source, [alarm(f"c{r}-{i}", at=at + timedelta(seconds=i))]
                )[0]
                for i in range(4)
            ]
        )
        assert all(isinstance(r, AlarmResult) for r in results), results
        assert sorted(r.status for r in results) == ["filed", "merged", "merged", "merged"]
        assert len({r.case_number for r in results}) == 1
    assert Case.objects.count() == 3
    assert Submission.objects.filter(sender=DEVICE_A).count() == 12
    track = AlarmTrack.objects.get(sender=DEVICE_A)
    assert track.alarm_count == 12


def test_the_same_event_sent_twice_at_once_is_one_alarm(city: City) -> None:
    video = video_city(city)
    results = run_together([lambda: receive_alarms(video.source, [alarm("same-1")])[0]] * 3)
    assert all(isinstance(r, AlarmResult) for r in results), results
    assert len({r.alarm_id for r in results}) == 1
    assert sorted(r.replayed for r in results) == [False, True, True]
    assert Alarm.objects.count() == 1 and Case.objects.count() == 1


def test_drone_alarms_at_once_near_each_other_give_one_case(city: City) -> None:
    video = video_city(city)
    results = run_together(
        [
            lambda i=i: receive_alarms(
                video.source, [drone_alarm(f"d-{i}", "FL-C", (POINT_A[0], POINT_A[1] + i * 1e-5))]
            )[0]
            for i in range(3)
        ]
    )
    assert all(isinstance(r, AlarmResult) for r in results), results
    assert len({r.case_number for r in results}) == 1
    assert Case.objects.count() == 1
