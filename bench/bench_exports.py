#!/usr/bin/env python
"""Export benchmark: streamed CSV and the background XLSX job, next to a raw baseline.

    python bench/bench_exports.py --db sqlite
    python bench/bench_exports.py --db postgres

Builds its own database (PostgreSQL `yiwang_bench_exports`, dropped and created again;
SQLite under /tmp/yiwang-bench-exports) with the demo city and `--rows` cases (the same
fixture as bench_cases.py), then for 1,000 / 10,000 / 50,000 rows of the district
operator's case search prints time and peak Python memory (tracemalloc, in a second pass
so that tracing does not slow the timed one) of:

- `csv stream`: the page's response (`cases.exports.prepare` + `web.lists.export_response`),
  its streaming content read to the end as a client would;
- `xlsx job`: `core.exports.actions.run_export`, what `yiwang worker` runs for a queued job
  (scoped query, openpyxl write-only to a temporary file, progress writes, storing the file);
- `xlsx in request`: the immediate XLSX the page returns up to `EXPORT_IMMEDIATE_ROWS` rows
  (only timed for sizes the page serves that way);
- `raw csv` / `raw xlsx`: plain `csv.writer` / openpyxl write-only over the same rows already
  in a list of tuples (no database, no cleaning): the floor the exports are compared with.

It never touches the test database or var/.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_cases  # the database, city and fixture helpers

bench_cases.VAR_DIR = Path("/tmp/yiwang-bench-exports")
bench_cases.PG_DB = "yiwang_bench_exports"
SIZES = (1_000, 10_000, 50_000)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["postgres", "sqlite"], required=True)
    p.add_argument("--pg-admin-url", default=bench_cases.PG_ADMIN_URL)
    p.add_argument("--pg-db", default=bench_cases.PG_DB, help="bench database (dropped first)")
    p.add_argument("--rows", type=int, default=60_000, help="cases in the database")
    p.add_argument("--keep", action="store_true", help="reuse an existing bench database")
    p.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="rows per export")
    p.add_argument("--paths", nargs="+", help="only these paths (e.g. 'csv stream' 'raw csv')")
    return p.parse_args()


def measure(fn: Callable[[], Any]) -> tuple[float, float, float]:
    """Wall seconds and CPU seconds of this process for one untraced run, then peak MiB
    allocated during a traced run. CPU seconds stay meaningful on a machine shared with
    other work, where wall time stretches with the load (PostgreSQL's own work is not in
    them)."""
    started, cpu = time.perf_counter(), time.process_time()
    fn()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    tracemalloc.start()
    fn()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, cpu_seconds, peak / 2**20


def main() -> None:
    args = parse_args()
    args.create = 0
    url = bench_cases.prepare_database(args)
    bench_cases.setup_django(url)
    from django.conf import settings

    from yiwang.cases import exports
    from yiwang.cases.models import Case
    from yiwang.core.exports import registry

    people = bench_cases.build_city()
    missing = args.rows - Case.objects.count()
    if missing > 0:
        bench_cases.load_fixture(people, missing)
    bench_cases.analyze()
    user = people.operator  # the whole district
    print(f"database {args.db}, {Case.objects.count():,} cases", flush=True)
    print(f"{'rows':>7}  {'path':<16}{'wall s':>9}{'CPU s':>9}{'peak MiB':>10}{'rows/CPU s':>12}")

    for size in args.sizes:
        # The rows once in memory, for the raw baselines (not timed).
        data = [tuple(row) for row in exports.prepare(user, {}, limit=size).rows]
        registry.register(exports.CASE_SEARCH, partial(limited, size=size))
        paths: list[tuple[str, Callable[[], Any]]] = [
            ("csv stream", partial(csv_stream, user, size)),
            ("raw csv", partial(raw_csv, data)),
            ("xlsx job", partial(xlsx_job, user)),
            ("xlsx in request", partial(xlsx_request, user, size)),
            ("raw xlsx", partial(raw_xlsx, data)),
        ]
        for label, fn in paths:
            if label == "xlsx in request" and size > settings.EXPORT_IMMEDIATE_ROWS:
                continue  # the page queues a job instead
            if args.paths and label not in args.paths:
                continue
            seconds, cpu, peak = measure(fn)
            print(
                f"{size:>7,}  {label:<16}{seconds:>9.2f}{cpu:>9.2f}{peak:>10.1f}"
                f"{size / cpu:>12,.0f}",
                flush=True,
            )
        del data


def limited(user: Any, filters: Any, *, size: int) -> Any:
    from yiwang.cases import exports

    return exports.prepare(user, filters, limit=size)


def csv_stream(user: Any, size: int) -> int:
    from yiwang.cases import exports
    from yiwang.web.lists import export_response

    p = exports.prepare(user, {}, limit=size)
    response = export_response("csv", p.basename, p.headers, p.rows)
    return sum(len(chunk) for chunk in response.streaming_content)  # type: ignore[attr-defined]


def xlsx_request(user: Any, size: int) -> int:
    from yiwang.cases import exports
    from yiwang.web.lists import export_response

    p = exports.prepare(user, {}, limit=size)
    return len(export_response("xlsx", p.basename, p.headers, p.rows).content)  # type: ignore[attr-defined]


def xlsx_job(user: Any) -> str:
    from yiwang.cases import exports
    from yiwang.core.exports import actions

    job = actions.request_export(user, kind=exports.CASE_SEARCH, filters={}, label="bench")
    return actions.run_export(job.pk)


def _headers() -> list[str]:
    from yiwang.cases import exports

    return [str(h) for h in exports.EXPORT_HEADERS]


def raw_csv(data: list[tuple[Any, ...]]) -> None:
    with open(os.devnull, "w", encoding="utf-8") as sink:
        writer = csv.writer(sink)
        writer.writerow(_headers())
        writer.writerows(data)


def raw_xlsx(data: list[tuple[Any, ...]]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("cases")
    sheet.append(_headers())
    for row in data:
        # openpyxl refuses aware datetimes; the least a raw writer must do.
        sheet.append([v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row])
    with tempfile.TemporaryFile() as tmp:
        book.save(tmp)


if __name__ == "__main__":
    main()
