#!/usr/bin/env python
"""Open311 GeoReport v2 benchmark: `GET requests.json` latency next to a raw SQL baseline.

    python bench/bench_open311.py                      # PostgreSQL, 1,000,000 cases
    python bench/bench_open311.py --rows 50000         # a quick run
    python bench/bench_open311.py --db sqlite --rows 100000

It builds its database like bench_cases.py (the demo city, then a fixture of `--rows` cases
over a year in every state, loaded by COPY / executemany — the same functions, imported),
gives each case a realistic `updated_at` (closing time, else the start of its running
stage), opens 40 matter types to the public, and then times, over `--runs` runs after 10
warm-up runs, the whole HTTP answer (middleware, query, JSON) through Django's test client:

- default: no parameters (the last 90 days, first 1000 rows)
- status=open
- service_code: one public type (a different one each run)
- service_request_id: a list of 50 ids spread over the year
- page=5: rows 4001–5000 of the default
- updated_after: what changed in the last 2 hours (a syncing client)

Each next to the same rows fetched by one plain SQL query (the baseline, same run). The
target (issue 7): p95 ≤ 100 ms at 1,000,000 cases on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_cases  # the fixture and the timing of the case benchmark

PG_DB = "yiwang_bench_open311"
PUBLIC_TYPES = 40
IDS_PER_QUERY = 50

# The columns GET requests shows, as one SQL query reads them (the baseline).
RAW_COLUMNS = (
    "c.id, c.number, c.state, c.stage, c.stage_due_at, c.source, c.type_id, t.kind, t.code, "
    "t.name, c.title, c.description, d.name, c.reported_at, c.updated_at, c.handle_due_at, "
    "c.address, c.lat, c.lon"
)
NEWEST = "c.reported_at DESC, c.id DESC"
RAW_FROM = (
    "FROM cases_case c JOIN catalog_objecttype t ON t.id = c.type_id "
    "LEFT JOIN org_department d ON d.id = c.department_id"
)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    p.add_argument("--pg-admin-url", default=bench_cases.PG_ADMIN_URL)
    p.add_argument("--pg-db", default=PG_DB, help="bench database name (dropped first)")
    p.add_argument("--rows", type=int, help="cases in the database")
    p.add_argument("--runs", type=int, default=200, help="timed runs per query")
    p.add_argument("--explain", action="store_true", help="print the query plans")
    p.add_argument("--keep", action="store_true", help="reuse an existing bench database")
    args = p.parse_args()
    if args.rows is None:
        args.rows = 1_000_000 if args.db == "postgres" else 100_000
    return args


def realistic_updates() -> None:
    """The fixture stamps every row with the load time; a real case was last changed when it
    closed, or when its running stage began."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE cases_case SET updated_at = COALESCE(closed_at, stage_started_at, reported_at)"
        )


def open_services(admin: Any) -> list[str]:
    """Open the matter types with the most cases to the public; their service codes."""
    from django.db.models import Count

    from yiwang.cases.models import Case
    from yiwang.intake.actions import open311 as actions
    from yiwang.intake.queries import service_code

    busiest = (
        Case.objects.filter(kind="matter")
        .values("type__code")
        .annotate(n=Count("id"))
        .order_by("-n")[:PUBLIC_TYPES]
    )
    codes = []
    for row in busiest:
        actions.save_public_service(admin, kind="matter", type_code=row["type__code"])
        codes.append(service_code("matter", row["type__code"]))
    return codes


def bench(args: argparse.Namespace, codes: list[str]) -> dict[str, dict[str, Any]]:
    from django.db import connection
    from django.test import Client

    from yiwang.cases.models import Case
    from yiwang.catalog.models import ObjectType

    client = Client()
    rng = random.Random(11)
    numbers = list(Case.objects.order_by("?").values_list("number", flat=True)[:5000])
    id_lists = [rng.sample(numbers, IDS_PER_QUERY) for _ in range(args.runs + 10)]
    now = datetime.now(UTC)

    def answer(params: dict[str, Any]) -> int:
        response = client.get("/open311/v2/requests.json", params)
        assert response.status_code == 200, response.content[:300]
        return len(json.loads(response.content))

    def raw(where: str, params: list[Any], order: str = NEWEST, offset: int = 0) -> int:
        sql = f"SELECT {RAW_COLUMNS} {RAW_FROM} WHERE {where} ORDER BY {order} LIMIT 1000"
        sql += f" OFFSET {offset}"
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return len(cur.fetchall())

    def window() -> list[Any]:
        end = datetime.now(UTC)
        return [end - timedelta(days=90), end]

    matters = ObjectType.objects.filter(kind="matter").values_list("pk", "code")
    type_ids = {f"S{code}": pk for pk, code in matters}
    final_states = ("closed", "voided")
    cases: dict[str, tuple[Any, Any]] = {
        "default (90 days, 1000 rows)": (
            lambda i: answer({}),
            lambda i: raw("c.reported_at BETWEEN %s AND %s", window()),
        ),
        "status=open": (
            lambda i: answer({"status": "open"}),
            lambda i: raw(
                "c.reported_at BETWEEN %s AND %s AND c.state NOT IN (%s, %s)",
                [*window(), *final_states],
            ),
        ),
        "service_code (one type)": (
            lambda i: answer({"service_code": codes[i % len(codes)]}),
            lambda i: raw(
                "c.reported_at BETWEEN %s AND %s AND c.type_id = %s",
                [*window(), type_ids[codes[i % len(codes)]]],
            ),
        ),
        f"service_request_id ({IDS_PER_QUERY} ids)": (
            lambda i: answer({"service_request_id": ",".join(id_lists[i])}),
            lambda i: (
                raw("c.number = ANY(%s)", [id_lists[i]])
                if connection.vendor == "postgresql"
                else raw(f"c.number IN ({','.join(['%s'] * IDS_PER_QUERY)})", list(id_lists[i]))
            ),
        ),
        "page=5 (rows 4001-5000)": (
            lambda i: answer({"page": 5}),
            lambda i: raw("c.reported_at BETWEEN %s AND %s", window(), offset=4000),
        ),
        "updated_after (last 2 hours)": (
            lambda i: answer({"updated_after": (now - timedelta(hours=2)).isoformat()}),
            lambda i: raw(
                "c.updated_at BETWEEN %s AND %s",
                [now - timedelta(hours=2), datetime.now(UTC)],
                order="c.updated_at DESC, c.id DESC",
            ),
        ),
    }
    if args.explain:
        from yiwang.intake import queries

        actor = queries.open311_actor()
        node = queries.open311_jurisdiction("")
        assert node is not None
        for label, f in [
            ("default", queries.RequestFilters()),
            ("service_code", queries.RequestFilters(service_codes=[codes[0]])),
        ]:
            qs = queries._open311_cases(actor, node).filter(
                reported_at__gte=now - timedelta(days=90)
            )
            if f.service_codes:
                qs = qs.filter(type_id=type_ids[codes[0]])
            print(f"\n-- EXPLAIN {label} --")
            print(
                qs.order_by("-reported_at", "-id").values(*queries.REQUEST_COLUMNS)[:1000].explain()
            )
    results: dict[str, dict[str, Any]] = {}
    for label, (open311, baseline) in cases.items():
        rows = open311(0)
        results[label] = {
            "rows": rows,
            "open311": bench_cases._time(args.runs, open311),
            "raw": bench_cases._time(args.runs, baseline),
        }
    return results


def print_results(results: dict[str, dict[str, Any]], total: int, db: str) -> None:
    print(f"\nGET /open311/v2/requests.json on {db} with {total:,} cases (ms)")
    print(
        f"{'query':<34}{'rows':>6}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}"
        f"{'raw p50':>9}{'raw p95':>9}{'×':>6}"
    )
    for label, r in results.items():
        o, b = r["open311"], r["raw"]
        ratio = o["p95"] / max(b["p95"], 0.01)
        print(
            f"{label:<34}{r['rows']:>6}{o['p50']:>8.1f}{o['p95']:>8.1f}{o['p99']:>8.1f}"
            f"{o['max']:>8.1f}{b['p50']:>9.1f}{b['p95']:>9.1f}{ratio:>6.1f}"
        )


def main() -> None:
    args = parse_args()
    url = bench_cases.prepare_database(args)
    bench_cases.setup_django(url)
    from yiwang.cases.models import Case
    from yiwang.demo import city

    t = time.perf_counter()
    people = bench_cases.build_city()
    print(f"database {args.db}: {url}  (city ready in {time.perf_counter() - t:.1f} s)")
    missing = args.rows - Case.objects.count()
    if missing > 0:
        f = bench_cases.load_fixture(people, missing)
        print(f"fixture: {f['cases']:,} rows in {f['seconds']:.1f} s")
        realistic_updates()
    bench_cases.analyze()
    codes = open_services(city.ensure_admin())
    total = Case.objects.count()
    results = bench(args, codes)
    print_results(results, total, args.db)
    out = bench_cases.VAR_DIR / f"results-open311-{args.db}.json"
    out.write_text(json.dumps({"cases": total, "queries": results}, indent=2))


if __name__ == "__main__":
    main()
