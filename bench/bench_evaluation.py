#!/usr/bin/env python
"""Evaluation benchmark: a month's street ranking of a city with 1,000,000 cases.

    python bench/bench_evaluation.py [--rows 1000000] [--keep]

Builds its own database with bench/bench_cases.py's fixture (PostgreSQL
`yiwang_bench_evaluation`, COPY), then fills the times the indicators read (立案, 处置完毕,
处置时限) with one UPDATE (the fixture leaves them empty), and times over `--runs` runs:

1. `evaluation.queries.evaluate(admin, <last full month>, "region", level="street")`:
   the page's work — this month, 环比 and 同比 (3 × the aggregates), scoring and ranking;
2. one hand-written SQL aggregate of the same month's figures per street (no 环比/同比),
   and the evaluation of the month alone (`compare=False`), which must stay within 2× of it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_cases

HAND_SQL = """
SELECT street_id,
       COUNT(*) FILTER (WHERE reported_at >= %(s)s AND reported_at < %(e)s),
       COUNT(*) FILTER (WHERE reported_at >= %(s)s AND reported_at < %(e)s
                        AND source IN ('public', 'hotline')),
       COUNT(*) FILTER (WHERE registered_at >= %(s)s AND registered_at < %(e)s),
       COUNT(*) FILTER (WHERE registered_at >= %(s)s AND registered_at < %(e)s
                        AND state NOT IN ('voided', 'merged', 'suspended', 'suspend_requested')),
       COUNT(*) FILTER (WHERE registered_at >= %(s)s AND registered_at < %(e)s
                        AND state NOT IN ('voided', 'merged', 'suspended', 'suspend_requested')
                        AND closed_at < %(e)s),
       COUNT(*) FILTER (WHERE registered_at >= %(s)s AND registered_at < %(e)s
                        AND state NOT IN ('voided', 'merged', 'suspended', 'suspend_requested')
                        AND closed_at < %(e)s AND handled_at <= handle_due_at)
FROM cases_case
WHERE (reported_at >= %(s)s AND reported_at < %(e)s)
   OR (registered_at >= %(s)s AND registered_at < %(e)s)
GROUP BY street_id
"""

FILL_TIMES = """
UPDATE cases_case SET
  registered_at = CASE WHEN state IN ('reported', 'pending_verify', 'verifying',
                                      'pending_register', 'void_requested', 'voided')
                       THEN NULL ELSE reported_at + interval '1 hour' END,
  handle_due_at = CASE WHEN department_id IS NULL THEN NULL
                       ELSE reported_at + interval '3 days' END,
  handled_at = CASE WHEN state = 'closed' THEN closed_at - interval '2 hours' ELSE NULL END
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
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--keep", action="store_true", help="reuse an existing bench database")
    p.add_argument("--pg-admin-url", default=bench_cases.PG_ADMIN_URL)
    p.add_argument("--pg-db", default="yiwang_bench_evaluation")
    args = p.parse_args()
    args.db = "postgres"
    url = bench_cases.prepare_database(args)
    bench_cases.setup_django(url)
    from django.db import connection

    from yiwang.cases.models import Case
    from yiwang.evaluation import queries
    from yiwang.evaluation.periods import period_of
    from yiwang.org.models import User

    if not args.keep:
        people = bench_cases.build_city()
        loaded = bench_cases.load_fixture(people, args.rows)
        print(f"loaded {loaded['cases']:,} cases in {loaded['seconds']:.0f} s")
        with connection.cursor() as cur:
            cur.execute(FILL_TIMES)
        bench_cases.analyze()
    total = Case.objects.count()
    admin = User.objects.filter(is_superuser=True).first()
    assert admin is not None
    month = period_of("month", date.today().replace(day=1) - timedelta(days=1))
    start, end = month.bounds

    def hand() -> list[Any]:
        with connection.cursor() as cur:
            cur.execute(HAND_SQL, {"s": start, "e": end})
            return cur.fetchall()

    def alone() -> list[Any]:
        return queries.evaluate(admin, month, "region", level="street", compare=False)

    def page() -> list[Any]:
        return queries.evaluate(admin, month, "region", level="street")

    # Same figures: the hand aggregate and the evaluation agree street by street.
    by_street = {r[0]: r[1:] for r in hand()}
    for row in alone():
        c = row.counts
        figures = (
            c["reported"],
            c["public_reported"],
            c["registered"],
            c["due"],
            c["closed"],
            c["closed_on_time"],
        )
        assert by_street.get(row.key, (0,) * 6) == figures, (row.name, figures)
    results = {"hand SQL": _time(args.runs, hand), "evaluate (month)": _time(args.runs, alone)}
    results["evaluate + 环比 + 同比"] = _time(args.runs, page)
    print(f"{total:,} cases, {month.label}, streets ranked: {len(by_street)}")
    for name, r in results.items():
        print(f"  {name:24} p50 {r['p50'] * 1000:8.0f} ms   max {r['max'] * 1000:8.0f} ms")
    ratio = results["evaluate (month)"]["p50"] / results["hand SQL"]["p50"]
    print(f"  evaluate / hand SQL: {ratio:.2f}×")


if __name__ == "__main__":
    main()
