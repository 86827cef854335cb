"""Evaluation schemes as data: the shipped GB/T 30428.4 scheme, validation, and scoring a
subject's indicator values with a scheme. Pure (no database); the stored versions are
`evaluation.models.Scheme` rows holding a definition of the shape below.

A definition::

    {"grades": [["A", 90], ["B", 75], ["C", 60], ["D", 40], ["E", 0]],
     "bands": {"workload": [[0, 0], [101, 40], ...], ...},        # [start, score] pairs
     "default_region_class": "1",
     "region_classes": {"420981": "2"},                          # division code → class
     "subjects": {"region": [{"indicator": "close_rate", "weight": 30, "scoring": "rate"},
                             {"indicator": "register_per_grid", "weight": 20,
                              "scoring": "class_band",
                              "bands": {"1": "region_per_grid_1", "2": "region_per_grid_2"}},
                             ...], ...}}

`scoring` is ``rate`` (分值 = rate × 100), ``complement`` ((1 − rate) × 100), ``band``
(``bands`` names one band table) or ``class_band`` (``bands`` maps a region class to a
table). Weights are percentages summing to 100.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_noop

from yiwang.core.errors import InvalidInput
from yiwang.evaluation.scoring import (
    Band,
    Composite,
    Part,
    band_score,
    complement_score,
    composite,
    rate_score,
    to_decimal,
)

SUBJECT_KINDS: dict[str, str] = {
    "inspector": "监督员",
    "operator": "受理员",
    "shift_lead": "值班长",
    "dispatcher": "派遣员",
    "department": "专业部门",
    "region": "区域",
    "handler": "处置人员",
}
# Kinds a scheme may leave out: GB/T 30428.4 (and so `gbt-30428.4@1`, published before
# handlers were evaluated) has no composite for a handler. Scoring a kind the scheme lacks
# gives 无数据 (`score_subject`).
OPTIONAL_KINDS = frozenset({"handler"})
SCORINGS = ("rate", "complement", "band", "class_band")

# GB/T 30428.4 as summarised in STANDARDS.md §4. Frozen: the data migration seeds it as
# version 1; a change is a new version (a new row), never an edit of this constant.
# The region weight of 按期结案率 (W) is 40: the source's 10 % leaves the region weights
# summing to 70, and 40 is the value that makes them sum to 100 (docs/evaluation.md).
GBT_30428_4: dict[str, Any] = {
    "grades": [["A", 90], ["B", 75], ["C", 60], ["D", 40], ["E", 0]],
    "bands": {
        # 受理数 / 派遣数: ≤100 → 0, 101–300 → 40, 301–500 → 60, 501–1200 → 75,
        # 1201–2000 → 90, ≥2001 → 100.
        "workload": [[0, 0], [101, 40], [301, 60], [501, 75], [1201, 90], [2001, 100]],
        # Department 立案数, fewer is better: 0–50 → 100, 51–100 → 90, 101–200 → 75,
        # 201–500 → 60, 501–1000 → 40, >1000 → 0.
        "department_register": [
            [0, 100],
            [51, 90],
            [101, 75],
            [201, 60],
            [501, 40],
            [1001, 0],
        ],
        # Region 立案数 per grid, 一类区域: 0 → 100, 1–2 → 90, 3–4 → 75, 5–6 → 60, 7–8 → 40,
        # ≥9 → 0 (a fractional average falls in the band whose range holds it: 2.5 → 90).
        "region_per_grid_1": [[0, 100], [1, 90], [3, 75], [5, 60], [7, 40], [9, 0]],
        # 二类区域: 0 → 100, 1–3 → 90, 4–5 → 75, 6–7 → 60, 8–9 → 40, ≥10 → 0.
        "region_per_grid_2": [[0, 100], [1, 90], [4, 75], [6, 60], [8, 40], [10, 0]],
    },
    "default_region_class": "1",
    "region_classes": {},
    "subjects": {
        "inspector": [
            {"indicator": "valid_report_rate", "weight": 40, "scoring": "rate"},
            {"indicator": "missed_report_rate", "weight": 20, "scoring": "complement"},
            {"indicator": "on_time_verify_rate", "weight": 20, "scoring": "rate"},
            {"indicator": "on_time_check_rate", "weight": 20, "scoring": "rate"},
        ],
        "operator": [
            {"indicator": "accept_count", "weight": 25, "scoring": "band", "bands": "workload"},
            {"indicator": "verify_send_on_time_rate", "weight": 40, "scoring": "rate"},
            {"indicator": "check_send_on_time_rate", "weight": 35, "scoring": "rate"},
        ],
        "shift_lead": [
            {"indicator": "on_time_register_rate", "weight": 25, "scoring": "rate"},
            {"indicator": "accurate_register_rate", "weight": 40, "scoring": "rate"},
            {"indicator": "on_time_close_rate", "weight": 35, "scoring": "rate"},
        ],
        "dispatcher": [
            {"indicator": "dispatch_count", "weight": 20, "scoring": "band", "bands": "workload"},
            {"indicator": "on_time_dispatch_rate", "weight": 40, "scoring": "rate"},
            {"indicator": "accurate_dispatch_rate", "weight": 40, "scoring": "rate"},
        ],
        "department": [
            {
                "indicator": "register_count",
                "weight": 10,
                "scoring": "band",
                "bands": "department_register",
            },
            {"indicator": "close_rate", "weight": 30, "scoring": "rate"},
            {"indicator": "on_time_handle_rate", "weight": 30, "scoring": "rate"},
            {"indicator": "rework_rate", "weight": 30, "scoring": "complement"},
        ],
        "region": [
            {"indicator": "public_report_rate", "weight": 10, "scoring": "complement"},
            {
                "indicator": "register_per_grid",
                "weight": 20,
                "scoring": "class_band",
                "bands": {"1": "region_per_grid_1", "2": "region_per_grid_2"},
            },
            {"indicator": "close_rate", "weight": 30, "scoring": "rate"},
            {"indicator": "on_time_close_rate", "weight": 40, "scoring": "rate"},
        ],
    },
}

# The project's default scheme, `yiwang-default` version 1 (data migration
# `0003_seed_project_default_scheme`): GB/T 30428.4 as above for every subject it covers,
# plus a composite for 处置人员 (handlers), for which the standard gives none. The handler
# weights are this project's choice, modelled on the 专业部门 formula (结案率 30 + 按期处置率 30
# + (1 − 返工率) 30 + 立案数 band 10) with what a handler controls: 按期处置率 40 %,
# (1 − 返工率) 40 %, 处置数 band 20 % (结案 is the command centre's move, so the 结案率 of the
# cases they finished is shown but not weighted). The 处置数 band is a guess for one month of
# one person's work, not from any source. Frozen like GBT_30428_4: a change is a new version.
HANDLER_SUBJECT: list[dict[str, Any]] = [
    {"indicator": "finish_count", "weight": 20, "scoring": "band", "bands": "handler_finish"},
    {"indicator": "on_time_handle_rate", "weight": 40, "scoring": "rate"},
    {"indicator": "rework_rate", "weight": 40, "scoring": "complement"},
]
# 处置数 of one handler: 0 → 0, 1–10 → 40, 11–30 → 60, 31–60 → 75, 61–100 → 90, ≥101 → 100.
HANDLER_FINISH_BANDS = [[0, 0], [1, 40], [11, 60], [31, 75], [61, 90], [101, 100]]
PROJECT_DEFAULT: dict[str, Any] = {
    **copy.deepcopy(GBT_30428_4),
    "bands": {**copy.deepcopy(GBT_30428_4["bands"]), "handler_finish": HANDLER_FINISH_BANDS},
    "subjects": {**copy.deepcopy(GBT_30428_4["subjects"]), "handler": HANDLER_SUBJECT},
}

# Chinese names of the indicators (the API's labels; pages translate them).
INDICATOR_LABELS: dict[str, str] = {
    "valid_report_rate": gettext_noop("有效上报率"),
    "missed_report_rate": gettext_noop("漏报率"),
    "on_time_verify_rate": gettext_noop("按时核实率"),
    "on_time_check_rate": gettext_noop("按时核查率"),
    "accept_count": gettext_noop("受理数"),
    "verify_send_on_time_rate": gettext_noop("核实按时派发率"),
    "check_send_on_time_rate": gettext_noop("核查按时派发率"),
    "on_time_register_rate": gettext_noop("按时立案率"),
    "accurate_register_rate": gettext_noop("准确立案率"),
    "on_time_close_rate": gettext_noop("按期结案率"),
    "dispatch_count": gettext_noop("派遣数"),
    "on_time_dispatch_rate": gettext_noop("按时派遣率"),
    "accurate_dispatch_rate": gettext_noop("准确派遣率"),
    "register_count": gettext_noop("立案数"),
    "close_rate": gettext_noop("结案率"),
    "on_time_handle_rate": gettext_noop("按期处置率"),
    "rework_rate": gettext_noop("返工率"),
    "public_report_rate": gettext_noop("监督举报率"),
    "register_per_grid": gettext_noop("网格平均立案数"),
    "finish_count": gettext_noop("处置数"),
}


def _number(value: Any, field: str) -> Decimal:
    if isinstance(value, bool):
        raise InvalidInput("scheme_invalid", f"{field}：应为数字", field="definition")
    try:
        number = to_decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInput("scheme_invalid", f"{field}：应为数字", field="definition") from None
    if not number.is_finite():
        raise InvalidInput("scheme_invalid", f"{field}：应为有限数字", field="definition")
    return number


def _fail(message: str) -> InvalidInput:
    return InvalidInput("scheme_invalid", message, field="definition")


def bands_of(definition: Mapping[str, Any], name: str) -> list[Band]:
    return [
        Band(to_decimal(start), to_decimal(score)) for start, score in definition["bands"][name]
    ]


def validate(definition: Any) -> None:
    """Refuse a definition that could not score every subject: InvalidInput says where."""
    if not isinstance(definition, dict):
        raise _fail("方案应为 JSON 对象")
    for key in ("grades", "bands", "subjects"):
        if key not in definition:
            raise _fail(f"缺少 {key}")
    grades = definition["grades"]
    if not isinstance(grades, list) or not grades:
        raise _fail("grades：至少一个等级")
    previous: Decimal | None = None
    for entry in grades:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
            raise _fail("grades：每项应为 [等级, 下限]")
        lower = _number(entry[1], f"grades {entry[0]}")
        if previous is not None and lower >= previous:
            raise _fail("grades：下限应从高到低严格递减")
        previous = lower
    if previous != 0:
        raise _fail("grades：最低等级的下限应为 0（覆盖全部分数）")
    bands = definition["bands"]
    if not isinstance(bands, dict):
        raise _fail("bands 应为对象")
    for name, table in bands.items():
        if not isinstance(table, list) or not table:
            raise _fail(f"bands {name}：至少一档")
        last: Decimal | None = None
        for entry in table:
            if not (isinstance(entry, list) and len(entry) == 2):
                raise _fail(f"bands {name}：每档应为 [起点, 分值]")
            start = _number(entry[0], f"bands {name}")
            score = _number(entry[1], f"bands {name}")
            if last is None and start != 0:
                raise _fail(f"bands {name}：第一档应从 0 开始（0 到无穷大不留空档）")
            if last is not None and start <= last:
                raise _fail(f"bands {name}：各档起点应严格递增")
            if not 0 <= score <= 100:
                raise _fail(f"bands {name}：分值应在 0–100 之间")
            last = start
    classes = {str(definition.get("default_region_class", "1"))} | {
        str(c) for c in (definition.get("region_classes") or {}).values()
    }
    subjects = definition["subjects"]
    required = [kind for kind in SUBJECT_KINDS if kind not in OPTIONAL_KINDS]
    if not isinstance(subjects, dict) or not set(required) <= set(subjects) <= set(SUBJECT_KINDS):
        raise _fail(
            "subjects 应恰好包含："
            + "、".join(SUBJECT_KINDS[k] for k in required)
            + "；可另含："
            + "、".join(SUBJECT_KINDS[k] for k in sorted(OPTIONAL_KINDS))
        )
    for kind, items in subjects.items():
        label = SUBJECT_KINDS[kind]
        if not isinstance(items, list) or not items:
            raise _fail(f"{label}：至少一项指标")
        total = Decimal(0)
        seen: set[str] = set()
        for item in items:
            if not isinstance(item, dict) or item.get("indicator") not in INDICATOR_LABELS:
                raise _fail(f"{label}：未知指标 {item!r}")
            if item["indicator"] in seen:
                raise _fail(f"{label}：指标重复 {item['indicator']}")
            seen.add(item["indicator"])
            weight = _number(item.get("weight"), f"{label} 权重")
            if weight <= 0:
                raise _fail(f"{label}：权重应大于 0")
            total += weight
            scoring = item.get("scoring")
            if scoring not in SCORINGS:
                raise _fail(f"{label}：计分方式应为 {'/'.join(SCORINGS)}")
            if scoring == "band" and item.get("bands") not in bands:
                raise _fail(f"{label}：分档表 {item.get('bands')!r} 不存在")
            if scoring == "class_band":
                tables = item.get("bands")
                if not isinstance(tables, dict) or not classes <= set(tables):
                    raise _fail(f"{label}：每个区域类别都要有分档表")
                if any(t not in bands for t in tables.values()):
                    raise _fail(f"{label}：分档表不存在")
        if total != 100:
            raise _fail(f"{label}：权重合计应为 100，现为 {total}")


def region_class(definition: Mapping[str, Any], division_code: str) -> str:
    classes = definition.get("region_classes") or {}
    return str(classes.get(division_code, definition.get("default_region_class", "1")))


def score_subject(
    definition: Mapping[str, Any],
    kind: str,
    values: Mapping[str, Decimal | int | float | None],
    region_cls: str | None = None,
) -> Composite:
    """The composite of one subject from its indicator values (rates as fractions, counts
    as numbers, None for 无数据). A missing key counts as 无数据; a kind the scheme does not
    score (an optional kind, e.g. handlers under `gbt-30428.4@1`) has no parts and is 无数据."""
    thresholds = [(name, to_decimal(lower)) for name, lower in definition["grades"]]
    if kind not in definition["subjects"]:
        return composite([], thresholds)
    parts = []
    for item in definition["subjects"][kind]:
        value = values.get(item["indicator"])
        scoring = item["scoring"]
        score: Decimal | None
        if scoring == "rate":
            score = rate_score(value)
        elif scoring == "complement":
            score = complement_score(value)
        elif scoring == "band":
            score = band_score(bands_of(definition, item["bands"]), value)
        else:
            cls = region_cls or str(definition.get("default_region_class", "1"))
            score = band_score(bands_of(definition, item["bands"][cls]), value)
        parts.append(Part(item["indicator"], to_decimal(item["weight"]), score))
    return composite(parts, thresholds)
