#!/usr/bin/env python
"""Demo-city load time: through the real actions, next to a raw insert of the same rows.

    python bench/bench_demo.py --db sqlite      # /tmp/yiwang-bench-demo/bench.sqlite3
    python bench/bench_demo.py --db postgres    # database yiwang_bench_demo (dropped first)

In one process: migrate a fresh database, load the demo city as `yiwang demo` does
(`demo.load.build`: organisation, grids, components, then about 3,000 cases reported and
played through the workflow by `report_cases` and the engine), timing each phase. Then
the raw baseline: the cases, stage records and timeline rows just written are read back,
deleted and written again with plain `bulk_create` (no validation, locating, routing,
deadlines or checks), timed. The ratio is what the actions cost over the bare writes.
Last, the intake channels' demo data (`demo.intake`), timed on its own.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from bench_cases import setup_django  # same settings; runs as bench/bench_demo.py

VAR_DIR = Path("/tmp/yiwang-bench-demo")
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "yiwang_bench_demo"


def prepare_database(db: str, admin_url: str) -> str:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    if db == "sqlite":
        path = VAR_DIR / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB}")
    return f"{admin_url.rsplit('/', 1)[0]}/{PG_DB}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["postgres", "sqlite"], default="sqlite")
    p.add_argument("--pg-admin-url", default=PG_ADMIN_URL, help="server to create the DB on")
    args = p.parse_args()
    setup_django(prepare_database(args.db, args.pg_admin_url))

    from django.core.management import call_command
    from django.db import transaction

    from yiwang.cases.models import Case, CaseEvent, CaseStageRecord
    from yiwang.demo import intake, load

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - t0

    # The intake channels' data refers to cases: it is loaded after the raw baseline.
    t0 = time.perf_counter()
    created = load.build(channels=False)
    loaded = time.perf_counter() - t0

    cases = list(Case.objects.order_by("id"))
    records = list(CaseStageRecord.objects.order_by("id"))
    events = list(CaseEvent.objects.order_by("id"))
    with transaction.atomic():
        CaseEvent.objects.all().delete()
        CaseStageRecord.objects.all().delete()
        Case.objects.all().delete()
    t0 = time.perf_counter()
    with transaction.atomic():
        Case.objects.bulk_create(cases, batch_size=1000)
        CaseStageRecord.objects.bulk_create(records, batch_size=1000)
        CaseEvent.objects.bulk_create(events, batch_size=1000)
    raw = time.perf_counter() - t0

    t0 = time.perf_counter()
    arrived = intake.build_intake()
    channels = time.perf_counter() - t0

    load_avg = os.getloadavg()[0]
    print(f"database              {args.db}  (load average at the end {load_avg:.1f})")
    print(f"migrate               {migrated:7.1f} s")
    print(
        f"demo load (actions)   {loaded:7.1f} s   grids {created.grids}, components "
        f"{created.components}, cases {created.cases}: {len(events)} timeline rows, "
        f"{len(records)} stage records"
    )
    print(f"raw bulk_create       {raw:7.1f} s   the same case, stage and timeline rows")
    print(
        f"intake channels       {channels:7.1f} s   cameras {arrived.cameras}, "
        f"{arrived.received} alarms, work orders, requests and reports"
    )
    print(f"actions / raw         {loaded / raw:7.1f} x")


if __name__ == "__main__":
    main()
