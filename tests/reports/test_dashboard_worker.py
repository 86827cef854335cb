"""The worker takes the dashboard's open-case counts ahead of the polls: only the scopes a
screen watches, so that a watched screen's poll reads no count; one caller per scope computes;
a poll never shows counts older than `SNAPSHOT_SECONDS`."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dashboard_support import build_day
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from case_support import POINT_B, City
from yiwang.cases import actions
from yiwang.reports import dashboard

# The count queries carry the open cases' condition and group (the live cases' query orders).
OPEN_CONDITION = "NOT (\"cases_case\".\"state\" IN ('closed', 'voided', 'merged'))"
SIZE = dashboard.SNAPSHOT_SECONDS


def count_queries(run: CaptureQueriesContext) -> int:
    return sum(OPEN_CONDITION in q["sql"] and "GROUP BY" in q["sql"] for q in run.captured_queries)


def open_in(prefix: str) -> int:
    """The open cases under a division path, counted in raw SQL (the expected figure)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) FROM cases_case WHERE division_path LIKE %s "
            "AND state NOT IN ('closed', 'voided', 'merged')",
            [prefix + "%"],
        )
        return int(cur.fetchone()[0])


def snapshot(user: Any) -> dict[str, Any] | None:
    found: dict[str, Any] | None = cache.get(f"reports:dashboard:open-counts:{user.division.path}")
    return found


def report_in_street_b(city: City) -> None:
    actions.report_case(
        city.users["operator"],
        kind="matter",
        type_code="06001",
        title="轮询之后上报",
        lon=POINT_B[0],
        lat=POINT_B[1],
        source="hotline",
    )


def start() -> datetime:
    """A whole second a little ahead of now (a test's polls and jobs run at given times)."""
    return datetime.fromtimestamp(int(datetime.now(UTC).timestamp()) + 5, UTC)


def test_the_job_runs_more_often_than_a_snapshot_may_age() -> None:
    every = settings.PERIODIC_TASKS["yiwang.reports.tasks.refresh_dashboard_counts"]
    assert every == dashboard.REFRESH_SECONDS == 10
    assert every < SIZE == 15


@pytest.mark.django_db
def test_the_job_refreshes_watched_scopes_only(city: City, make_user: Any) -> None:
    build_day(city, n=12, old=2)
    leader = city.users["leader"]
    street_b = make_user("leader", "440304002")
    t0 = start()
    assert dashboard.refresh_watched(t0) == 0  # nobody watches anything yet

    first = dashboard.dashboard(street_b, now=t0, shared=True)  # the street's screen polls
    assert first["kpi"]["open"] == open_in(street_b.division.path) > 0
    report_in_street_b(city)  # one more open case in street B

    at = t0 + timedelta(seconds=dashboard.REFRESH_SECONDS)
    assert dashboard.refresh_watched(at) == 1
    taken = snapshot(street_b)
    assert taken is not None and taken["at"] == at
    assert sum(g["open"] for g in taken["grids"]) == first["kpi"]["open"] + 1
    # The district, never polled, gets no snapshot.
    assert snapshot(leader) is None
    assert dashboard.watched_scopes(at) == [street_b.division.path]

    # A scope no screen polled for WATCH_SECONDS is no longer watched.
    gone = t0 + timedelta(seconds=dashboard.WATCH_SECONDS)
    assert dashboard.watched_scopes(gone) == []
    assert dashboard.refresh_watched(gone) == 0


@pytest.mark.django_db
def test_a_poll_after_the_job_reads_no_count(city: City) -> None:
    build_day(city, n=8, old=1)
    leader = city.users["leader"]
    client = Client()
    client.force_login(leader)
    with CaptureQueriesContext(connection) as cold:
        client.get("/reports/dashboard/data/")
    assert count_queries(cold) == 3  # the first poll of the scope takes the counts itself

    cache.delete(f"reports:dashboard:open-counts:{leader.division.path}")
    report_in_street_b(city)
    assert dashboard.refresh_watched() == 1  # the worker's job, as `yiwang worker` runs it
    with CaptureQueriesContext(connection) as warm:
        data = client.get("/reports/dashboard/data/").json()
    assert count_queries(warm) == 0
    # The counts are the job's, which saw the case reported after the first poll.
    assert data["kpi"]["open"] == open_in(leader.division.path) == 8 + 1 + 1
    age = datetime.fromisoformat(data["generated_at"]) - datetime.fromisoformat(data["counts_at"])
    assert timedelta(0) <= age < timedelta(seconds=SIZE)


@pytest.mark.django_db
def test_polls_of_a_scope_being_computed_wait_for_it(city: City) -> None:
    build_day(city, n=6, old=1)
    leader = city.users["leader"]
    t0 = start()
    prefix = leader.division.path
    lock = f"reports:dashboard:open-counts-lock:{prefix}"
    # Another poll (or the job) is taking this scope's snapshot: it holds the lock and stores
    # its counts 0.3 s later (computed here beforehand; only its cache writes are late).
    theirs = dashboard.open_counts(leader, t0)
    assert cache.add(lock, 1, dashboard.LOCK_SECONDS)

    def finish() -> None:
        cache.set(f"reports:dashboard:open-counts:{prefix}", theirs, 2 * SIZE)
        cache.delete(lock)

    timer = threading.Timer(0.3, finish)
    timer.start()
    try:
        with CaptureQueriesContext(connection) as run:
            data = dashboard.dashboard(leader, now=t0 + timedelta(seconds=1), shared=True)
    finally:
        timer.join()
    assert count_queries(run) == 0  # it waited for theirs rather than count again
    assert datetime.fromisoformat(data["counts_at"]) == t0
    assert data["kpi"]["open"] == open_in(prefix) == 6 + 1
    # The job leaves a scope alone while someone holds its lock.
    assert cache.add(lock, 1, dashboard.LOCK_SECONDS)
    with CaptureQueriesContext(connection) as job:
        assert dashboard.refresh_watched(t0 + timedelta(seconds=2)) == 0
    assert count_queries(job) == 0
    cache.delete(lock)
    assert dashboard.refresh_watched(t0 + timedelta(seconds=2)) == 1


@pytest.mark.django_db
def test_a_poll_counts_itself_when_the_holder_never_delivers(
    city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_day(city, n=4, old=1)
    leader = city.users["leader"]
    monkeypatch.setattr(dashboard, "LOCK_WAIT_SECONDS", 0.2)
    # A holder that died mid-way: the lock stays until its timeout, no snapshot comes.
    assert cache.add(f"reports:dashboard:open-counts-lock:{leader.division.path}", 1, 10)
    with CaptureQueriesContext(connection) as run:
        data = dashboard.dashboard(leader, shared=True)
    assert count_queries(run) == 3
    assert data["kpi"]["open"] == 4 + 1
    assert data["counts_at"] == data["generated_at"]


@pytest.mark.django_db
def test_counts_are_never_older_than_promised(city: City) -> None:
    """Two minutes of a screen polling every 4 s while the worker runs every 10-12 s, then
    stops: every poll's counts are younger than SNAPSHOT_SECONDS, and a poll counts itself
    only when the worker has not delivered."""
    build_day(city, n=4, old=1)
    leader = city.users["leader"]
    t0 = start()
    polls = [t0 + timedelta(seconds=4 * i) for i in range(30)]  # 0 .. 116 s
    # The worker's runs: every 10 s, late by 0-2 s (its queue), and none after 80 s.
    jobs = [t0 + timedelta(seconds=10 * k + (k % 3)) for k in range(1, 9)]
    events = sorted([(t, "poll") for t in polls] + [(t, "job") for t in jobs])
    cold = []
    for at, what in events:
        if what == "job":
            dashboard.refresh_watched(at)
            continue
        with CaptureQueriesContext(connection) as run:
            data = dashboard.dashboard(leader, now=at, shared=True)
        age = datetime.fromisoformat(data["generated_at"]) - datetime.fromisoformat(
            data["counts_at"]
        )
        assert timedelta(0) <= age < timedelta(seconds=SIZE), (at, age)
        if count_queries(run):
            cold.append(int((at - t0).total_seconds()))
    # Cold: the first poll (nothing watched yet), then only once the worker stopped (its last
    # run at 82 s: snapshots of 82 s serve up to 96 s, then each poll takes them every 15 s+).
    assert cold == [0, 100, 116]
