#!/usr/bin/env python
"""Alarm intake benchmark: video alarms from 200 cameras with the dedup rule, next to the
plain case intake rate, measured in the same run on the same database.

    python bench/bench_alarms.py --db postgres
    python bench/bench_alarms.py --db sqlite --alarms 4000 --cases 2000     # a small check

The script creates its own database (PostgreSQL `yiwang_bench_alarms`, dropped and created
again; SQLite /tmp/yiwang-bench/alarms.sqlite3), migrates it and builds the demo city with
`bench_cases.build_city` (3 streets, 306 grids, departments, staff). Then:

1. registers `--cameras` cameras (GB/T 28181 ids of 福田区, type 132) on random grid cells
   through `intake.actions.cameras.import_cameras`, and one alarm source;
2. generates two alarm streams of `--alarms` alarms each (random camera, one of four event
   types, confidence mostly above the 0.80 threshold, times spread over `--span` minutes
   each so the 30-minute window merges most repeats, a distinct PNG snapshot of
   `--snapshot-kb` KB on every alarm);
3. (a) feeds the first stream to `intake.actions.alarms.receive_alarms` in batches of
   `--batch` (validation, dedup tracks locked, resend lookup, new cases through
   `report_cases` with their before photos, alarms, submissions, timeline notes);
   (b) posts the second one to `POST /api/intake/alarms/batch` in process (Django's test
   client: routing, key check, JSON and Base64 decoding, the same action); bodies are
   encoded before the clock starts;
4. (c) reports `--cases` plain cases through `cases.actions.report_cases` in batches of
   1000 (`bench_cases.bench_actions`), the intake rate the alarms are compared with;
5. counts the SQL statements of one alarm batch (fixed per batch, not per alarm).

`--fill N` first bulk-loads N cases (`bench_cases.load_fixture`: COPY on PostgreSQL), so the
lookups run against a full case table.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import json
import pstats
import random
import struct
import sys
import time
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cases import (
    VAR_DIR,
    analyze,
    bench_actions,
    build_city,
    load_fixture,
    setup_django,
)

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "yiwang_bench_alarms"
EVENT_TYPES = [
    ("road_occupation", 4),
    ("exposed_garbage", 3),
    ("piled_materials", 2),
    ("illegal_parking", 3),
]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["postgres", "sqlite"], required=True)
    p.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    p.add_argument("--pg-db", default=PG_DB, help="bench database name (dropped first)")
    p.add_argument("--alarms", type=int, default=20_000, help="alarms per stream (a) and (b)")
    p.add_argument("--cameras", type=int, default=200)
    p.add_argument("--batch", type=int, default=500, help="alarms per call / request")
    p.add_argument("--span", type=float, default=60.0, help="minutes each stream covers")
    p.add_argument("--snapshot-kb", type=int, default=20, help="size of each snapshot")
    p.add_argument("--cases", type=int, default=10_000, help="plain cases for (c)")
    p.add_argument("--fill", type=int, default=0, help="cases bulk-loaded first (COPY)")
    p.add_argument("--profile", action="store_true", help="cProfile streams (a) and (b)")
    p.add_argument("--sql", action="store_true", help="print the probe batch's statements")
    return p.parse_args()


def prepare_database(args: argparse.Namespace) -> str:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    if args.db == "sqlite":
        path = VAR_DIR / "alarms.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(args.pg_admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {args.pg_db} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {args.pg_db}")
    return f"{args.pg_admin_url.rsplit('/', 1)[0]}/{args.pg_db}"


def snapshot_png(seed: int, size_kb: int) -> bytes:
    """A real 1×1 PNG made `size_kb` large by a text chunk (as a camera's JPEG would be)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixel = zlib.compress(bytes([0, seed % 256, (seed >> 8) % 256, (seed >> 16) % 256]))
    text = b"Comment\x00" + str(seed).encode().rjust(max(1, size_kb * 1024), b"0")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", text)
        + chunk(b"IDAT", pixel)
        + chunk(b"IEND", b"")
    )


def register_cameras(admin: Any, n: int, rng: random.Random) -> list[str]:
    from yiwang.demo import city
    from yiwang.intake.actions import cameras

    cells = city.lattice()
    lines = ["device_id,name,lon,lat,stream_url"]
    ids = []
    for i in range(1, n + 1):
        cell = rng.choice(cells)
        xs = [p[0] for p in cell.ring]
        ys = [p[1] for p in cell.ring]
        lon = min(xs) + (max(xs) - min(xs)) * rng.uniform(0.1, 0.9)
        lat = min(ys) + (max(ys) - min(ys)) * rng.uniform(0.1, 0.9)
        # Centre 44030400 (福田区), industry 08 城市管理, type 132 IPC, network 6 电子政务外网.
        dev = f"44030400081326{i:06d}"
        ids.append(dev)
        lines.append(
            f"{dev},压测摄像机{i:03d},{lon:.7f},{lat:.7f},rtsp://10.30.{i // 250}.{i % 250}/1"
        )
    cameras.import_cameras(admin, "\n".join(lines))
    return ids


def stream(
    prefix: str, n: int, cameras: list[str], start: Any, span: float, kb: int, rng: random.Random
) -> list[Any]:
    from yiwang.intake.actions.alarms import AlarmIn

    names = [t for t, _ in EVENT_TYPES]
    weights = [w for _, w in EVENT_TYPES]
    alarms = []
    for i in range(n):
        at = start + timedelta(minutes=span * i / n)
        confident = rng.random() < 0.9
        alarms.append(
            AlarmIn(
                event_id=f"{prefix}-{i}",
                event_type=rng.choices(names, weights)[0],
                occurred_at=at,
                confidence=round(rng.uniform(0.8, 1.0) if confident else rng.uniform(0.5, 0.8), 3),
                camera_id=rng.choice(cameras),
                snapshot=snapshot_png(i + (1 << 20 if prefix == "http" else 0), kb),
            )
        )
    return alarms


def run_action(source: Any, alarms: list[Any], batch: int) -> tuple[float, dict[str, int]]:
    from yiwang.intake.actions.alarms import AlarmResult, receive_alarms

    outcome: dict[str, int] = {}
    started = time.perf_counter()
    for i in range(0, len(alarms), batch):
        for r in receive_alarms(source, alarms[i : i + batch]):
            assert isinstance(r, AlarmResult), r
            outcome[r.status] = outcome.get(r.status, 0) + 1
    return time.perf_counter() - started, outcome


def run_http(key: str, alarms: list[Any], batch: int) -> tuple[float, dict[str, int]]:
    from django.test import Client

    bodies = []
    for i in range(0, len(alarms), batch):
        items = [
            {
                "event_id": a.event_id,
                "event_type": a.event_type,
                "occurred_at": a.occurred_at.isoformat(),
                "confidence": a.confidence,
                "camera_id": a.camera_id,
                "snapshot": base64.b64encode(a.snapshot).decode(),
            }
            for a in alarms[i : i + batch]
        ]
        bodies.append(json.dumps({"alarms": items}).encode())
    client = Client()
    outcome: dict[str, int] = {}
    started = time.perf_counter()
    for data in bodies:
        response = client.post(
            "/api/intake/alarms/batch",
            data,
            content_type="application/json",
            headers={"X-Alarm-Key": key},
        )
        assert response.status_code == 200, response.content[:500]
        for r in response.json()["results"]:
            assert r["ok"], r
            outcome[r["result"]["status"]] = outcome.get(r["result"]["status"], 0) + 1
    return time.perf_counter() - started, outcome


def count_queries(source: Any, alarms: list[Any], show: bool) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yiwang.intake.actions.alarms import receive_alarms

    with CaptureQueriesContext(connection) as ctx:
        receive_alarms(source, alarms)
    if show:
        for q in ctx.captured_queries:
            print(q["sql"][:160])
    return len(ctx.captured_queries)


def main() -> None:
    args = parse_args()
    url = prepare_database(args)
    setup_django(url)
    from django.utils import timezone

    from yiwang.demo import city
    from yiwang.intake.actions.alarm_setup import create_alarm_source

    t = time.perf_counter()
    people = build_city()
    admin = city.ensure_admin()
    rng = random.Random(5)
    camera_ids = register_cameras(admin, args.cameras, rng)
    key, source = create_alarm_source(admin, name="压测视频平台", division_code=city.DISTRICT)
    if args.fill:
        load_fixture(people, args.fill)
        analyze()
    print(
        f"database {args.db}: {url}  (city, {len(camera_ids)} cameras and {args.fill:,} "
        f"fixture cases ready in {time.perf_counter() - t:.1f} s)"
    )
    now = timezone.now()
    span = args.span
    first = stream(
        "act",
        args.alarms,
        camera_ids,
        now - timedelta(minutes=2 * span + 5),
        span,
        args.snapshot_kb,
        rng,
    )
    second = stream(
        "http",
        args.alarms,
        camera_ids,
        now - timedelta(minutes=span + 4),
        span,
        args.snapshot_kb,
        rng,
    )
    probe = stream(
        "probe", args.batch, camera_ids, now - timedelta(minutes=3), 2, args.snapshot_kb, rng
    )

    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    action_s, action_out = run_action(source, first, args.batch)
    if profiler is not None:
        profiler.disable()
        print("\n-- profile of (a) --")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        profiler = cProfile.Profile()
        profiler.enable()
    http_s, http_out = run_http(key, second, args.batch)
    if profiler is not None:
        profiler.disable()
        print("\n-- profile of (b) --")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
    queries = count_queries(source, probe, args.sql)
    analyze()
    plain = bench_actions(people, args.cases, 1000, profile=False)

    print(
        f"\nalarm intake, {len(camera_ids)} cameras, batches of {args.batch}, "
        f"snapshots of {args.snapshot_kb} KB, each stream over {span:g} min"
    )
    print(f"{'path':<52}{'items':>9}{'seconds':>9}{'per s':>9}   outcome")
    for label, n, secs, out in [
        ("(a) receive_alarms (dedup, cases, notes, photos)", len(first), action_s, action_out),
        ("(b) POST /api/intake/alarms/batch (in process)", len(second), http_s, http_out),
        ("(c) report_cases, plain cases, batches of 1000", plain["cases"], plain["seconds"], {}),
    ]:
        shown = ", ".join(f"{k} {v}" for k, v in sorted(out.items()))
        print(f"{label:<52}{n:>9,}{secs:>9.1f}{n / secs:>9,.0f}   {shown}")
    print(f"SQL statements for one batch of {len(probe)} alarms: {queries}")
    (VAR_DIR / f"alarms-{args.db}.json").write_text(
        json.dumps(
            {
                "action": {"alarms": len(first), "seconds": action_s, **action_out},
                "http": {"alarms": len(second), "seconds": http_s, **http_out},
                "plain_cases": plain,
                "queries_per_batch": queries,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
