"""Issuing bulletins: versions are never rewritten, the schedule issues each period once
and catches up missed ones, every issue is audited, on-demand issues respect the scope."""

from __future__ import annotations

from datetime import date

import pytest
from bulletin_support import local, march_day

from case_support import City, square
from yiwang.core.errors import InvalidInput, PermissionDenied
from yiwang.core.models import AuditEntry
from yiwang.geo import actions as geo_actions
from yiwang.org import actions as org_actions
from yiwang.org.models import Division
from yiwang.reports.bulletins import actions
from yiwang.reports.models import Bulletin


def test_on_demand_issues_new_versions_and_never_rewrites(city: City) -> None:
    march_day(city)
    leader = city.users["leader"]  # 福田区
    first = actions.issue_on_demand(leader, "daily", date(2026, 3, 2), now=local(2026, 3, 3, 9))
    frozen = dict(first.content)
    second = actions.issue_on_demand(leader, "daily", date(2026, 3, 2), now=local(2026, 3, 4, 9))
    assert (first.version, second.version) == (1, 2)
    assert first.division_path == second.division_path == leader.division.path
    assert second.trigger == "on_demand" and second.issued_by == leader
    first.refresh_from_db()
    assert first.content == frozen and first.content["generated_at"] == "2026-03-03T09:00:00+08:00"
    with pytest.raises(ValueError):
        first.save()
    assert AuditEntry.objects.filter(action="reports.issue_bulletin").count() == 2
    entry = AuditEntry.objects.get(action="reports.issue_bulletin", object_id=str(second.pk))
    assert entry.actor_id == leader.pk and entry.data["version"] == 2


def test_on_demand_refusals(city: City) -> None:
    now = local(2026, 3, 3, 9)
    with pytest.raises(PermissionDenied):
        actions.issue_on_demand(city.users["inspector"], "daily", date(2026, 3, 2), now=now)
    with pytest.raises(InvalidInput) as future:
        actions.issue_on_demand(city.users["leader"], "daily", date(2026, 3, 4), now=now)
    assert future.value.field == "day"
    with pytest.raises(InvalidInput):
        actions.issue_on_demand(city.users["leader"], "yearly", date(2026, 3, 2), now=now)
    # The current month may be issued on demand: it says up to when it counts.
    current = actions.issue_on_demand(
        city.users["shift_lead"], "monthly", date(2026, 3, 3), now=now
    )
    assert current.content["period_label"] == "2026年3月（截至2026年3月3日09:00）"


def test_the_schedule_catches_up_and_issues_each_period_once(city: City) -> None:
    march_day(city)
    # Tuesday 10 March, 09:00: the days 3–9 March, the weeks from 9 Feb to 2 March and the
    # months December to February are due (7 + 4 + 3), for 福田区 (every grid of 深圳市 is
    # in it).
    issued = actions.issue_due(local(2026, 3, 10, 9))
    assert {b.division_path for b in issued} == {Division.objects.get(code="440304").path}
    got = sorted((b.kind, b.period_start) for b in issued)
    expected = sorted(
        [("daily", date(2026, 3, d)) for d in range(3, 10)]
        + [
            ("weekly", date(2026, 2, 9)),
            ("weekly", date(2026, 2, 16)),
            ("weekly", date(2026, 2, 23)),
            ("weekly", date(2026, 3, 2)),
        ]
        + [
            ("monthly", date(2025, 12, 1)),
            ("monthly", date(2026, 1, 1)),
            ("monthly", date(2026, 2, 1)),
        ]
    )
    assert got == expected
    assert all(b.trigger == "scheduled" and b.issued_by is None and b.version == 1 for b in issued)
    # Run again (the next hour, a restarted worker): nothing new.
    assert actions.issue_due(local(2026, 3, 10, 10)) == []
    # Wednesday 07:59: 10 March's daily is not due before 08:00; at 08:00 it is.
    assert actions.issue_due(local(2026, 3, 11, 7, 59)) == []
    later = actions.issue_due(local(2026, 3, 11, 8))
    assert [(b.kind, b.period_start) for b in later] == [("daily", date(2026, 3, 10))]
    # A person's version beside a scheduled one does not stop or double the schedule.
    actions.issue_on_demand(
        city.users["leader"], "daily", date(2026, 3, 11), now=local(2026, 3, 12, 7)
    )
    assert [(b.kind, b.period_start) for b in actions.issue_due(local(2026, 3, 12, 8))] == [
        ("daily", date(2026, 3, 11))
    ]
    assert Bulletin.objects.filter(kind="daily", period_start=date(2026, 3, 11)).count() == 2


def test_monday_and_first_of_month_wait_for_eight(city: City) -> None:
    # Monday 6 April 2026, 07:00: last week (30 March) and March are not due yet.
    due = actions.due_periods(local(2026, 4, 6, 7))
    assert ("weekly", date(2026, 3, 30)) not in due and ("weekly", date(2026, 3, 23)) in due
    assert ("daily", date(2026, 4, 5)) not in due and ("daily", date(2026, 4, 4)) in due
    due = actions.due_periods(local(2026, 4, 6, 8))
    assert ("weekly", date(2026, 3, 30)) in due and ("daily", date(2026, 4, 5)) in due
    assert ("monthly", date(2026, 3, 1)) in due
    assert ("monthly", date(2026, 3, 1)) not in actions.due_periods(local(2026, 4, 1, 7, 59))
    assert ("monthly", date(2026, 3, 1)) in actions.due_periods(local(2026, 4, 1, 8))


def test_bulletin_divisions_by_default(city: City) -> None:
    # Every grid of 深圳市 lies in 福田区: the district's bulletin.
    assert [d.code for d in actions.bulletin_divisions()] == ["440304"]
    # A grid in 罗湖区 too: the city's. A grid in 广州市: a bulletin for 广州市's district.
    root = city.root
    for code, name, level, parent in [
        ("440303001", "桂园街道", "street", "440303"),
        ("440303001001", "老围社区", "community", "440303001"),
        ("440104001", "洪桥街道", "street", "440104"),
        ("440104001001", "应元社区", "community", "440104001"),
    ]:
        org_actions.create_division(root, code=code, name=name, level=level, parent_code=parent)
    geo_actions.create_grid(
        root,
        code="440303001001001",
        name="老围一号网格",
        community_code="440303001001",
        geometry=square(114.10, 22.55),
    )
    geo_actions.create_grid(
        root,
        code="440104001001001",
        name="应元一号网格",
        community_code="440104001001",
        geometry=square(113.26, 23.13),
    )
    assert [d.code for d in actions.bulletin_divisions()] == ["440104", "440300"]


def test_the_setting_names_the_bulletin_divisions(city: City, settings: object) -> None:
    settings.BULLETIN_DIVISIONS = ("440304001", "440304002")  # type: ignore[attr-defined]
    assert [d.code for d in actions.bulletin_divisions()] == ["440304001", "440304002"]


def test_a_bulletin_that_cannot_be_built_does_not_stop_the_others(city: City) -> None:
    from yiwang.evaluation.models import Scheme

    Scheme.objects.update(is_current=False)  # monthly bulletins need a current scheme
    issued = actions.issue_due(local(2026, 3, 10, 9))
    assert sorted({b.kind for b in issued}) == ["daily", "weekly"] and len(issued) == 11
    Scheme.objects.filter(code="gbt-30428.4").update(is_current=True)
    later = actions.issue_due(local(2026, 3, 10, 10))
    assert sorted((b.kind, b.period_start) for b in later) == [
        ("monthly", date(2025, 12, 1)),
        ("monthly", date(2026, 1, 1)),
        ("monthly", date(2026, 2, 1)),
    ]


def test_the_hourly_job_is_scheduled_and_issues(city: City, settings: object) -> None:
    from yiwang.reports.tasks import issue_due_bulletins

    assert settings.PERIODIC_TASKS["yiwang.reports.tasks.issue_due_bulletins"] == 3600  # type: ignore[attr-defined]
    # Whatever today is: 7 days, 4 weeks and 3 months for 福田区, then nothing more.
    assert issue_due_bulletins.call() == 14
    assert issue_due_bulletins.call() == 0
