"""Indicators and scores of streets and departments, from cases moved through the real
actions; every expected figure is counted by hand from the cases built here."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from case_support import City
from yiwang.cases.models import Case
from yiwang.evaluation import queries
from yiwang.evaluation.periods import period_of

MARCH = period_of("month", date(2026, 3, 15))


def test_streets_counted_rated_scored_and_ranked(city: City, march: dict[str, Case]) -> None:
    rows = queries.evaluate(city.users["leader"], MARCH, "region", level="street")
    by_name = {r.name: r for r in rows}
    a, b = by_name["南园街道"], by_name["园岭街道"]
    # Street A: reported a1..a5 (a4 by the public); registered a1, a2, a3; all three due;
    # closed a1, a2; on time a1 only.
    assert {k: a.counts[k] for k in ("reported", "public_reported", "registered")} == {
        "reported": 5,
        "public_reported": 1,
        "registered": 3,
    }
    assert (a.counts["due"], a.counts["closed"], a.counts["closed_on_time"]) == (3, 2, 1)
    assert a.rates["close_rate"] == Decimal(2) / 3
    assert a.rates["on_time_close_rate"] == Decimal(1) / 3
    assert a.rates["register_per_grid"] == 3  # 3 registered / 1 grid → 一类 band 3–4 → 75
    # (1 − 1/5)·100·10 + 75·20 + (200/3)·30 + (100/3)·40 = 800 + 1500 + 2000 + 1333.33 → 56.33
    assert a.result.score == Decimal("56.33") and a.result.grade == "D"
    # Street B: 1 reported, registered, closed on time; 1 per grid → 90.
    # 100·10 + 90·20 + 100·30 + 100·40 = 9800 / 100 → 98
    assert b.result.score == Decimal("98") and b.result.grade == "A"
    assert [r.name for r in rows] == ["园岭街道", "南园街道"]
    assert (b.rank, a.rank) == (1, 2)
    # The current scheme: the project default (the standard's region weights, see test_schemes).
    assert a.scheme == b.scheme == "yiwang-default@1"
    # 环比 (February): B scored 98 too; A had no case, only its grid-count band (0 → 100) is
    # defined, so its score is 100. 同比 (March 2025): no case anywhere.
    assert b.previous_score == Decimal("98")
    assert a.previous_score == Decimal("100")
    assert b.year_before_score == Decimal("100")


def test_department_indicators(city: City, march: dict[str, Case]) -> None:
    rows = queries.evaluate(city.users["leader"], MARCH, "department")
    (municipal,) = rows
    assert municipal.name == city.municipal.name
    c = municipal.counts
    # Registered in March and dispatched to it: a1, a2, a3, b1 (b0 was February).
    assert (c["registered"], c["due"], c["closed"], c["dispatched"]) == (4, 4, 3, 4)
    # Handling stages finished in March: a1, a2 (late), b1.
    assert (c["handle_stages"], c["handled_on_time"], c["finished"], c["reworked"]) == (
        3,
        2,
        3,
        0,
    )
    # 4 立案 → band 100; 100·10 + 75·30 + (200/3)·30 + 100·30 = 8250 / 100 → 82.5
    assert municipal.result.score == Decimal("82.5")
    assert municipal.result.grade == "B"


def test_a_street_leader_sees_only_their_street(
    city: City, march: dict[str, Case], make_user: Any
) -> None:
    leader_b = make_user("leader", "440304002")
    rows = queries.evaluate(leader_b, MARCH, "region", level="street")
    assert [r.name for r in rows] == ["园岭街道"]
    grids = queries.evaluate(leader_b, MARCH, "region", level="grid")
    assert [r.name for r in grids] == ["园东一号网格"]


def test_a_fixed_number_of_queries(
    city: City, march: dict[str, Case], django_assert_max_num_queries: Any
) -> None:
    # 3 periods × (cases, grids, names) plus the scheme: independent of cases and regions.
    with django_assert_max_num_queries(10):
        queries.evaluate(city.users["leader"], MARCH, "region", level="street")
    with django_assert_max_num_queries(13):
        queries.evaluate(city.users["leader"], MARCH, "department")
