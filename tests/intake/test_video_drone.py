"""Drone alarms: a flight's point located to its grid (any CRS), repeats of one flight and type
within the radius join one case, and a point outside every grid is a clear 400."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from video_support import EXPOSED_GARBAGE, Video, body, drone_alarm, post, video_city

from case_support import POINT_A, POINT_B, City
from yiwang.cases.models import Case, CaseEvent
from yiwang.geo.crs import wgs84_to_gcj02
from yiwang.intake.actions import alarm_setup
from yiwang.intake.models import Alarm, AlarmEventType, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    """Snapshots and photos go to a directory of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


# Metres per degree of latitude on the mean Earth radius (6,371,008.8 m × π / 180).
M_PER_DEG_LAT = 111_195.08


def north(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0], point[1] + metres / M_PER_DEG_LAT


@pytest.fixture
def video(city: City) -> Video:
    return video_city(city)


def test_a_drone_alarm_files_a_drone_case_at_its_point(video: Video) -> None:
    response = post(video.key, body(drone_alarm("d-1", "FL-20261202-01", POINT_A)))
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()["case_number"])
    assert (case.source, case.type.code, case.grid.code) == ("drone", "06010", "440304001001001")
    assert case.reporter is not None and case.reporter.username == "channel.drone"
    assert "FL-20261202-01" in case.description
    sub = Submission.objects.get()
    assert (sub.channel, sub.sender, sub.external_id) == ("drone", "FL-20261202-01", "d-1")


def test_repeats_of_one_flight_and_type_within_the_radius_join_one_case(video: Video) -> None:
    start = timezone.now() - timedelta(minutes=10)
    flight = "FL-7"
    first = post(video.key, body(drone_alarm("r-1", flight, POINT_A, at=start))).json()
    near = post(video.key, body(drone_alarm("r-2", flight, north(POINT_A, 30), at=start))).json()
    far = post(video.key, body(drone_alarm("r-3", flight, north(POINT_A, 80), at=start))).json()
    other_flight = post(video.key, body(drone_alarm("r-4", "FL-8", POINT_A, at=start))).json()
    other_type = post(
        video.key, body(drone_alarm("r-5", flight, POINT_A, event_type="illegal_parking"))
    ).json()
    assert (near["status"], near["case_number"]) == ("merged", first["case_number"])
    assert far["status"] == "filed"  # 80 m is beyond the 50 m radius of 暴露垃圾
    assert other_flight["status"] == "filed" and other_type["status"] == "filed"
    assert Case.objects.count() == 4
    note = CaseEvent.objects.get(case__number=first["case_number"], transition="note")
    assert "FL-7" in note.note


def test_the_radius_is_configurable_per_event_type(video: Video) -> None:
    et = AlarmEventType.objects.get(code=EXPOSED_GARBAGE)
    alarm_setup.save_event_type(
        video.city.root,
        code=et.code,
        name=et.name,
        matter_code=et.matter_type.code,
        radius_m=100,
        event_type_id=et.pk,
    )
    first = post(video.key, body(drone_alarm("k-1", "FL-9", POINT_A))).json()
    far = post(video.key, body(drone_alarm("k-2", "FL-9", north(POINT_A, 80)))).json()
    assert far["case_number"] == first["case_number"]


def test_a_gcj02_point_is_converted_before_locating(video: Video) -> None:
    gcj = wgs84_to_gcj02(*POINT_B)
    response = post(video.key, body(drone_alarm("g-1", "FL-G", gcj, crs="gcj02")))
    assert response.status_code == 201
    case = Case.objects.get()
    assert case.grid.code == "440304002001001"
    assert (case.lon, case.lat) == (
        pytest.approx(POINT_B[0], abs=1e-7),
        pytest.approx(POINT_B[1], abs=1e-7),
    )


def test_a_drone_point_outside_every_grid_is_a_clear_400_and_writes_nothing(video: Video) -> None:
    response = post(video.key, body(drone_alarm("o-1", "FL-1", (114.2, 22.6))))
    assert response.status_code == 400
    assert response.json() == {
        "code": "not_in_grid",
        "message": "无人机告警的位置不在任何单元网格内。",
        "field": "lon",
    }
    assert not Alarm.objects.exists() and not Case.objects.exists()


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"crs": "epsg:3857"}, "unknown_crs", "crs"),
        ({"lon": None}, "required", "lon"),
        ({"lat": 95}, "out_of_range", "lat"),
    ],
)
def test_a_bad_drone_position_is_refused(
    video: Video, change: dict[str, object], code: str, field: str
) -> None:
    payload = {**body(drone_alarm("p-1", "FL-1", POINT_A)), **change}
    response = post(video.key, payload)
    assert response.status_code == 400, response.content
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert not Alarm.objects.exists()


def test_a_drone_point_outside_the_sources_division_is_forbidden(video: Video) -> None:
    key, _ = alarm_setup.create_alarm_source(
        video.city.root, name="南园街道无人机", division_code="440304001"
    )
    response = post(key, body(drone_alarm("z-1", "FL-Z", POINT_B)))
    assert (response.status_code, response.json()["code"]) == (403, "out_of_scope")
