#!/usr/bin/env python
"""Geo and inventory benchmark: grid import, locating many points, component import.

    python bench/bench_geo.py --db sqlite
    python bench/bench_geo.py --db postgres

The unit tests only check that these paths work in bulk (a bounded number of queries);
how long they take is measured here, each next to a raw baseline run in the same process
on the same data, so a slower machine moves both numbers and the ratio stays meaningful:

1. ``geo.actions.import_grids`` of --grids grids (validation, overlap checks, audit) against
   a plain ``bulk_create`` of the very rows it wrote;
2. ``geo.locate.locate_many`` of --points points (index built beforehand) against the bare
   STRtree query of the same shapely polygons (no smallest-code rule, no answers built);
3. ``catalog.actions.import_components`` of --components CSV rows (parse, check, locate,
   audit) against a plain ``bulk_create`` of the rows it wrote.

Each timing is the best of --runs runs. The script makes its own database (PostgreSQL
``yiwang_bench_geo``, dropped and created again; SQLite /tmp/yiwang-bench/geo.sqlite3) and
never touches the test database or var/.
"""

from __future__ import annotations

import argparse
import csv
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_cases import PG_ADMIN_URL, VAR_DIR, setup_django

PG_DB = "yiwang_bench_geo"
STREET, COMMUNITY = "440304001", "440304001001"
COLUMNS = ["标识码", "类型代码", "名称", "经度", "纬度", "状态", "主管部门名称", "初始日期"]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["postgres", "sqlite"], required=True)
    p.add_argument("--pg-admin-url", default=PG_ADMIN_URL, help="server to create the DB on")
    p.add_argument("--grids", type=int, default=1000, help="grids imported (≤ 1000)")
    p.add_argument("--points", type=int, default=10_000, help="points located")
    p.add_argument("--components", type=int, default=1000, help="component rows imported")
    p.add_argument("--runs", type=int, default=3, help="timed runs; the best is reported")
    return p.parse_args()


def prepare_database(args: argparse.Namespace) -> str:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    if args.db == "sqlite":
        path = VAR_DIR / "geo.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(args.pg_admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB}")
    return f"{args.pg_admin_url.rsplit('/', 1)[0]}/{PG_DB}"


def build_org() -> Any:
    from django.core.management import call_command

    from yiwang.org import actions
    from yiwang.org.models import User

    call_command("migrate", verbosity=0)
    root = User.objects.create_superuser("bench", "bench@example.invalid", "bench-pass-123")
    actions.create_division(
        root, code=STREET, name="南园街道", level="street", parent_code=STREET[:6]
    )
    actions.create_division(
        root, code=COMMUNITY, name="南华社区", level="community", parent_code=STREET
    )
    return root


def best(runs: int, prepare: Callable[[], Any], timed: Callable[[Any], Any]) -> float:
    """The fastest of ``runs`` timings of ``timed(prepare())``; ``prepare`` is not timed."""
    times = []
    for _ in range(runs):
        arg = prepare()
        started = time.perf_counter()
        timed(arg)
        times.append(time.perf_counter() - started)
    return min(times)


def square(lon: float, lat: float, size: float = 0.002) -> dict[str, Any]:
    east, north = round(lon + size, 9), round(lat + size, 9)
    ring = [[lon, lat], [east, lat], [east, north], [lon, north], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def grid_collection(n: int) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "properties": {"code": f"{COMMUNITY}{i:03d}", "name": f"网格{i:03d}"},
            "geometry": square(
                round(114.0 + (i % 40) * 0.002, 9), round(22.5 + (i // 40) * 0.002, 9)
            ),
        }
        for i in range(n)
    ]
    return {"type": "FeatureCollection", "features": features}


def bench_grids(root: Any, n: int, runs: int) -> tuple[float, float]:
    from yiwang.core import generations
    from yiwang.geo import actions
    from yiwang.geo.models import UnitGrid

    doc = grid_collection(n)

    def clear() -> None:
        UnitGrid.objects.all().delete()
        generations.bump("grids")

    action = best(runs, clear, lambda _: actions.import_grids(root, doc))
    rows = list(UnitGrid.objects.values())

    def raw_rows() -> list[Any]:
        clear()
        return [UnitGrid(**{k: v for k, v in row.items() if k != "id"}) for row in rows]

    raw = best(runs, raw_rows, lambda grids: UnitGrid.objects.bulk_create(grids, batch_size=500))
    clear()
    actions.import_grids(root, doc)  # what the next steps locate in, written by the action
    return action, raw


def bench_locate(n: int, runs: int) -> tuple[float, float]:
    import numpy as np
    import shapely
    from shapely import STRtree

    from yiwang.geo import index
    from yiwang.geo.locate import locate_many

    grid_index = index.get()
    points = [(114.0 + (i % 800) * 0.0001, 22.5 + (i // 800) * 0.0004 + 0.00005) for i in range(n)]
    action = best(runs, lambda: None, lambda _: locate_many(points))
    polygons = grid_index.polygons
    tree = STRtree(polygons)

    def raw(_: Any) -> None:
        geoms = shapely.points(np.asarray(points, dtype=float))
        tree.query(geoms, predicate="intersects")

    return action, best(runs, lambda: None, raw)


def component_csv(n: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for i in range(1, n + 1):
        lon, lat = 114.0 + (i % 80) * 0.001 + 0.0005, 22.5 + (i // 80 % 50) * 0.001 + 0.0005
        writer.writerow(
            [f"44030401001{i:06d}", "01001", f"井盖{i}", lon, lat, "完好", "水务局", "2024-03-01"]
        )
    return out.getvalue().encode("utf-8")


def bench_components(root: Any, n: int, runs: int) -> tuple[float, float]:
    from yiwang.catalog import actions
    from yiwang.catalog.models import Component

    data = component_csv(n)

    def clear() -> None:
        Component.objects.all().delete()

    action = best(runs, clear, lambda _: actions.import_components(root, data, fmt="csv"))
    rows = list(Component.objects.values())

    def raw_rows() -> list[Any]:
        clear()
        return [Component(**{k: v for k, v in row.items() if k != "id"}) for row in rows]

    raw = best(runs, raw_rows, lambda objs: Component.objects.bulk_create(objs, batch_size=500))
    return action, raw


def main() -> None:
    args = parse_args()
    url = prepare_database(args)
    setup_django(url)
    root = build_org()
    print(f"database {args.db}: {url}; best of {args.runs} runs\n")
    print(f"{'path':<46}{'items':>8}{'action s':>10}{'raw s':>9}{'items/s':>10}{'× raw':>7}")
    results = [
        ("import_grids vs bulk_create", args.grids, bench_grids(root, args.grids, args.runs)),
        ("locate_many vs bare STRtree query", args.points, bench_locate(args.points, args.runs)),
        (
            "import_components (CSV) vs bulk_create",
            args.components,
            bench_components(root, args.components, args.runs),
        ),
    ]
    for name, n, (action, raw) in results:
        print(
            f"{name:<46}{n:>8,}{action:>10.3f}{raw:>9.3f}{n / action:>10,.0f}{action / raw:>7.1f}"
        )


if __name__ == "__main__":
    main()
