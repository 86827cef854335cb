"""Scores, bands and grades against STANDARDS.md §4: the 天门 bulletin, the constructed
vectors (computed by hand below) and every band boundary."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from yiwang.core.errors import InvalidInput
from yiwang.evaluation.scheme import GBT_30428_4, score_subject, validate
from yiwang.evaluation.scoring import NO_DATA, percent, rate

D = Decimal


def test_tianmen_bulletin_rates() -> None:
    # 天门市 2016-12: 应结案 972, 结案 911, 按期结案 737; 事件 956/902; 部件 16/9.
    assert percent(rate(911, 972)) == D("93.72")
    assert percent(rate(737, 972)) == D("75.82")
    assert percent(rate(902, 956)) == D("94.35")
    assert percent(rate(9, 16)) == D("56.25")


def test_tianmen_region_score() -> None:
    # No 监督举报率 and no grid count given: those two weights (10 + 20) go to the rates.
    # (30·93.7243 + 40·75.8230) / 70 = 83.4950… → 83.50, grade B.
    result = score_subject(
        GBT_30428_4,
        "region",
        {"close_rate": rate(911, 972), "on_time_close_rate": rate(737, 972)},
    )
    assert result.score == D("83.50")
    assert result.grade == "B"


@pytest.mark.parametrize(
    ("kind", "values", "score", "grade"),
    [
        # 0.95·40 + 0.90·20 + 0.98·20 + 0.90·20 = 38 + 18 + 19.6 + 18
        (
            "inspector",
            {
                "valid_report_rate": 0.95,
                "missed_report_rate": 0.10,
                "on_time_verify_rate": 0.98,
                "on_time_check_rate": 0.90,
            },
            "93.6",
            "A",
        ),
        # 1500 → 90; 90·.25 + 90·.40 + 80·.35 = 22.5 + 36 + 28
        (
            "operator",
            {
                "accept_count": 1500,
                "verify_send_on_time_rate": 0.9,
                "check_send_on_time_rate": 0.8,
            },
            "86.5",
            "B",
        ),
        # 250 → 40; 40·.2 + 95·.4 + 92·.4 = 8 + 38 + 36.8
        (
            "dispatcher",
            {"dispatch_count": 250, "on_time_dispatch_rate": 0.95, "accurate_dispatch_rate": 0.92},
            "82.8",
            "B",
        ),
        # 180 → 75; 75·.1 + 95·.3 + 90·.3 + 95·.3 = 7.5 + 28.5 + 27 + 28.5
        (
            "department",
            {
                "register_count": 180,
                "close_rate": 0.95,
                "on_time_handle_rate": 0.90,
                "rework_rate": 0.05,
            },
            "91.5",
            "A",
        ),
    ],
)
def test_constructed_vectors(kind: str, values: dict, score: str, grade: str) -> None:
    result = score_subject(GBT_30428_4, kind, values)
    assert result.score == D(score)
    assert result.grade == grade


def _operator_count_score(count: int) -> Decimal:
    # Rates at 0 contribute nothing: the composite is 0.25 × the count's 分值.
    result = score_subject(
        GBT_30428_4,
        "operator",
        {"accept_count": count, "verify_send_on_time_rate": 0, "check_send_on_time_rate": 0},
    )
    assert result.score is not None
    return result.score * 4


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, 0),
        (100, 0),
        (101, 40),
        (300, 40),
        (301, 60),
        (500, 60),
        (501, 75),
        (1200, 75),
        (1201, 90),
        (2000, 90),
        (2001, 100),
        (10**9, 100),
    ],
)
def test_workload_band_boundaries(count: int, expected: int) -> None:
    assert _operator_count_score(count) == expected
    dispatcher = score_subject(
        GBT_30428_4,
        "dispatcher",
        {"dispatch_count": count, "on_time_dispatch_rate": 0, "accurate_dispatch_rate": 0},
    )
    assert dispatcher.score == D(expected) * D("0.2")


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, 100),
        (50, 100),
        (51, 90),
        (100, 90),
        (101, 75),
        (200, 75),
        (201, 60),
        (500, 60),
        (501, 40),
        (1000, 40),
        (1001, 0),
    ],
)
def test_department_register_band_boundaries(count: int, expected: int) -> None:
    result = score_subject(
        GBT_30428_4,
        "department",
        {"register_count": count, "close_rate": 0, "on_time_handle_rate": 0, "rework_rate": 1},
    )
    assert result.score == D(expected) * D("0.1")


@pytest.mark.parametrize(
    ("region_class", "per_grid", "expected"),
    [
        ("1", 0, 100),
        ("1", 1, 90),
        ("1", 2, 90),
        ("1", 3, 75),
        ("1", 4, 75),
        ("1", 5, 60),
        ("1", 6, 60),
        ("1", 7, 40),
        ("1", 8, 40),
        ("1", 9, 0),
        ("1", "2.5", 90),
        ("2", 0, 100),
        ("2", 1, 90),
        ("2", 3, 90),
        ("2", 4, 75),
        ("2", 5, 75),
        ("2", 6, 60),
        ("2", 7, 60),
        ("2", 8, 40),
        ("2", 9, 40),
        ("2", 10, 0),
    ],
)
def test_region_per_grid_band_boundaries(
    region_class: str, per_grid: object, expected: int
) -> None:
    result = score_subject(
        GBT_30428_4,
        "region",
        {
            "register_per_grid": Decimal(str(per_grid)),
            "public_report_rate": 1,
            "close_rate": 0,
            "on_time_close_rate": 0,
        },
        region_cls=region_class,
    )
    assert result.score == D(expected) * D("0.2")


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("100", "A"),
        ("90", "A"),
        ("89.99", "B"),
        ("75", "B"),
        ("74.99", "C"),
        ("60", "C"),
        ("59.99", "D"),
        ("40", "D"),
        ("39.99", "E"),
        ("0", "E"),
    ],
)
def test_grade_thresholds(score: str, grade: str) -> None:
    # A shift lead with all three rates equal scores exactly that rate × 100.
    r = D(score) / 100
    result = score_subject(
        GBT_30428_4,
        "shift_lead",
        {"on_time_register_rate": r, "accurate_register_rate": r, "on_time_close_rate": r},
    )
    assert result.score == D(score)
    assert result.grade == grade


def test_zero_denominator_is_no_data_and_weight_is_shared() -> None:
    assert rate(0, 0) is None
    assert percent(rate(0, 0)) is None
    # 按时核查率 has no data: the other 80 % of weight carries the score.
    # (40·95 + 20·90 + 20·98) / 80 = 7560 / 80 = 94.5
    result = score_subject(
        GBT_30428_4,
        "inspector",
        {
            "valid_report_rate": 0.95,
            "missed_report_rate": 0.10,
            "on_time_verify_rate": 0.98,
            "on_time_check_rate": rate(0, 0),
        },
    )
    assert result.score == D("94.5")
    assert result.effective_weights["on_time_check_rate"] == 0
    assert result.effective_weights["valid_report_rate"] == 50
    assert [p.score for p in result.parts][-1] is None


def test_nothing_measured_is_no_data_not_a_grade() -> None:
    result = score_subject(GBT_30428_4, "shift_lead", {})
    assert result.score is None
    assert result.grade == NO_DATA


def test_shipped_scheme_is_valid_and_region_weight_is_40() -> None:
    validate(GBT_30428_4)
    region = {i["indicator"]: i["weight"] for i in GBT_30428_4["subjects"]["region"]}
    assert region["on_time_close_rate"] == 40
    assert sum(region.values()) == 100


def _broken(change) -> dict:  # type: ignore[no-untyped-def]
    definition = copy.deepcopy(GBT_30428_4)
    change(definition)
    return definition


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda d: d["subjects"]["region"][3].update(weight=10), "权重合计应为 100，现为 70"),
        (lambda d: d["bands"]["workload"].pop(0), "第一档应从 0 开始"),
        (lambda d: d["bands"]["workload"].insert(3, [200, 50]), "严格递增"),
        (lambda d: d["bands"]["workload"].append([3000, 120]), "0–100"),
        (lambda d: d["grades"].pop(), "最低等级的下限应为 0"),
        (lambda d: d["grades"].insert(0, ["S", 80]), "严格递减"),
        (lambda d: d["subjects"].pop("dispatcher"), "subjects 应恰好包含"),
        (lambda d: d["subjects"]["inspector"][0].update(indicator="x"), "未知指标"),
        (lambda d: d["region_classes"].update({"420981": "3"}), "每个区域类别"),
        (lambda d: d["subjects"]["operator"][0].update(bands="nope"), "分档表"),
        (lambda d: d["subjects"]["operator"][1].update(weight="abc"), "应为数字"),
    ],
)
def test_invalid_schemes_are_refused(change, fragment: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as caught:
        validate(_broken(change))
    assert fragment in caught.value.message
    assert caught.value.field == "definition"


def test_a_city_scheme_with_other_weights_and_a_class_two_region() -> None:
    def city_weights(d: dict) -> None:
        d["subjects"]["region"] = [
            {"indicator": "close_rate", "weight": 50, "scoring": "rate"},
            {"indicator": "on_time_close_rate", "weight": 30, "scoring": "rate"},
            {
                "indicator": "register_per_grid",
                "weight": 20,
                "scoring": "class_band",
                "bands": {"1": "region_per_grid_1", "2": "region_per_grid_2"},
            },
        ]
        d["region_classes"] = {"420981": "2"}

    definition = _broken(city_weights)
    validate(definition)
    # 50·90 + 30·80 + 20·90 (二类, 3 per grid → 90) = 4500 + 2400 + 1800 → 87.0
    result = score_subject(
        definition,
        "region",
        {"close_rate": 0.9, "on_time_close_rate": 0.8, "register_per_grid": 3},
        region_cls="2",
    )
    assert result.score == D("87.0")
