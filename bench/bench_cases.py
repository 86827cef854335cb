#!/usr/bin/env python
"""Case-loop benchmark: intake through the actions, and worklist / search latency.

    python bench/bench_cases.py --db postgres            # (a) 100k via actions, (b) 1M rows
    python bench/bench_cases.py --db sqlite              # (c) 100k rows on SQLite

The script creates its own database (PostgreSQL `yiwang_bench`, dropped and created
again; SQLite under /tmp/yiwang-bench), migrates it, builds the demo city (grids,
departments, staff, components) and then:

1. reports `--create` cases through `cases.actions.report_cases` in batches (locate,
   route, first-stage deadline, number, timeline row) and times it against a raw
   `bulk_create` of the equivalent rows (case + stage record + timeline event);
2. bulk-loads a fixture up to `--rows` cases (COPY on PostgreSQL, executemany on SQLite)
   spread over a year, every state, all departments, streets and grids;
3. times the department worklist and a filtered search (first page of 50 plus the
   capped count, as the pages show them) over `--runs` runs and prints p50/p95/p99.

It never touches the test database or var/.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VAR_DIR = Path(os.environ.get("YIWANG_BENCH_DIR", "/tmp/yiwang-bench"))
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "yiwang_bench"
PAGE = 50


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["postgres", "sqlite"], required=True)
    p.add_argument("--pg-admin-url", default=PG_ADMIN_URL, help="server to create the DB on")
    p.add_argument("--pg-db", default=PG_DB, help="bench database name (dropped first)")
    p.add_argument("--create", type=int, help="cases reported through the actions")
    p.add_argument("--rows", type=int, help="total cases for the query benchmark")
    p.add_argument("--batch", type=int, default=1000, help="reports per report_cases call")
    p.add_argument("--runs", type=int, default=200, help="timed runs per query")
    p.add_argument("--explain", action="store_true", help="print the query plans")
    p.add_argument("--profile", action="store_true", help="cProfile the first 5 batches")
    p.add_argument("--keep", action="store_true", help="reuse an existing bench database")
    args = p.parse_args()
    if args.create is None:
        args.create = 100_000 if args.db == "postgres" else 20_000
    if args.rows is None:
        args.rows = 1_000_000 if args.db == "postgres" else 100_000
    return args


# ---- database and Django ------------------------------------------------------------------


def prepare_database(args: argparse.Namespace) -> str:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    if args.db == "sqlite":
        path = VAR_DIR / "bench.sqlite3"
        if not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    if not args.keep:
        with psycopg.connect(args.pg_admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {args.pg_db} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {args.pg_db}")
    base = args.pg_admin_url.rsplit("/", 1)[0]
    return f"{base}/{args.pg_db}"


def setup_django(url: str) -> None:
    # settings.py reads these once; the bench database is never the test database or var/.
    os.environ["YIWANG_DATABASE_URL"] = url
    os.environ["YIWANG_VAR_DIR"] = str(VAR_DIR)
    os.environ.setdefault("YIWANG_SECRET_KEY", "benchmark-only-key-not-secret-0123456789")
    os.environ.pop("YIWANG_DEBUG", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "yiwang.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings

    # Staff accounts are created by the dozen; hashing cost is not what is measured.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def build_city() -> Any:
    from django.core.management import call_command

    from yiwang.demo import cases as demo_cases
    from yiwang.demo import city

    call_command("migrate", verbosity=0)
    admin = city.ensure_admin()
    city.ensure_organisation(admin)
    city.ensure_grids(admin)
    city.ensure_components(admin)
    return demo_cases.ensure_people(admin)


def analyze() -> None:
    """Statistics (and on PostgreSQL the visibility map), as autovacuum keeps a live table."""
    from django.db import connection

    if connection.vendor == "postgresql":
        raw = connection.connection
        assert raw is not None
        raw.autocommit = True  # VACUUM cannot run in a transaction block
        raw.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")


# ---- (a) intake through the actions ---------------------------------------------------------


def _reports(rng: random.Random, n: int) -> list[Any]:
    from yiwang.cases.actions import Report
    from yiwang.catalog.models import ObjectType
    from yiwang.demo import city

    cells = city.lattice()
    types = list(ObjectType.objects.filter(is_active=True).values_list("kind", "code", "name"))
    sources = ["public", "hotline", "video", "drone", "sensor", "other"]
    reports = []
    for _ in range(n):
        cell = rng.choice(cells)
        xs = [p[0] for p in cell.ring]
        ys = [p[1] for p in cell.ring]
        lon = min(xs) + (max(xs) - min(xs)) * rng.uniform(0.05, 0.95)
        lat = min(ys) + (max(ys) - min(ys)) * rng.uniform(0.05, 0.95)
        kind, code, name = rng.choice(types)
        reports.append(
            Report(
                kind=kind,
                type_code=code,
                title=f"{name}（压测）",
                lon=lon,
                lat=lat,
                source=rng.choice(sources),
                urgency="urgent" if rng.random() < 0.08 else "normal",
                description="压测数据",
                address="深圳市福田区",
            )
        )
    return reports


def bench_actions(people: Any, n: int, batch: int, profile: bool) -> dict[str, float]:
    from django.utils import timezone

    from yiwang.cases.actions import report_cases

    rng = random.Random(1)
    reports = _reports(rng, n)
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    for i in range(0, n, batch):
        if profiler is not None and i < 5 * batch:
            profiler.enable()
        report_cases(people.operator, reports[i : i + batch], now=timezone.now())
        if profiler is not None:
            profiler.disable()
    took = time.perf_counter() - started
    if profiler is not None:
        print("\n-- profile of the first 5 batches (cumulative) --")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return {"cases": n, "seconds": took, "per_second": n / took}


def bench_raw(n: int, batch: int) -> dict[str, float]:
    """bulk_create of rows equal to what the actions wrote, numbers changed to stay unique."""
    from django.db import transaction

    from yiwang.cases.models import Case, CaseEvent, CaseStageRecord

    skip = {"id"}
    cases = list(Case.objects.order_by("id").values()[:n])
    records = {
        r["case_id"]: r
        for r in CaseStageRecord.objects.filter(case_id__lte=cases[-1]["id"]).values()
    }
    events = {
        e["case_id"]: e for e in CaseEvent.objects.filter(case_id__lte=cases[-1]["id"]).values()
    }
    prepared = []
    for row in cases:
        case = Case(**{k: v for k, v in row.items() if k not in skip})
        case.number = "R" + row["number"][1:]
        rec = {k: v for k, v in records[row["id"]].items() if k not in ("id", "case_id")}
        ev = {k: v for k, v in events[row["id"]].items() if k not in ("id", "case_id")}
        prepared.append((case, rec, ev))
    started = time.perf_counter()
    for i in range(0, n, batch):
        chunk = prepared[i : i + batch]
        with transaction.atomic():
            made = Case.objects.bulk_create([c for c, _, _ in chunk])
            CaseStageRecord.objects.bulk_create(
                [CaseStageRecord(case=c, **rec) for c, (_, rec, _) in zip(made, chunk, strict=True)]
            )
            CaseEvent.objects.bulk_create(
                [CaseEvent(case=c, **ev) for c, (_, _, ev) in zip(made, chunk, strict=True)]
            )
    took = time.perf_counter() - started
    return {"cases": n, "seconds": took, "per_second": n / took}


# ---- (b) the fixture ------------------------------------------------------------------------

OPEN_STATES: list[tuple[str, int]] = [
    ("reported", 4),
    ("pending_verify", 3),
    ("verifying", 5),
    ("pending_register", 4),
    ("void_requested", 1),
    ("pending_dispatch", 4),
    ("dispatched", 10),
    ("handling", 30),
    ("return_requested", 2),
    ("extension_requested", 2),
    ("suspend_requested", 1),
    ("suspended", 3),
    ("handled", 5),
    ("checking", 8),
    ("pending_close", 4),
]
STAGE_OF = {
    "reported": ("accept", 1),
    "pending_verify": ("verify", 2),
    "verifying": ("verify", 2),
    "pending_register": ("register", 1),
    "void_requested": ("register", 1),
    "pending_dispatch": ("dispatch", 1),
    "dispatched": ("handle", 72),
    "handling": ("handle", 72),
    "return_requested": ("handle", 72),
    "extension_requested": ("handle", 72),
    "suspend_requested": ("handle", 72),
    "suspended": ("handle", 72),
    "handled": ("check", 4),
    "checking": ("check", 4),
    "pending_close": ("close", 2),
}
DISPATCHED_OR_LATER = set(STAGE_OF) - {
    "reported",
    "pending_verify",
    "verifying",
    "pending_register",
    "void_requested",
    "pending_dispatch",
}


def _fixture_rows(people: Any, n: int, now: datetime) -> Iterator[dict[str, Any]]:
    from yiwang.catalog.models import ObjectType
    from yiwang.geo.models import UnitGrid
    from yiwang.org.models import Division

    # Read everything first: the rows are consumed while COPY holds the connection.
    grids = list(UnitGrid.objects.values_list("id", "division_path", "community__code"))
    communities = dict(Division.objects.filter(level="community").values_list("code", "id"))
    streets = dict(Division.objects.filter(level="street").values_list("code", "id"))
    types = list(ObjectType.objects.values_list("id", "kind", "code"))
    return _rows(people, n, now, grids, communities, streets, types)


def _rows(
    people: Any,
    n: int,
    now: datetime,
    grids: list[tuple[int, str, str]],
    communities: dict[str, int],
    streets: dict[str, int],
    types: list[tuple[int, str, str]],
) -> Iterator[dict[str, Any]]:
    rng = random.Random(7)
    professional = [d for d in people.departments.values() if d.kind == "professional"]
    offices = {d.division.code: d for d in people.departments.values() if d.kind == "territorial"}
    open_states = [s for s, _ in OPEN_STATES]
    open_weights = [w for _, w in OPEN_STATES]
    letter = {"component": "B", "matter": "S"}
    for i in range(n):
        grid_id, path, community_code = rng.choice(grids)
        street_code = community_code[:9]
        type_id, kind, code = rng.choice(types)
        age = timedelta(days=365 * rng.random() ** 1.2)  # a little busier recently
        reported = now - age
        if age > timedelta(days=20):
            r = rng.random()
            state = "closed" if r < 0.93 else "voided" if r < 0.99 else "suspended"
        else:
            state = rng.choices(open_states, weights=open_weights)[0]
            if age > timedelta(days=4) and rng.random() < 0.6:
                state = "closed"
        dept = None
        if state in DISPATCHED_OR_LATER or state == "closed":
            dept = offices[street_code] if rng.random() < 0.3 else rng.choice(professional)
        stage, hours = STAGE_OF.get(state, ("", 0))
        started = reported + (age * rng.uniform(0.1, 0.9) if stage else timedelta(0))
        due = started + timedelta(hours=hours * rng.uniform(0.5, 1.5)) if stage else None
        assignee = None
        if state in ("verifying", "checking"):
            assignee = people.inspectors[street_code].pk
        elif dept is not None and state not in ("closed", "dispatched"):
            assignee = people.handlers[dept.pk].pk
        closed = reported + timedelta(days=rng.uniform(0.5, 10)) if state == "closed" else None
        yield {
            "number": f"{letter[kind]}{code}{reported:%Y%m%d}{i:08d}",
            "kind": kind,
            "type_id": type_id,
            "urgency": "urgent" if rng.random() < 0.08 else "normal",
            "source": rng.choice(["inspector"] * 5 + ["public", "hotline", "video", "sensor"]),
            "title": f"压测案卷 {i}",
            "description": "",
            "address": "深圳市福田区",
            "lon": 114.05 + rng.random() / 50,
            "lat": 22.53 + rng.random() / 50,
            "grid_id": grid_id,
            "community_id": communities[community_code],
            "street_id": streets[street_code],
            "district_code": "440304",
            "division_path": path,
            "component_id": None,
            "reporter_id": people.operator.pk,
            "contact_name": "",
            "contact_phone": "",
            "state": state,
            "merged_into_id": None,
            "version": 1,
            "resume_state": "",
            "pending_request": "{}",
            "department_id": dept.pk if dept else None,
            "suggested_department_id": dept.pk if dept else None,
            "assignee_id": assignee,
            "stage": stage,
            "stage_started_at": started if stage else None,
            "stage_due_at": due if state != "suspended" else None,
            "stage_unit": "work_hours" if stage else "",
            "stage_remaining_seconds": 3600.0 if state == "suspended" else None,
            "stage_suspended_seconds": 0.0,
            "rework_count": 0,
            "return_count": 0,
            "extension_count": 0,
            "result": "",
            "reported_at": reported,
            "registered_at": None,
            "dispatched_at": None,
            "handled_at": None,
            "closed_at": closed,
            "handle_due_at": None,
            "updated_at": now,
        }


def load_fixture(people: Any, n: int) -> dict[str, float]:
    from django.db import connection, transaction

    from yiwang.cases.models import Case

    if n <= 0:
        return {"cases": 0, "seconds": 0.0, "per_second": 0.0}
    columns = [f.column for f in Case._meta.concrete_fields if f.column != "id"]
    now = datetime.now(UTC)
    rows = _fixture_rows(people, n, now)
    started = time.perf_counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            raw = connection.connection
            assert raw is not None
            with connection.cursor() as cur:
                # The rows are consistent by construction; per-row foreign-key triggers
                # would make the load take ten times longer (this transaction only).
                cur.execute("SET LOCAL session_replication_role = replica")
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY cases_case ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        else:
            sql = (
                f"INSERT INTO cases_case ({', '.join(columns)}) "
                f"VALUES ({', '.join(['%s'] * len(columns))})"
            )
            with connection.cursor() as cur:
                chunk: list[list[Any]] = []
                for row in rows:
                    chunk.append([_sqlite_value(row[c]) for c in columns])
                    if len(chunk) == 10_000:
                        cur.executemany(sql, chunk)
                        chunk = []
                if chunk:
                    cur.executemany(sql, chunk)
        _department_history()
    took = time.perf_counter() - started
    return {"cases": n, "seconds": took, "per_second": n / took}


def _department_history() -> None:
    """The dispatch history the engine writes with every dispatch (the handlers' scope):
    one row per fixture case with a department, as the migration backfills it."""
    from django.db import connection

    from yiwang.cases.models import Case, CaseDepartment

    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {CaseDepartment._meta.db_table} "
            "(case_id, department_id, first_dispatched_at) "
            f"SELECT id, department_id, COALESCE(dispatched_at, reported_at) "
            f"FROM {Case._meta.db_table} WHERE department_id IS NOT NULL "
            "ON CONFLICT (department_id, case_id) DO NOTHING"
        )


def _sqlite_value(value: Any) -> Any:
    # Django stores aware datetimes on SQLite as naive UTC text.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    return value


# ---- (b)/(c) query latency ------------------------------------------------------------------


def _time(runs: int, fn: Callable[[int], Any]) -> dict[str, float]:
    for i in range(10):  # warm-up: connection, caches, plans
        fn(i)
    samples = []
    for i in range(runs):
        t = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    q = statistics.quantiles(samples, n=100)
    return {"runs": runs, "p50": q[49], "p95": q[94], "p99": q[98], "max": samples[-1]}


def bench_queries(people: Any, runs: int, explain: bool) -> dict[str, dict[str, float]]:
    from yiwang.cases import queries
    from yiwang.org.models import User

    leader = User.objects.select_related("division").get(username="leader")
    dispatcher = User.objects.select_related("division").get(username="dispatcher")
    handlers = list(
        User.objects.select_related("division", "department").filter(role="handler").order_by("id")
    )
    streets = sorted(people.inspectors)
    states = ["closed", "handling", "dispatched", "pending_dispatch", "voided", "checking"]
    today = date.today()
    rng = random.Random(3)
    filters = []
    for _ in range(runs + 10):
        start = today - timedelta(days=rng.randint(0, 330))
        filters.append(
            queries.SearchFilters(
                street=rng.choice(streets),
                state=rng.choice(states),
                date_from=start,
                date_to=start + timedelta(days=rng.choice([7, 30, 90])),
            )
        )

    def page_and_count(qs: Any) -> tuple[int, int]:
        return len(list(qs[:PAGE])), queries.capped_count(qs)

    def worklist(i: int) -> Any:
        return page_and_count(queries.worklist(handlers[i % len(handlers)], "to_handle"))

    municipal = next(h for h in handlers if h.username == "handler")

    def municipal_worklist(i: int) -> Any:
        return page_and_count(queries.worklist(municipal, "to_handle"))

    def dispatch_list(i: int) -> Any:
        return page_and_count(queries.worklist(dispatcher, "to_dispatch"))

    def search(i: int) -> Any:
        return page_and_count(queries.search(leader, filters[i]))

    def handler_search(i: int) -> Any:
        # A handler's search page without filters: their department's cases, newest first.
        return page_and_count(queries.search(handlers[i % len(handlers)], queries.SearchFilters()))

    def search_overdue(i: int) -> Any:
        f = queries.SearchFilters(street=streets[i % len(streets)], overdue=True)
        return page_and_count(queries.search(leader, f))

    from django.db.models import Count

    from yiwang.cases import duplicates
    from yiwang.cases.models import Case

    operator = User.objects.select_related("division").get(username="operator")
    # Open cases of the most reported type (the most candidates to sift), and of any type.
    busiest = (
        Case.objects.filter(duplicates.OPEN)
        .values("type_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("type_id", flat=True)
        .first()
    )
    open_cases = list(
        Case.objects.filter(duplicates.OPEN, type_id=busiest).select_related("type")[:200]
    ) + list(Case.objects.filter(duplicates.OPEN).select_related("type").order_by("?")[:200])

    def duplicate_candidates(i: int) -> Any:
        return duplicates.candidates(operator, open_cases[i % len(open_cases)])

    if explain and open_cases:
        case = open_cases[0]
        window = duplicates.window_for(case.type)
        box = duplicates.box(case.lon, case.lat, window.radius_m)
        qs = Case.objects.filter(
            duplicates.OPEN,
            type_id=case.type_id,
            lon__gte=box[0],
            lat__gte=box[1],
            lon__lte=box[2],
            lat__lte=box[3],
        )
        print("\n-- EXPLAIN duplicate candidates (the box) --")
        print(qs.only("pk", "lon", "lat", "reported_at").explain())
    if explain:
        for label, qs in [
            ("worklist to_handle", queries.worklist(handlers[0], "to_handle")),
            ("search street+state+dates", queries.search(leader, filters[0])),
            ("search as a handler", queries.search(handlers[0], queries.SearchFilters())),
        ]:
            print(f"\n-- EXPLAIN {label} (first page) --")
            print(qs[:PAGE].explain())
            print(f"-- EXPLAIN {label} (capped count) --")
            print(
                qs.select_related(None).order_by().values("pk")[: queries.COUNT_CAP + 1].explain()
            )
    return {
        "worklist to_handle (all handlers)": _time(runs, worklist),
        "worklist to_handle (市政, busiest)": _time(runs, municipal_worklist),
        "worklist to_dispatch (dispatcher)": _time(runs, dispatch_list),
        "search street+state+date range": _time(runs, search),
        "search street+overdue": _time(runs, search_overdue),
        "search as a handler (newest first)": _time(runs, handler_search),
        "duplicate candidates (50 m, 7 days)": _time(runs, duplicate_candidates),
    }


# ---- main -----------------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    url = prepare_database(args)
    setup_django(url)
    from yiwang.cases.models import Case

    t = time.perf_counter()
    people = build_city()
    print(f"database {args.db}: {url}  (city ready in {time.perf_counter() - t:.1f} s)")
    results: dict[str, Any] = {}
    existing = Case.objects.count()
    if args.create and not existing:
        results["actions"] = bench_actions(people, args.create, args.batch, args.profile)
        results["raw"] = bench_raw(args.create, args.batch)
        print_intake(results["actions"], results["raw"], args.batch)
    missing = args.rows - Case.objects.count()
    if missing > 0:
        results["fixture"] = load_fixture(people, missing)
        f = results["fixture"]
        loader = "COPY" if args.db == "postgres" else "executemany"
        print(
            f"fixture: {f['cases']:,} rows by {loader} in {f['seconds']:.1f} s "
            f"({f['per_second']:,.0f} rows/s)"
        )
    t = time.perf_counter()
    analyze()
    took = time.perf_counter() - t
    print(f"VACUUM/ANALYZE {took:.1f} s; cases in the database: {Case.objects.count():,}")
    results["queries"] = bench_queries(people, args.runs, args.explain)
    print_queries(results["queries"], Case.objects.count(), args.db)
    (VAR_DIR / f"results-{args.db}.json").write_text(json.dumps(results, indent=2))


def print_intake(actions: dict[str, float], raw: dict[str, float], batch: int) -> None:
    print(f"\n(a) intake, batches of {batch}")
    print(f"{'path':<44}{'cases':>10}{'seconds':>10}{'cases/s':>10}")
    for label, r in [
        ("report_cases (locate, route, deadline, audit)", actions),
        ("raw bulk_create of equivalent rows", raw),
    ]:
        print(f"{label:<44}{r['cases']:>10,}{r['seconds']:>10.1f}{r['per_second']:>10,.0f}")
    print(f"actions / raw = {actions['seconds'] / raw['seconds']:.2f}× the time")


def print_queries(q: dict[str, dict[str, float]], total: int, db: str) -> None:
    print(f"\nquery latency on {db} with {total:,} cases (ms; first page of {PAGE} + capped count)")
    print(f"{'query':<38}{'runs':>6}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    for label, r in q.items():
        print(
            f"{label:<38}{r['runs']:>6}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}"
            f"{r['max']:>9.1f}"
        )


if __name__ == "__main__":
    main()
