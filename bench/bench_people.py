#!/usr/bin/env python
"""People's indicators benchmark: a month's ranking of 监督员, 受理员, 派遣员, 值班长 and
处置人员.

    python bench/bench_people.py [--rows 300000] [--keep]

Builds its own PostgreSQL database (`yiwang_bench_people`) with bench/bench_cases.py's case
fixture (COPY) and bench_evaluation.py's times, then writes the timeline the people's
indicators read with a few INSERT … SELECT statements: every case's 受理 / 受理并待核实 by
the operator, 派发核实 and 核实属实 for the non-inspector sources, 立案, 派遣, 派发核查, 核查通过 by
the street's inspector, 结案 — and the matching 核实, 立案, 派遣, 核查 and 结案 stage records (one
in ten 核实 and one in seven 核查 given a limit already past when the inspector acts, so
the on-time rates are not all 100 %). Inspector-sourced cases are reported by their
street's inspector. Handlers: the department's handler takes (接收任务) and fixes (处置完毕)
every handled case, one 处置 stage record each (one in five past its limit), and one fix
in nine is sent back (核查不通过) half an hour later.

Times over `--runs` runs `evaluation.queries.evaluate(admin, <last full month>, kind,
compare=False)` per person kind, the same with 环比 and 同比, and a hand-written SQL
aggregate of the 受理员 figures, which must give the same counts, and likewise for the
处置人员 figures.
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
from bench_evaluation import FILL_TIMES

REPORTERS = """
UPDATE cases_case c SET reporter_id = m.inspector_id
FROM bench_street_inspector m
WHERE c.street_id = m.street_id AND c.source = 'inspector'
"""

# (transition, actor column of bench_actor or 'inspector', time expression, condition)
EVENTS = [
    ("accept", "operator", "c.reported_at + interval '5 minutes'",
     "c.source = 'inspector' AND c.state <> 'reported'"),
    ("to_verify", "operator", "c.reported_at + interval '5 minutes'",
     "c.source <> 'inspector' AND c.state <> 'reported'"),
    ("send_verify", "operator", "c.reported_at + interval '10 minutes'",
     "c.source <> 'inspector' AND c.registered_at IS NOT NULL"),
    ("verify_confirm", "inspector", "c.reported_at + interval '40 minutes'",
     "c.source <> 'inspector' AND c.registered_at IS NOT NULL"),
    ("register", "shift_lead", "c.registered_at", "c.registered_at IS NOT NULL"),
    ("dispatch", "dispatcher", "c.registered_at + interval '10 minutes'",
     "c.registered_at IS NOT NULL AND c.department_id IS NOT NULL"),
    ("send_check", "operator", "c.handled_at + interval '10 minutes'",
     "c.handled_at IS NOT NULL"),
    ("check_pass", "inspector", "c.handled_at + interval '1 hour'", "c.handled_at IS NOT NULL"),
    ("close", "shift_lead", "c.closed_at", "c.state = 'closed' AND c.closed_at IS NOT NULL"),
]  # fmt: skip

EVENT_SQL = """
INSERT INTO cases_caseevent (case_id, at, actor_id, transition, from_state, to_state, note,
                             data, version)
SELECT c.id, {at}, {actor}, '{name}', '', '', '', '{{}}', 1
FROM cases_case c JOIN bench_street_inspector m ON m.street_id = c.street_id
WHERE {condition}
"""

# (stage, start, due, finish, condition): the move that ends the stage is at `finish`.
RECORDS = [
    ("verify", "c.reported_at + interval '5 minutes'",
     "c.reported_at + CASE WHEN c.id % 10 = 0 THEN interval '30 minutes'"
     " ELSE interval '2 hours' END",
     "c.reported_at + interval '40 minutes'",
     "c.source <> 'inspector' AND c.registered_at IS NOT NULL"),
    ("register", "c.reported_at + interval '5 minutes'", "c.reported_at + interval '2 hours'",
     "c.registered_at", "c.registered_at IS NOT NULL"),
    ("dispatch", "c.registered_at", "c.registered_at + interval '1 hour'",
     "c.registered_at + interval '10 minutes'",
     "c.registered_at IS NOT NULL AND c.department_id IS NOT NULL"),
    ("check", "c.handled_at",
     "c.handled_at + CASE WHEN c.id % 7 = 0 THEN interval '30 minutes' ELSE interval '4 hours' END",
     "c.handled_at + interval '1 hour'", "c.handled_at IS NOT NULL"),
    ("close", "c.handled_at + interval '1 hour'", "c.handled_at + interval '3 hours'",
     "c.closed_at", "c.state = 'closed' AND c.handled_at IS NOT NULL"),
]  # fmt: skip

RECORD_SQL = """
INSERT INTO cases_casestagerecord (case_id, stage, started_at, due_at, limit_amount,
    limit_unit, finished_at, suspended_seconds, suspended_clock_seconds, paused_at)
SELECT c.id, '{stage}', {start}, {due}, 1, 'hours', {finish}, 0, 0, NULL
FROM cases_case c WHERE {condition}
"""

HANDLER_EVENTS = [
    ("accept_task", "c.registered_at + interval '20 minutes'", "c.handled_at IS NOT NULL"),
    ("finish", "c.handled_at", "c.handled_at IS NOT NULL"),
    ("check_fail", "c.handled_at + interval '30 minutes'",
     "c.handled_at IS NOT NULL AND c.id % 9 = 0"),
]  # fmt: skip
HANDLER_EVENT_SQL = """
INSERT INTO cases_caseevent (case_id, at, actor_id, transition, from_state, to_state, note,
                             data, version)
SELECT c.id, {at}, {actor}, '{name}', '', '', '', '{{}}', 1
FROM cases_case c JOIN bench_department_handler h ON h.department_id = c.department_id
WHERE {condition}
"""
HANDLE_RECORDS = """
INSERT INTO cases_casestagerecord (case_id, stage, started_at, due_at, limit_amount,
    limit_unit, finished_at, suspended_seconds, suspended_clock_seconds, paused_at)
SELECT c.id, 'handle', c.registered_at + interval '10 minutes',
       c.handled_at + CASE WHEN c.id % 5 = 0 THEN interval '-1 hour' ELSE interval '1 hour' END,
       1, 'hours', c.handled_at, 0, 0, NULL
FROM cases_case c WHERE c.handled_at IS NOT NULL AND c.registered_at IS NOT NULL
"""

# The 处置人员 figures by hand: 处置数, 按期, 返工 (a rework after the fix, none between).
HAND_HANDLER = """
SELECT e.actor_id,
  COUNT(*) FILTER (WHERE e.transition = 'finish'),
  COUNT(*) FILTER (WHERE e.transition = 'finish' AND EXISTS (
      SELECT 1 FROM cases_casestagerecord r WHERE r.case_id = e.case_id AND r.stage = 'handle'
        AND r.finished_at = e.at AND r.finished_at <= r.due_at)),
  COUNT(*) FILTER (WHERE e.transition = 'finish' AND EXISTS (
      SELECT 1 FROM cases_caseevent w WHERE w.case_id = e.case_id
        AND w.transition IN ('check_fail', 'rework') AND w.at > e.at
        AND NOT EXISTS (SELECT 1 FROM cases_caseevent f WHERE f.case_id = e.case_id
          AND f.transition = 'finish' AND f.at > e.at AND f.at < w.at)))
FROM cases_caseevent e
WHERE e.at >= %(s)s AND e.at < %(e)s AND e.actor_id IS NOT NULL
  AND e.transition IN ('accept_task', 'finish', 'request_return', 'request_extension')
GROUP BY e.actor_id
"""

# The 受理员 figures by hand: one aggregate over the month's moves.
HAND_OPERATOR = """
SELECT e.actor_id,
  COUNT(*) FILTER (WHERE e.transition IN ('accept', 'to_verify')),
  COUNT(*) FILTER (WHERE e.transition = 'send_verify'),
  COUNT(*) FILTER (WHERE e.transition = 'send_verify' AND EXISTS (
      SELECT 1 FROM cases_casestagerecord r WHERE r.case_id = e.case_id AND r.stage = 'verify'
        AND r.started_at <= e.at AND r.due_at >= e.at
        AND (r.finished_at IS NULL OR r.finished_at >= e.at))),
  COUNT(*) FILTER (WHERE e.transition = 'send_check'),
  COUNT(*) FILTER (WHERE e.transition = 'send_check' AND EXISTS (
      SELECT 1 FROM cases_casestagerecord r WHERE r.case_id = e.case_id AND r.stage = 'check'
        AND r.started_at <= e.at AND r.due_at >= e.at
        AND (r.finished_at IS NULL OR r.finished_at >= e.at)))
FROM cases_caseevent e
WHERE e.at >= %(s)s AND e.at < %(e)s AND e.actor_id IS NOT NULL
  AND e.transition IN ('accept', 'to_verify', 'send_verify', 'send_check')
GROUP BY e.actor_id
"""


def _time(runs: int, fn: Any) -> dict[str, float]:
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        took.append(time.perf_counter() - started)
    took.sort()
    return {"p50": statistics.median(took), "max": took[-1]}


def build_timeline(people: Any) -> None:
    from django.db import connection

    from yiwang.org.models import Division

    streets = dict(Division.objects.filter(level="street").values_list("code", "id"))
    pairs = [(streets[code], user.pk) for code, user in people.inspectors.items()]
    actors = {
        "operator": people.operator.pk,
        "shift_lead": people.shift_lead.pk,
        "dispatcher": people.dispatcher.pk,
    }
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE bench_street_inspector (street_id int, inspector_id int)")
        cur.executemany("INSERT INTO bench_street_inspector VALUES (%s, %s)", pairs)
        cur.execute(REPORTERS)
        for name, actor, at, condition in EVENTS:
            who = "m.inspector_id" if actor == "inspector" else str(actors[actor])
            cur.execute(EVENT_SQL.format(name=name, actor=who, at=at, condition=condition))
        for stage, start, due, finish, condition in RECORDS:
            cur.execute(
                RECORD_SQL.format(
                    stage=stage, start=start, due=due, finish=finish, condition=condition
                )
            )
        cur.execute("CREATE TABLE bench_department_handler (department_id int, handler_id int)")
        cur.executemany(
            "INSERT INTO bench_department_handler VALUES (%s, %s)",
            [(dept, handler.pk) for dept, handler in people.handlers.items()],
        )
        for name, at, condition in HANDLER_EVENTS:
            cur.execute(
                HANDLER_EVENT_SQL.format(
                    name=name, actor="h.handler_id", at=at, condition=condition
                )
            )
        cur.execute(HANDLE_RECORDS)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=300_000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--keep", action="store_true", help="reuse an existing bench database")
    p.add_argument("--pg-admin-url", default=bench_cases.PG_ADMIN_URL)
    p.add_argument("--pg-db", default="yiwang_bench_people")
    p.add_argument(
        "--jit-off",
        action="store_true",
        help="SET jit = off for the timed session (PostgreSQL's JIT compiles these "
        "aggregates for ~0.8 s each on this machine, more than they take to run)",
    )
    args = p.parse_args()
    args.db = "postgres"
    url = bench_cases.prepare_database(args)
    bench_cases.setup_django(url)
    from django.db import connection

    from yiwang.cases.models import Case, CaseEvent
    from yiwang.evaluation import queries
    from yiwang.evaluation.periods import period_of
    from yiwang.org.models import User

    if not args.keep:
        people = bench_cases.build_city()
        loaded = bench_cases.load_fixture(people, args.rows)
        print(f"loaded {loaded['cases']:,} cases in {loaded['seconds']:.0f} s")
        started = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(FILL_TIMES)
        build_timeline(people)
        print(f"timeline written in {time.perf_counter() - started:.0f} s")
        bench_cases.analyze()
    if args.jit_off:
        with connection.cursor() as cur:
            cur.execute("SET jit = off")
    total, events = Case.objects.count(), CaseEvent.objects.count()
    admin = User.objects.filter(is_superuser=True).first()
    assert admin is not None
    month = period_of("month", date.today().replace(day=1) - timedelta(days=1))
    start, end = month.bounds

    def hand() -> list[Any]:
        with connection.cursor() as cur:
            cur.execute(HAND_OPERATOR, {"s": start, "e": end})
            return cur.fetchall()

    # Same figures: the hand aggregate and the evaluation agree person by person.
    by_actor = {r[0]: r[1:] for r in hand()}
    for row in queries.evaluate(admin, month, "operator", compare=False):
        c = row.counts
        mine = (
            c["accepted"],
            c["verify_sent"],
            c["verify_sent_on_time"],
            c["check_sent"],
            c["check_sent_on_time"],
        )
        assert by_actor[row.key] == mine, (row.name, by_actor[row.key], mine)

    def hand_handler() -> list[Any]:
        with connection.cursor() as cur:
            cur.execute(HAND_HANDLER, {"s": start, "e": end})
            return cur.fetchall()

    by_handler = {r[0]: r[1:] for r in hand_handler()}
    for row in queries.evaluate(admin, month, "handler", compare=False):
        c = row.counts
        mine = (c["finished"], c["finished_on_time"], c["finish_reworked"])
        assert by_handler[row.key] == mine, (row.name, by_handler[row.key], mine)
    print(f"{total:,} cases, {events:,} timeline rows, {month.label}")
    results = {
        "hand SQL (受理员)": _time(args.runs, hand),
        "hand SQL (处置人员)": _time(args.runs, hand_handler),
    }
    for kind in ("inspector", "operator", "dispatcher", "shift_lead", "handler"):
        rows = queries.evaluate(admin, month, kind, compare=False)
        results[f"{kind} (month)"] = _time(
            args.runs, lambda k=kind: queries.evaluate(admin, month, k, compare=False)
        )
        results[f"{kind} + 环比 + 同比"] = _time(
            args.runs, lambda k=kind: queries.evaluate(admin, month, k)
        )
        graded = ", ".join(f"{r.name} {r.result.score} {r.result.grade}" for r in rows[:3])
        print(f"  {kind}: {len(rows)} people; {graded}")
    # A district leader (bound to a division: the scope joins the case's path).
    leader = User.objects.filter(role="leader").first()
    if leader is not None:
        for kind in ("inspector", "operator"):
            results[f"{kind} (month, 领导)"] = _time(
                args.runs, lambda k=kind: queries.evaluate(leader, month, k, compare=False)
            )
    for name, r in results.items():
        print(f"  {name:28} p50 {r['p50'] * 1000:8.0f} ms   max {r['max'] * 1000:8.0f} ms")
    ratio = results["operator (month)"]["p50"] / results["hand SQL (受理员)"]["p50"]
    print(f"  受理员 evaluate / hand SQL: {ratio:.2f}×")
    ratio = results["handler (month)"]["p50"] / results["hand SQL (处置人员)"]["p50"]
    print(f"  处置人员 evaluate / hand SQL: {ratio:.2f}×")


if __name__ == "__main__":
    main()
