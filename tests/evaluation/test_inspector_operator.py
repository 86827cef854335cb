"""Indicators of 监督员 and 受理员 (figures counted by hand from the fixtures in conftest:
`march` and `public_march`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from case_steps import Loop, local
from django.db import connection
from django.test.utils import CaptureQueriesContext

from case_support import City
from yiwang.cases.models import Case
from yiwang.evaluation.people import person_rows
from yiwang.evaluation.periods import period_of

MARCH = period_of("month", date(2026, 3, 15))
APRIL = period_of("month", date(2026, 4, 15))


def _by_key(rows: list[Any]) -> dict[Any, Any]:
    return {row.key: row for row in rows}


def test_inspector_indicators(city: City, public_march: dict[str, Case]) -> None:
    rows = _by_key(person_rows(city.users["leader"], MARCH, "inspector"))
    a = rows[city.users["inspector"].pk]
    c = a.counts
    # A's reports in March: a1, a2, a3, a5 (voided), i1, i2 (merged into p4).
    assert (c["reported"], c["valid_reports"], c["invalid_reports"]) == (6, 4, 2)
    assert a.rates["valid_report_rate"] == Decimal(4) / Decimal(6)
    # 漏报: p1 and p4 (public first, real); not p3 (i1 came first), p5 (void), a4 (never
    # registered), p6 (street B). 漏报率 = 2 / (2 + 4 valid reports).
    assert c["missed"] == 2
    assert a.rates["missed_report_rate"] == Decimal(2) / Decimal(6)
    # 核实: p1 (10:00 ≤ 11:00), p4 (14:30 > 11:30), p5 不属实 (10:00 ≤ 11:00) → 2 / 3.
    assert (c["verified"], c["verified_on_time"]) == (3, 2)
    # 核查: a1 and a2, each half an hour after the fix → 2 / 2.
    assert (c["checked"], c["checked_on_time"]) == (2, 2)
    # 40·66.67 + 20·(100 − 33.33) + 20·66.67 + 20·100 = 7333.33… / 100 → 73.33, C.
    assert a.result.score == Decimal("73.33") and a.result.grade == "C"

    b = rows[city.inspector_b.pk]
    # B: b1 valid (1 / 1); p6 missed → 1 / (1 + 1); p6 verified in time; b1 checked in time.
    assert (b.counts["reported"], b.counts["missed"]) == (1, 1)
    assert b.rates == {
        "valid_report_rate": Decimal(1),
        "missed_report_rate": Decimal("0.5"),
        "on_time_verify_rate": Decimal(1),
        "on_time_check_rate": Decimal(1),
    }
    # 40·100 + 20·50 + 20·100 + 20·100 = 9000 / 100 → 90, A; ranked above A's 73.33.
    assert b.result.score == Decimal("90") and b.result.grade == "A"
    assert (b.rank, a.rank) == (1, 2)


def test_inspector_scope_and_area(
    city: City, public_march: dict[str, Case], make_user: Any
) -> None:
    # A street-B leader sees street B's inspector only, with street B's figures.
    leader_b = make_user("leader", "440304002")
    (row,) = person_rows(leader_b, MARCH, "inspector")
    assert row.key == city.inspector_b.pk and row.counts["missed"] == 1
    # A new inspector of street A's community reported nothing: 有效上报率 无数据, but the
    # public found p1 and p4 in their area first → 漏报率 2 / (2 + 0) = 100 %, score 0, E.
    newcomer = make_user("inspector", "440304001001")
    rows = _by_key(person_rows(city.users["leader"], MARCH, "inspector"))
    new = rows[newcomer.pk]
    assert new.counts["missed"] == 2 and new.counts["reported"] == 0
    assert new.rates["valid_report_rate"] is None
    assert new.rates["missed_report_rate"] == Decimal(1)
    assert new.rates["on_time_verify_rate"] is None and new.rates["on_time_check_rate"] is None
    assert new.result.score == Decimal(0) and new.result.grade == "E"


def test_inspector_zero_denominators(city: City, public_march: dict[str, Case]) -> None:
    """April: nothing happened. Every rate is 无数据, and so are the score and the grade."""
    rows = person_rows(city.users["leader"], APRIL, "inspector")
    assert {r.key for r in rows} == {city.users["inspector"].pk, city.inspector_b.pk}
    for row in rows:
        assert set(row.rates.values()) == {None}
        assert (row.result.score, row.result.grade, row.rank) == (None, "无数据", None)


def test_operator_indicators(city: City, public_march: dict[str, Case]) -> None:
    (row,) = person_rows(city.users["leader"], MARCH, "operator")
    assert row.key == city.users["operator"].pk
    c = row.counts
    # 受理: a1, a2, a3, b1, i1 (受理) and p1, p3, p4, p5, p6 (受理并待核实) = 10.
    assert c["accepted"] == 10
    # 派发核实: p1, p5, p6 within the 核实 limit, p4 at 11:40 after its 11:30 → 3 / 4.
    assert (c["verify_sent"], c["verify_sent_on_time"]) == (4, 3)
    # 派发核查: a1, a2, b1 half an hour into a 4-工作时 核查 stage → 3 / 3.
    assert (c["check_sent"], c["check_sent_on_time"]) == (3, 3)
    # 受理数 10 → band ≤100 → 0; 0·25 + 75·40 + 100·35 = 6500 / 100 → 65, C.
    assert row.rates == {
        "verify_send_on_time_rate": Decimal("0.75"),
        "check_send_on_time_rate": Decimal(1),
    }
    assert row.result.score == Decimal("65") and row.result.grade == "C"


def test_operator_zero_denominators(city: City, march: dict[str, Case]) -> None:
    """Only `march`: no 派发核实 at all → 核实按时派发率 无数据, its 40 % shared out."""
    (row,) = person_rows(city.users["leader"], MARCH, "operator")
    assert row.counts["verify_sent"] == 0 and row.rates["verify_send_on_time_rate"] is None
    # 受理数 4 → 0 (weight 25), 核查派发 3 / 3 → 100 (weight 35): 3500 / 60 → 58.33, D.
    assert row.result.score == Decimal("58.33") and row.result.grade == "D"
    assert person_rows(city.users["leader"], APRIL, "operator") == []


def test_fixed_number_of_queries(
    city: City, public_march: dict[str, Case], make_user: Any, django_assert_num_queries: Any
) -> None:
    """No query per person or per case: more inspectors with more reports cost the same."""
    leader = city.users["leader"]
    for kind in ("inspector", "operator"):
        person_rows(leader, MARCH, kind)  # warm caches (scheme, calendar)
    with CaptureQueriesContext(connection) as before:
        person_rows(leader, MARCH, "inspector")
        person_rows(leader, MARCH, "operator")
    loop = Loop(city)
    for n in range(3):
        newcomer = make_user("inspector", "440304001001")
        case = loop.report(by=newcomer, now=local(2026, 3, 20 + n, 9))
        loop.step(case, "accept", now=local(2026, 3, 20 + n, 9, 5))
    with django_assert_num_queries(len(before.captured_queries)):
        rows = person_rows(leader, MARCH, "inspector")
        person_rows(leader, MARCH, "operator")
    assert len(rows) == 5


def test_system_accounts_are_not_evaluated(city: City, march: dict[str, Case]) -> None:
    """The public form's account (公众上报（系统）) 受理s what it files; it is no person."""
    from yiwang.intake.actions.channels import channel_actor

    robot = channel_actor("public")
    loop = Loop(city)
    case = loop.report(source="public", by=robot, now=local(2026, 3, 18, 9))
    loop.step(case, "to_verify", by=robot, now=local(2026, 3, 18, 9))
    (row,) = person_rows(city.users["leader"], MARCH, "operator")
    assert row.key == city.users["operator"].pk and row.counts["accepted"] == 4


def test_api_people_with_no_data(
    client: Any, city: City, march: dict[str, Case], make_user: Any
) -> None:
    """An operator who only 受理d one report: both 派发 rates null (无数据); the score is the
    受理数 band's alone (1 → 0), E. Through `GET /api/evaluation/operator`."""
    newcomer = make_user("operator", "440304")
    loop = Loop(city)
    case = loop.report(now=local(2026, 3, 19, 9))
    loop.step(case, "accept", by=newcomer, now=local(2026, 3, 19, 9, 5))
    client.force_login(city.users["leader"])
    body = client.get("/api/evaluation/operator", {"period": "month", "day": "2026-03-15"}).json()
    rows = {row["key"]: row for row in body["rows"]}
    new = rows[str(newcomer.pk)]
    assert new["rates"] == {"verify_send_on_time_rate": None, "check_send_on_time_rate": None}
    assert (new["score"], new["grade"], new["counts"]["accepted"]) == (0.0, "E", 1)
    parts = {p["indicator"]: p for p in new["parts"]}
    assert parts["accept_count"]["effective_weight"] == 100.0
    assert parts["verify_send_on_time_rate"]["score"] is None
    # The inspectors through the API: the same figures as person_rows.
    inspectors = client.get("/api/evaluation/inspector", {"day": "2026-03-15"}).json()["rows"]
    a = next(r for r in inspectors if r["key"] == str(city.users["inspector"].pk))
    assert a["rates"]["on_time_verify_rate"] is None  # `march` alone: no 核实 task
    assert a["rates"]["valid_report_rate"] == 0.75  # a1, a2, a3 of a1, a2, a3, a5
