#!/usr/bin/env python
"""Bulletin builders at scale: the daily, weekly and monthly bulletin of a city with
1,000,000 cases (PostgreSQL).

    python bench/bench_bulletins.py [--rows 1000000] [--runs 3] [--keep]

Builds its own database `yiwang_bench_bulletins` with bench/bench_cases.py's fixture (COPY),
fills the times the indicators read (bench_evaluation.FILL_TIMES), and writes with SQL the
timeline and handling-stage rows of the last 70 days' cases (立案, 派遣 and 结案 moves; the
处置 stage with its deadline and end), which the fixture leaves out. Then times
`reports.bulletins.build.build(kind, city, day)` for yesterday, last week and last month.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_cases
import bench_evaluation

EVENTS = """
INSERT INTO cases_caseevent (case_id, at, actor_id, transition, from_state, to_state, note,
                             data, version)
SELECT id, t.at, NULL, t.move, '', '', '', '{}'::jsonb, 2
FROM cases_case c
CROSS JOIN LATERAL (VALUES ('register', c.registered_at),
                           ('dispatch', c.dispatched_at),
                           ('close', c.closed_at)) AS t(move, at)
WHERE c.reported_at >= now() - interval '70 days' AND t.at IS NOT NULL
"""
DISPATCHED = """
UPDATE cases_case SET dispatched_at = registered_at + interval '30 minutes'
WHERE department_id IS NOT NULL AND registered_at IS NOT NULL
  AND reported_at >= now() - interval '70 days'
"""
STAGES = """
INSERT INTO cases_casestagerecord (case_id, stage, started_at, due_at, limit_amount,
                                   limit_unit, finished_at, suspended_seconds,
                                   suspended_clock_seconds)
SELECT id, 'handle', dispatched_at, handle_due_at, 2, 'work_days', handled_at, 0, 0
FROM cases_case
WHERE reported_at >= now() - interval '70 days' AND dispatched_at IS NOT NULL
  AND handle_due_at IS NOT NULL
"""


def _time(runs: int, fn: Any) -> dict[str, float]:
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        took.append(time.perf_counter() - started)
    took.sort()
    return {"p50": statistics.median(took), "max": took[-1]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--keep", action="store_true", help="reuse an existing bench database")
    p.add_argument(
        "--people",
        action="store_true",
        help="write bench_people.py's full timeline (every role's moves, with actors) instead "
        "of the actor-less 立案/派遣/结案 rows, so the monthly bulletin's person rankings "
        "have people to rank",
    )
    p.add_argument("--pg-admin-url", default=bench_cases.PG_ADMIN_URL)
    p.add_argument("--pg-db", default="yiwang_bench_bulletins")
    args = p.parse_args()
    args.db = "postgres"
    url = bench_cases.prepare_database(args)
    bench_cases.setup_django(url)
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from yiwang.cases.models import Case, CaseEvent, CaseStageRecord
    from yiwang.reports.bulletins import actions
    from yiwang.reports.bulletins.build import build
    from yiwang.reports.bulletins.common import SHANGHAI

    if not args.keep:
        people = bench_cases.build_city()
        loaded = bench_cases.load_fixture(people, args.rows)
        print(f"loaded {loaded['cases']:,} cases in {loaded['seconds']:.0f} s")
        with connection.cursor() as cur:
            cur.execute(bench_evaluation.FILL_TIMES)
            if not args.people:
                cur.execute(DISPATCHED)
                cur.execute(EVENTS)
                cur.execute(STAGES)
        if args.people:
            import bench_people

            started = time.perf_counter()
            bench_people.build_timeline(people)
            print(f"timeline of every role written in {time.perf_counter() - started:.0f} s")
        bench_cases.analyze()
    print(
        f"{Case.objects.count():,} cases, {CaseEvent.objects.count():,} timeline rows, "
        f"{CaseStageRecord.objects.count():,} handling stages"
    )
    city = actions.bulletin_divisions()[0]
    today = timezone.now().astimezone(SHANGHAI).date()
    days = {
        "daily": today - timedelta(days=1),
        "weekly": today - timedelta(days=7),
        "monthly": today.replace(day=1) - timedelta(days=1),
    }
    for kind, day in days.items():
        content = build(kind, city, day)
        timing = _time(args.runs, lambda k=kind, d=day: build(k, city, d))
        print(
            f"  {kind:8} {content.period_label:28} p50 {timing['p50'] * 1000:7.0f} ms"
            f"   max {timing['max'] * 1000:7.0f} ms"
        )
        print(f"           {content.summary[0]}")
    # The issue's figure: this month's bulletin as the DOCX a leader downloads — built from
    # the cases, issued (stored frozen) and rendered with its charts drawn (picture cache
    # cleared) — next to a raw python-docx writing of the same content without styles or
    # charts (bench_bulletin_files.raw_docx), in the same process.
    import bench_bulletin_files

    from yiwang.reports.bulletins import charts
    from yiwang.reports.bulletins.content import BulletinContent
    from yiwang.reports.bulletins.docx import render_docx

    month_day = days["monthly"]

    def monthly_docx() -> bytes:
        charts.clear_cache()
        bulletin = actions.issue("monthly", month_day, city, trigger="on_demand")
        assert bulletin is not None
        return render_docx(BulletinContent.model_validate(bulletin.content))

    size = len(monthly_docx())
    docx_timing = _time(args.runs, monthly_docx)
    content = build("monthly", city, month_day)
    raw = _time(args.runs, lambda: bench_bulletin_files.raw_docx(content))
    print(
        f"  monthly DOCX (build + issue + render, charts drawn): p50 "
        f"{docx_timing['p50']:6.1f} s   max {docx_timing['max']:6.1f} s   ({size / 1024:,.0f} KiB;"
        f" target ≤ 30 s)"
    )
    print(f"  raw python-docx, same content, no charts:            p50 {raw['p50']:6.2f} s")
    by_state = dict(Case.objects.values_list("state").annotate(n=Count("id")).order_by())
    print(f"  open cases: {sum(v for k, v in by_state.items() if k not in ('closed', 'voided'))}")


if __name__ == "__main__":
    main()
