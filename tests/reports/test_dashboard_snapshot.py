"""The dashboard's cost at scale: its open-case queries meet the partial indexes made for them,
and the open-case counts are a per-scope snapshot never older than `SNAPSHOT_SECONDS`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dashboard_support import build_day
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from case_support import POINT_B, City
from yiwang.cases import actions
from yiwang.reports import dashboard

DASHBOARD_INDEXES = ("case_open_due", "case_open_scope_counts")  # cases migration 0010
OPEN_CONDITION = "NOT (\"cases_case\".\"state\" IN ('closed', 'voided', 'merged'))"


def plans(user: Any) -> dict[str, str]:
    """Each open-case query of one poll (keyed by what it groups or orders by) and its plan."""
    with CaptureQueriesContext(connection) as run:
        dashboard.dashboard(user)
    out = {}
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # A test database is tiny: the planner would rather read the table. What is
            # checked is that the index *can* serve the query (its condition is implied).
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute("SET LOCAL enable_bitmapscan = off")
        for q in run.captured_queries:
            sql = q["sql"]
            if OPEN_CONDITION not in sql:
                continue
            key = next(
                k for k in ("grid__code", "type__code", "department__name", "number") if k in sql
            )
            cur.execute(connection.ops.explain_query_prefix() + " " + sql)
            out[key] = "\n".join(str(row[-1]) for row in cur.fetchall())
    return out


@pytest.mark.django_db
def test_open_case_queries_read_the_partial_indexes(city: City) -> None:
    build_day(city, n=8, old=2)
    found = plans(city.users["leader"])
    # The four queries over the open cases carry the indexes' condition word for word.
    assert set(found) == {"grid__code", "type__code", "department__name", "number"}
    # Either database uses a partial index only when the query implies its condition (SQLite:
    # the very same terms), so a plan naming one shows that the filter matches.
    for key in ("grid__code", "type__code", "number"):
        assert any(name in found[key] for name in DASHBOARD_INDEXES), found[key]
    if connection.vendor == "postgresql":
        for key in ("grid__code", "type__code", "department__name"):
            assert "Index Only Scan using case_open_scope_counts" in found[key], found[key]
            # The scope's prefix is a range of the index (varchar_pattern_ops), not a filter.
            assert "~>=~" in found[key], found[key]


def bucket_start(offset: int) -> datetime:
    """The start of the snapshot bucket `offset` buckets after the current one."""
    size = dashboard.SNAPSHOT_SECONDS
    now = datetime.now(UTC).timestamp()
    return datetime.fromtimestamp((int(now) // size + offset) * size, UTC)


def report_one(city: City) -> None:
    actions.report_case(
        city.users["operator"],
        kind="matter",
        type_code="06001",
        title="快照之后上报",
        lon=POINT_B[0],
        lat=POINT_B[1],
        source="hotline",
    )


@pytest.mark.django_db
def test_counts_are_shared_within_a_bucket_and_never_older(city: City) -> None:
    leader = city.users["leader"]
    day = build_day(city, n=6, old=1)
    size = dashboard.SNAPSHOT_SECONDS
    t0 = bucket_start(2)  # a bucket that starts after this test's cases (a minute at most)
    first = dashboard.dashboard(leader, now=t0, shared=True)
    assert first["kpi"]["open"] == 6 + 1 - day.closed == 7  # none of six reached 结案
    assert first["counts_at"] == first["generated_at"]  # this poll took the snapshot

    report_one(city)
    late = t0 + timedelta(seconds=size - 1)  # the last second of the same bucket
    same = dashboard.dashboard(leader, now=late, shared=True)
    # Today's figures are read now; the open-case counts are the bucket's snapshot.
    assert same["kpi"]["reported"] == first["kpi"]["reported"] + 1
    assert same["kpi"]["open"] == first["kpi"]["open"]
    assert same["grids"] == first["grids"] and same["types"] == first["types"]
    assert same["counts_at"] == first["generated_at"]
    age = datetime.fromisoformat(same["generated_at"]) - datetime.fromisoformat(same["counts_at"])
    assert age == timedelta(seconds=size - 1) < timedelta(seconds=size)
    # The live cases are read now: the new case is on the map already.
    assert "快照之后上报" in {c["title"] for c in same["cases"]}
    # Unshared, the same moment reads the new case.
    assert dashboard.dashboard(leader, now=late)["kpi"]["open"] == first["kpi"]["open"] + 1

    after = dashboard.dashboard(leader, now=t0 + timedelta(seconds=size), shared=True)
    assert after["kpi"]["open"] == first["kpi"]["open"] + 1
    assert after["counts_at"] == after["generated_at"]


@pytest.mark.django_db
def test_snapshot_is_per_scope(city: City, make_user: Any) -> None:
    build_day(city, n=12, old=2)
    street_b = make_user("leader", "440304002")
    t0 = bucket_start(2)
    whole = dashboard.dashboard(city.users["leader"], now=t0, shared=True)
    street = dashboard.dashboard(street_b, now=t0, shared=True)
    # The street's leader gets the street's counts, not the district's snapshot.
    assert {g["code"] for g in street["grids"]} == {"440304002001001"}
    assert 0 < street["kpi"]["open"] < whole["kpi"]["open"]
    assert street == dashboard.dashboard(street_b, now=t0)  # its own, equal to a fresh read


@pytest.mark.django_db
def test_endpoint_says_how_old_its_counts_are(city: City) -> None:
    build_day(city, n=4, old=1)
    client = Client()
    client.force_login(city.users["leader"])
    for _ in range(3):
        data = client.get("/reports/dashboard/data/").json()
        generated = datetime.fromisoformat(data["generated_at"])
        counts = datetime.fromisoformat(data["counts_at"])
        assert timedelta(0) <= generated - counts < timedelta(seconds=dashboard.SNAPSHOT_SECONDS)
        assert data["kpi"]["open"] == 4 + 1
