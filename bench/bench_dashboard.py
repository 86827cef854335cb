#!/usr/bin/env python
"""Command-centre dashboard benchmark: the data endpoint's latency at scale.

    python bench/bench_dashboard.py --db postgres --rows 1000000
    python bench/bench_dashboard.py --db postgres --rows 100000 --runs 100

Builds its database with bench_cases.py's fixture builder (imported, not copied): the demo
city, then `--rows` cases by COPY (a year of dates, every state, ≈ 4-6 % open), plus a day
of timeline rows (`--events` 立案 / 派遣 / 结案 moves today, as a busy city makes them),
then times `reports.dashboard.dashboard(leader)` and its JSON encoding — what
`/reports/dashboard/data/` does per poll — over `--runs` runs (p50 / p95 / p99), for the
leader of the whole district and for a street's leader, and prints each of its queries'
time once. The polls are the endpoint's (`shared=True`): cold ones find no snapshot of the
open-case counts and take it, warm ones share it. On PostgreSQL it then times the polls as
they were before: every poll reading everything, without the dashboard's two partial indexes
on the open cases (`case_open_due`, `case_open_scope_counts`: dropped inside a transaction
that is rolled back), the baseline in the same process on the same warm database. Last, "with
the worker": a thread runs the worker's job (`refresh_watched`, every `REFRESH_SECONDS`, as
`yiwang worker` runs it) while the district's and a street's screens poll in turn, a pause
apart; it counts the polls that still had to take the counts themselves. Its
database is `wt_dashboard_bench` (dropped and created again), never the test database or
var/; its cache is the default one, files under the bench's directory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_cases

if TYPE_CHECKING:
    from yiwang.org.models import User

# The partial indexes on the open cases the dashboard reads (cases migration 0010).
DASHBOARD_INDEXES = ("case_open_due", "case_open_scope_counts")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    p.add_argument("--pg-admin-url", default=bench_cases.PG_ADMIN_URL)
    p.add_argument("--pg-db", default="wt_dashboard_bench", help="bench database (dropped first)")
    p.add_argument("--rows", type=int, default=1_000_000, help="cases in the fixture")
    p.add_argument("--events", type=int, default=6000, help="timeline moves today")
    p.add_argument("--runs", type=int, default=200, help="timed runs")
    p.add_argument("--baseline-runs", type=int, default=50, help="timed runs without the indexes")
    p.add_argument(
        "--worker-runs", type=int, default=200, help="timed polls of each screen with the worker"
    )
    p.add_argument(
        "--worker-pause", type=float, default=0.2, help="seconds between polls with the worker"
    )
    p.add_argument("--keep", action="store_true", help="reuse an existing bench database")
    return p.parse_args()


def add_todays_moves(n: int) -> None:
    """Register / dispatch / close moves at today's times on random cases (COPY-free: a
    day's moves are thousands, not millions)."""
    from django.db import transaction
    from django.utils import timezone

    from yiwang.cases.models import Case, CaseEvent
    from yiwang.org.models import User
    from yiwang.reports.dashboard import local_midnight

    now = timezone.now()
    start = local_midnight(now)
    actor = User.objects.get(username="operator")
    ids = list(Case.objects.order_by("-reported_at").values_list("id", flat=True)[: n * 3])
    rng = random.Random(11)
    span = (now - start).total_seconds()
    moves = ["register"] * 4 + ["dispatch"] * 4 + ["close"] * 3 + ["self_close"]
    rows = [
        CaseEvent(
            case_id=rng.choice(ids),
            at=start + timedelta(seconds=rng.uniform(0, span)),
            actor=actor,
            transition=rng.choice(moves),
            from_state="",
            to_state="",
            version=2,
        )
        for _ in range(n)
    ]
    with transaction.atomic():
        CaseEvent.objects.bulk_create(rows, batch_size=2000)


def quantiles(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    q = statistics.quantiles(samples, n=100)
    return {"runs": len(samples), "p50": q[49], "p95": q[94], "p99": q[98], "max": samples[-1]}


def with_worker(screens: dict[str, User], runs: int, pause: float) -> dict[str, Any]:
    """Polls of `screens` in turn while a thread runs the worker's job every REFRESH_SECONDS.

    The screens poll every `pause` seconds rather than every 30 s, to gather enough polls in
    a few minutes: what a poll finds (a snapshot the job took at most REFRESH_SECONDS and a
    little ago) is the same, and the share of polls that run while the job is computing is
    about the same (the job's run time over its interval). Each screen's first poll (it marks
    its scope as watched; before it the job has nothing to do) is not timed.
    """
    from django.core.cache import cache
    from django.db import connection

    from yiwang.reports import dashboard

    cache.clear()
    taken = {"poll": 0, "job": 0}
    counts_of = dashboard._counts_of

    def counting(open_cases: Any, now: datetime) -> dict[str, Any]:
        who = "poll" if threading.current_thread() is threading.main_thread() else "job"
        taken[who] += 1
        return counts_of(open_cases, now)

    dashboard._counts_of = counting  # type: ignore[assignment]  # counts who took the counts
    stop = threading.Event()
    job_ms: list[float] = []

    def worker() -> None:
        try:
            while not stop.is_set():
                t = time.perf_counter()
                dashboard.refresh_watched()
                job_ms.append((time.perf_counter() - t) * 1000)
                stop.wait(dashboard.REFRESH_SECONDS)
        finally:
            connection.close()  # this thread's own connection

    samples: dict[str, list[float]] = {name: [] for name in screens}
    try:
        for user in screens.values():
            json.dumps(dashboard.dashboard(user, shared=True), ensure_ascii=False)
        taken["poll"] = 0
        thread = threading.Thread(target=worker, daemon=True)
        thread.start()
        time.sleep(1.0)  # the job's first run: what a screen that polls on finds
        for _ in range(runs):
            for name, user in screens.items():
                t = time.perf_counter()
                json.dumps(dashboard.dashboard(user, shared=True), ensure_ascii=False)
                samples[name].append((time.perf_counter() - t) * 1000)
                time.sleep(pause)
    finally:
        stop.set()
        dashboard._counts_of = counts_of  # type: ignore[assignment]
    thread.join()
    return {
        **{name: quantiles(s) for name, s in samples.items()},
        "polls_that_counted": taken["poll"],
        "job_runs": len(job_ms),
        "job_ms": quantiles(job_ms) if len(job_ms) > 1 else {},
    }


def main() -> None:
    args = parse_args()
    args.create = None
    url = bench_cases.prepare_database(args)
    bench_cases.setup_django(url)
    from django.core.cache import cache
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from yiwang.cases.models import Case, CaseEvent
    from yiwang.org.models import User
    from yiwang.org.roles import Role
    from yiwang.reports import dashboard

    t = time.perf_counter()
    people = bench_cases.build_city()
    print(f"database {args.db}: {url}  (city ready in {time.perf_counter() - t:.1f} s)")
    missing = args.rows - Case.objects.count()
    if missing > 0:
        f = bench_cases.load_fixture(people, missing)
        print(f"fixture: {f['cases']:,} cases in {f['seconds']:.1f} s")
    if args.events and not args.keep:
        add_todays_moves(args.events)
    bench_cases.analyze()
    open_cases = Case.objects.exclude(state__in=["closed", "voided", "merged"]).count()
    print(
        f"cases {Case.objects.count():,} (open {open_cases:,}), "
        f"timeline rows {CaseEvent.objects.count():,}"
    )

    leader = User.objects.select_related("division").get(username="leader")
    # A street's leader (not saved: the dashboard reads only the role and the division).
    street = User.objects.select_related("division").get(username="inspector").division
    street_leader = User(username="street_leader", role=Role.LEADER, division=street)

    def poller(user: User, *, shared: bool = False, cold: bool = False) -> Callable[[int], None]:
        def poll(_: int) -> None:
            if cold:
                cache.clear()  # no snapshot of the counts yet: this poll takes it (timed too)
            json.dumps(dashboard.dashboard(user, shared=shared), ensure_ascii=False)

        return poll

    def line(label: str, r: dict[str, float]) -> str:
        return (
            f"  {label:<46} p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  "
            f"p99 {r['p99']:7.1f} ms  max {r['max']:7.1f} ms  ({r['runs']} runs)"
        )

    results: dict[str, dict[str, float]] = {}
    # The endpoint's polls (`shared=True`). Cold: the first poll of a scope in a time bucket,
    # which reads the counts and stores the snapshot (what a lone screen sees on every poll
    # when it polls less often than every SNAPSHOT_SECONDS). Warm: every further poll of the
    # scope in that bucket (another screen, or a faster refresh), reading today's figures and
    # the live cases and the stored counts.
    results["cold"] = bench_cases._time(args.runs, poller(leader, shared=True, cold=True))
    results["warm"] = bench_cases._time(args.runs, poller(leader, shared=True))
    results["street_cold"] = bench_cases._time(
        args.runs, poller(street_leader, shared=True, cold=True)
    )
    with CaptureQueriesContext(connection) as queries:
        data = dashboard.dashboard(leader)
    print(
        f"dashboard data ({len(queries.captured_queries)} queries, "
        f"{len(data['cases'])} live cases on the map, {len(data['grids'])} grids):"
    )
    for q in queries.captured_queries:
        print(f"  {float(q['time']) * 1000:7.1f} ms  {q['sql'][:110]}")
    print("kpi", data["kpi"])
    if connection.vendor == "postgresql" and args.baseline_runs:
        # The same polls as before this branch's indexes and snapshot: the indexes dropped in
        # a transaction that is rolled back (this connection's planner no longer sees them;
        # nothing is lost), every poll reading everything.
        with transaction.atomic():
            with connection.cursor() as cur:
                for name in DASHBOARD_INDEXES:
                    cur.execute(f'DROP INDEX "{name}"')
            results["baseline"] = bench_cases._time(args.baseline_runs, poller(leader))
            transaction.set_rollback(True)
    worker: dict[str, Any] = {}
    if args.worker_runs:
        worker = with_worker(
            {"district": leader, "street": street_leader}, args.worker_runs, args.worker_pause
        )
        results["worker"] = worker["district"]
        results["street_worker"] = worker["street"]
    # The machine may be shared: its load says how much of a poll's time was waiting.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"polls of the data endpoint at {Case.objects.count():,} cases ({args.db}; "
        f"counts shared for {dashboard.SNAPSHOT_SECONDS} s; load average {load}, "
        f"{os.cpu_count()} CPUs):"
    )
    if "baseline" in results:
        print(line("district leader, without the two indexes", results["baseline"]))
    print(line("district leader, cold (takes the snapshot)", results["cold"]))
    print(line("district leader, warm (snapshot shared)", results["warm"]))
    print(line("street leader, cold", results["street_cold"]))
    if worker:
        print(line("district leader, with the worker", results["worker"]))
        print(line("street leader, with the worker", results["street_worker"]))
        job = worker["job_ms"]
        print(
            f"  with the worker: {worker['polls_that_counted']} of {2 * args.worker_runs} polls "
            f"took the counts themselves; the job ran {worker['job_runs']} times"
            + (f" (p50 {job['p50']:.0f} ms, max {job['max']:.0f} ms, both scopes)" if job else "")
        )
    out = bench_cases.VAR_DIR / f"dashboard-{args.db}-{args.rows}.json"
    out.write_text(
        json.dumps(
            {"rows": args.rows, "at": str(datetime.now()), "load": load, **results, **worker},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
