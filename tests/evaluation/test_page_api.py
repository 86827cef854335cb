"""The evaluation page and `GET /api/evaluation/{subject}`: what a leader reads."""

from __future__ import annotations

from typing import Any

from case_support import City
from yiwang.cases.models import Case


def test_leader_reads_the_street_ranking_on_the_page(
    client: Any, city: City, march: dict[str, Case]
) -> None:
    client.force_login(city.users["leader"])
    page = client.get(
        "/evaluation/",
        {"subject": "region", "level": "street", "period": "month", "day": "2026-03-15"},
    ).content.decode()
    table = page[page.index('id="evaluation-table"') :]
    # 园岭 98 A ranked above 南园 56.33 D (figures of tests/evaluation/test_indicators.py).
    assert table.index("园岭街道") < table.index("南园街道")
    assert "56.33" in table and "grade-D" in table and "grade-A" in table
    assert "66.67%" in table  # 南园 结案率 2/3
    assert "2026年3月" in page and "yiwang-default@1" in page
    # 环比: 园岭 98 → 98 (→), 南园 100 → 56.33 (↓).
    assert "trend-same" in table and "trend-down" in table


def test_api_department_scores(client: Any, city: City, march: dict[str, Case]) -> None:
    client.force_login(city.users["leader"])
    response = client.get("/api/evaluation/department", {"period": "month", "day": "2026-03-15"})
    assert response.status_code == 200
    body = response.json()
    assert body["scheme"] == "yiwang-default@1"
    assert body["period"] == {
        "kind": "month",
        "start": "2026-03-01",
        "end": "2026-03-31",
        "label": "2026年3月",
    }
    assert body["previous_period"]["start"] == "2026-02-01"
    (row,) = body["rows"]
    assert (row["rank"], row["score"], row["grade"]) == (1, 82.5, "B")
    assert row["counts"]["registered"] == 4
    parts = {p["indicator"]: p for p in row["parts"]}
    assert parts["register_count"]["score"] == 100.0
    assert parts["rework_rate"]["label"] == "返工率"


def test_api_refusals(client: Any, city: City) -> None:
    client.force_login(city.users["leader"])
    bad = client.get("/api/evaluation/department", {"period": "custom", "day": "2026-03-15"})
    assert bad.status_code == 400 and bad.json()["code"] == "bad_date_range"
    client.force_login(city.users["handler"])
    refused = client.get("/api/evaluation/region")
    assert refused.status_code == 403
    assert client.get("/evaluation/").status_code == 403


def test_api_dispatcher_scores(client: Any, city: City, march: dict[str, Case]) -> None:
    client.force_login(city.users["leader"])
    body = client.get("/api/evaluation/dispatcher", {"day": "2026-03-15"}).json()
    (row,) = body["rows"]
    # a1, a2, a3, b1 dispatched on time, none reworked: 0·20 + 100·40 + 100·40 → 80, B.
    assert (row["counts"]["dispatched"], row["score"], row["grade"]) == (4, 80.0, "B")
