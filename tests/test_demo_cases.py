"""The demo city with its cases, loaded the way `yiwang demo` loads it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import F
from django.test import RequestFactory
from django.utils import timezone

from yiwang.cases import queries
from yiwang.cases.models import FINAL_STATES, Case, CaseEvent, CaseStageRecord, State
from yiwang.catalog.models import Component
from yiwang.geo.codes import validate_grid_code
from yiwang.geo.models import UnitGrid
from yiwang.intake.models import Alarm, Camera, HotlineOrder, PublicPhotoReview, Submission
from yiwang.org.models import Department, Division, User

pytestmark = pytest.mark.slow

# The worklists each demo account opens first; every one must have work in it.
EXPECTED_WORK = {
    "operator": ["to_accept", "to_send_verify", "to_send_check"],
    "shiftlead": ["to_register", "to_close", "void_requests"],
    "dispatcher": ["to_dispatch", "return_requests", "extension_requests", "suspend_requests"],
    "handler": ["to_handle"],
    "inspector": ["verify_tasks", "check_tasks"],
    "leader": ["open_cases"],
}


def _counts() -> dict[str, int]:
    return {
        "cases": Case.objects.count(),
        "events": CaseEvent.objects.count(),
        "grids": UnitGrid.objects.count(),
        "components": Component.objects.count(),
        "users": User.objects.count(),
        "departments": Department.objects.count(),
        "cameras": Camera.objects.count(),
        "alarms": Alarm.objects.count(),
        "submissions": Submission.objects.count(),
        "hotline_orders": HotlineOrder.objects.count(),
        "photo_reviews": PublicPhotoReview.objects.count(),
    }


def _loop_cases() -> int:
    """The cases played through the loop: all but those an intake channel filed (each of
    those has its Submission)."""
    filed = Submission.objects.exclude(case=None).values("case_id")
    return Case.objects.exclude(pk__in=filed).count()


@pytest.mark.django_db
def test_demo_loads_cases_in_every_state_and_twice_is_once(
    capsys: Any, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"  # the intake channels' photos and snapshots
    call_command("load_demo")
    now = timezone.now()
    first = _counts()
    played = _loop_cases()

    assert 2900 <= played <= 3100
    # The intake channels add their own (tests/test_demo_intake.py looks at them closely).
    assert 60 <= first["cases"] - played <= 120
    present = set(Case.objects.values_list("state", flat=True).distinct())
    assert present == set(State.values)

    # Overdue: still open past its stage deadline, or any stage that finished late.
    open_overdue = set(
        Case.objects.exclude(state__in=list(FINAL_STATES))
        .filter(stage_due_at__lt=now)
        .values_list("id", flat=True)
    )
    finished_late = set(
        CaseStageRecord.objects.filter(finished_at__gt=F("due_at")).values_list(
            "case_id", flat=True
        )
    )
    share = len(open_overdue | finished_late) / first["cases"]
    assert 0.10 <= share <= 0.20, share
    assert open_overdue, "the search's 超期 filter should find something"

    # The branches of the loop were all taken, and every source was used.
    assert Case.objects.filter(rework_count__gt=0).exists()
    assert Case.objects.filter(return_count__gt=0).exists()
    assert Case.objects.filter(extension_count__gt=0).exists()
    assert CaseEvent.objects.filter(transition="resume").exists()
    assert CaseEvent.objects.filter(transition="approve_void").exists()
    sources = set(Case.objects.values_list("source", flat=True).distinct())
    assert {"inspector", "public", "hotline", "video", "drone", "sensor"} <= sources

    # Simulated history: nothing happens in the future, and each case's timeline runs forward.
    assert not CaseEvent.objects.filter(at__gt=now).exists()
    assert Case.objects.filter(reported_at__lt=now - timedelta(days=80)).exists()
    sample = Case.objects.filter(state=State.CLOSED).order_by("id")[:200]
    for case in sample:
        times = list(case.events.order_by("id").values_list("at", flat=True))
        assert times == sorted(times), case.number

    for username, keys in EXPECTED_WORK.items():
        user = User.objects.select_related("division", "department").get(username=username)
        for key in keys:
            assert queries.worklist(user, key).exists(), f"{username}: {key} is empty"

    # The city itself: 3 streets of 3 communities, ~300 grids of valid codes, 1,000
    # components, and every demo account signs in with the printed password.
    assert Division.objects.filter(code__startswith="440304", level="street").count() == 3
    assert Division.objects.filter(code__startswith="440304", level="community").count() == 9
    assert 250 <= first["grids"] <= 350
    for code, community in UnitGrid.objects.values_list("code", "community__code"):
        assert validate_grid_code(code, community) == code
    assert first["components"] == 1000
    assert Component.objects.values("type").distinct().count() >= 20
    captured = capsys.readouterr()
    printed = captured.out
    # Progress of every phase on stderr, as plain lines here (not a terminal), ending complete.
    progress = captured.err.splitlines()
    assert "\r" not in captured.err
    phases = (("区划、部门与人员", 28), ("单元网格", 306), ("部件", 1000), ("多渠道受理", 109))
    for phase, total in phases:
        assert any(line.startswith(f"{phase}: 100% {total}/{total}") for line in progress), phase
    lines = [line for line in progress if line.startswith("案卷（按流程办理）:")]
    assert lines[0].startswith(f"案卷（按流程办理）:   0% 0/{played}")
    assert lines[-1].startswith(f"案卷（按流程办理）: 100% {played}/{played}")
    for username in ("inspector", "operator", "shiftlead", "dispatcher", "handler", "leader",
                     "admin"):  # fmt: skip
        assert username in printed
        login = RequestFactory().post("/login/")
        assert authenticate(login, username=username, password="yiwang-demo") is not None, username
    # Where to look at each channel, and the keys issued (shown this once).
    for path in ("/intake/", "/report/", "/m/", "/open311/v2/discovery.json"):
        assert f"  {path} " in printed, path
    assert "Open311 api_key" in printed and "X-Alarm-Key" in printed
    keys = re.findall(r"(?:api_key|X-Alarm-Key)（[^）]*）+：(\S+)", printed)
    assert len(keys) == 2 and all(len(k) >= 40 for k in keys), keys

    call_command("load_demo")
    assert _counts() == first
    again = capsys.readouterr().out
    assert "新建案卷 0 件" in again and "多渠道受理 0 条" in again
    # The keys exist in clear only when issued: not printed again, the way to new ones is.
    assert "接入密钥只在首次载入时显示" in again
    assert not any(k in again for k in keys)
