#!/usr/bin/env python
"""12345 hotline batch import benchmark: orders/s next to plain `report_cases`.

    python bench/bench_hotline.py --db sqlite
    python bench/bench_hotline.py --db postgres
    python bench/bench_hotline.py --db sqlite --orders 500 --profile

Builds its own database (PostgreSQL `yiwang_bench_hotline`, dropped and created again;
SQLite under /tmp/yiwang-bench-hotline) with the demo city of bench_cases.py (imported),
registers a hotline system, writes a JSON Lines batch of `--orders` new orders (points
spread over the city's grids, the 12 shipped hotline categories, free-text addresses of the
three streets with house numbers, so most addresses are distinct) and then times
`intake.actions.hotline_batches.import_batch` — the whole import as the API and the page
run it (parse, validate, resolve addresses, file the cases, store the orders):

1. `new orders`: the batch into an empty order table (every order becomes a case);
2. `same batch again`: every order recognised as unchanged (idempotency);
3. `changed orders`: the batch again with every tenth order's title changed (each of those
   updates its order and notes the change on its case's timeline);
4. `report_cases`: the same reports (type, point, texts) filed by one plain
   `cases.actions.report_cases` call as the hotline's account — the floor the import is
   compared with, in the same run.

`--profile` prints the cProfile of the new-orders import (cumulative, top 30).
It never touches the test database or var/.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_cases  # the database, Django set-up and demo city

bench_cases.VAR_DIR = Path("/tmp/yiwang-bench-hotline")
PG_DB = "yiwang_bench_hotline"
NODE = "440300"  # 深圳市: the demo city's 福田区 lies in it
ROADS = (
    "华强南路",
    "南园路",
    "红荔路",
    "八卦路",
    "福华路",
    "深南中路",
    "滨河大道",
    "燕南路",
    "园岭东路",
    "上步中路",
    "福民路",
    "彩田路",
)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["postgres", "sqlite"], required=True)
    p.add_argument("--pg-admin-url", default=bench_cases.PG_ADMIN_URL)
    p.add_argument("--pg-db", default=PG_DB, help="bench database (dropped first)")
    p.add_argument("--orders", type=int, default=5000, help="orders in the batch")
    p.add_argument("--profile", action="store_true", help="cProfile the new-orders import")
    # bench_cases.prepare_database reads it: this bench always starts from a new database.
    p.set_defaults(keep=False)
    return p.parse_args()


def make_orders(n: int) -> list[dict[str, Any]]:
    """`n` located orders in the demo city, each at a random point of a random grid."""
    from yiwang.demo import city
    from yiwang.intake.loader import DEFAULT_HOTLINE_CATEGORIES

    rng = random.Random(12345)
    cells = city.lattice()
    streets = {code: name for code, name, _ in city.STREETS}
    orders = []
    for i in range(n):
        cell = rng.choice(cells)
        xs = [p[0] for p in cell.ring]
        ys = [p[1] for p in cell.ring]
        category, _name, _type = rng.choice(DEFAULT_HOTLINE_CATEGORIES)
        street = streets[cell.community_code[:9]]
        road = rng.choice(ROADS)
        orders.append(
            {
                "order_id": f"GD-BENCH-{i:06d}",
                "received_at": f"2026-12-01T{8 + i % 10:02d}:{i % 60:02d}:00+08:00",
                "category": category,
                "title": f"{category}（压测 {i}）",
                "content": f"{road}{rng.randint(1, 200)}号附近{category}，请尽快处理。",
                "address": f"广东省深圳市福田区{street}{road}{rng.randint(1, 200)}号",
                "lon": round(min(xs) + (max(xs) - min(xs)) * rng.uniform(0.05, 0.95), 7),
                "lat": round(min(ys) + (max(ys) - min(ys)) * rng.uniform(0.05, 0.95), 7),
                "caller_name": "压测",
                "caller_phone": f"138{i:08d}",
                "urgency": "urgent" if rng.random() < 0.08 else "normal",
            }
        )
    return orders


def jsonl(orders: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in orders).encode()


def timed_import(
    system: Any, data: bytes, n: int, profiler: cProfile.Profile | None = None
) -> dict[str, Any]:
    from yiwang.intake.actions import hotline_batches

    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    result = hotline_batches.import_batch(system, data, fmt="jsonl").as_dict()
    if profiler is not None:
        profiler.disable()
    took = time.perf_counter() - started
    counts = {k: result[k] for k in ("created", "updated", "unchanged", "awaiting_location")}
    return {"orders": n, "seconds": took, "per_second": n / took, **counts}


def timed_report_cases(orders: list[dict[str, Any]]) -> dict[str, Any]:
    """The same reports the import files, in one plain `report_cases` call."""
    from yiwang.cases.actions import Report, report_cases
    from yiwang.intake.actions.channels import channel_actor
    from yiwang.intake.models import Channel, HotlineCategory

    types = {c.code: c.type for c in HotlineCategory.objects.select_related("type")}
    reports = [
        Report(
            kind="matter",
            type_code=types[o["category"]].code,
            title=o["title"],
            lon=o["lon"],
            lat=o["lat"],
            source="hotline",
            urgency=o["urgency"],
            description=o["content"],
            address=o["address"],
            contact_name=o["caller_name"],
            contact_phone=o["caller_phone"],
        )
        for o in orders
    ]
    actor = channel_actor(Channel.HOTLINE)
    started = time.perf_counter()
    report_cases(actor, reports)
    took = time.perf_counter() - started
    return {"orders": len(reports), "seconds": took, "per_second": len(reports) / took}


def main() -> None:
    args = parse_args()
    url = bench_cases.prepare_database(args)
    bench_cases.setup_django(url)
    from django.conf import settings

    settings.NODE_DIVISION_CODE = NODE
    t = time.perf_counter()
    people = bench_cases.build_city()
    from yiwang.intake import addresses
    from yiwang.intake.actions import hotline as hotline_actions

    system = hotline_actions.create_system(people.admin, code="bench12345", name="压测热线")
    addresses.parse_names("广东省深圳市")  # jionlp's dictionary loads once per process
    print(f"database {args.db}: {url}  (city ready in {time.perf_counter() - t:.1f} s)")

    orders = make_orders(args.orders)
    distinct = len({o["address"] for o in orders})
    data = jsonl(orders)
    changed = [
        {**o, "title": o["title"] + "（已修订）"} if i % 10 == 0 else o
        for i, o in enumerate(orders)
    ]
    profiler = cProfile.Profile() if args.profile else None
    results: dict[str, dict[str, Any]] = {}
    results["new orders"] = timed_import(system, data, len(orders), profiler)
    results["same batch again"] = timed_import(system, data, len(orders))
    results["changed orders (1 in 10)"] = timed_import(system, jsonl(changed), len(orders))
    results["report_cases, same reports"] = timed_report_cases(orders)

    print(
        f"\n12345 batch of {len(orders):,} JSONL orders ({distinct:,} distinct addresses) "
        f"on {args.db}"
    )
    print(f"{'path':<32}{'orders':>8}{'seconds':>9}{'orders/s':>10}  outcome")
    for label, r in results.items():
        outcome = ", ".join(
            f"{k} {r[k]:,}" for k in ("created", "updated", "unchanged") if r.get(k)
        )
        print(
            f"{label:<32}{r['orders']:>8,}{r['seconds']:>9.2f}{r['per_second']:>10,.0f}  {outcome}"
        )
    plain = results["report_cases, same reports"]["seconds"]
    print(f"new orders / report_cases = {results['new orders']['seconds'] / plain:.2f}× the time")
    if profiler is not None:
        print("\n-- profile of the new-orders import (cumulative) --")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    (bench_cases.VAR_DIR / f"results-{args.db}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
