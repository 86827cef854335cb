"""The columns of an evaluation table, shared by the page and its XLSX export, so the file
holds exactly what the page shows (as numbers rather than formatted text)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext, gettext_noop

from yiwang.evaluation.queries import Evaluation, Row
from yiwang.evaluation.scheme import INDICATOR_LABELS
from yiwang.evaluation.scoring import percent

# The counts shown per subject kind (the API has them all).
COUNT_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "region": [
        ("reported", gettext_noop("上报数")),
        ("registered", gettext_noop("立案数")),
        ("due", gettext_noop("应结案数")),
        ("closed", gettext_noop("结案数")),
        ("closed_on_time", gettext_noop("按期结案数")),
    ],
    "department": [
        ("registered", gettext_noop("立案数")),
        ("dispatched", gettext_noop("派遣数")),
        ("finished", gettext_noop("处置数")),
        ("reworked", gettext_noop("返工数")),
    ],
    "inspector": [
        ("reported", gettext_noop("上报数")),
        ("valid_reports", gettext_noop("有效上报数")),
        ("missed", gettext_noop("漏报数")),
        ("verified", gettext_noop("核实数")),
        ("checked", gettext_noop("核查数")),
    ],
    "operator": [
        ("accepted", gettext_noop("受理数")),
        ("verify_sent", gettext_noop("派发核实数")),
        ("check_sent", gettext_noop("派发核查数")),
    ],
    "dispatcher": [
        ("dispatched", gettext_noop("派遣数")),
        ("dispatch_reworked", gettext_noop("返工数")),
    ],
    "shift_lead": [
        ("registered", gettext_noop("立案数")),
        ("registered_voided", gettext_noop("作废数")),
        ("closed", gettext_noop("结案数")),
    ],
    # 按期处置数 is in the API; the page shows its rate (the table must fit 1280 px).
    "handler": [
        ("tasks_accepted", gettext_noop("接收任务数")),
        ("finished", gettext_noop("处置数")),
        ("finish_reworked", gettext_noop("返工数")),
        ("return_requests", gettext_noop("申请回退数")),
        ("extension_requests", gettext_noop("申请延期数")),
    ],
}
# The rates shown per subject kind.
RATE_COLUMNS: dict[str, list[str]] = {
    "region": ["public_report_rate", "register_per_grid", "close_rate", "on_time_close_rate"],
    "department": ["close_rate", "on_time_handle_rate", "rework_rate"],
    "inspector": [
        "valid_report_rate",
        "missed_report_rate",
        "on_time_verify_rate",
        "on_time_check_rate",
    ],
    "operator": ["verify_send_on_time_rate", "check_send_on_time_rate"],
    "dispatcher": ["on_time_dispatch_rate", "accurate_dispatch_rate"],
    "shift_lead": ["on_time_register_rate", "accurate_register_rate", "on_time_close_rate"],
    "handler": ["on_time_handle_rate", "rework_rate", "close_rate"],
}
NOT_A_RATE = {"register_per_grid"}  # an average per grid: shown as a number
NO_DATA = gettext_noop("无数据")


@dataclass(frozen=True)
class Table:
    count_headers: list[str]
    rate_headers: list[str]
    rows: list[dict[str, Any]]

    @property
    def width(self) -> int:
        """Columns of the page's table: rank, name, score, grade, 环比, 同比, counts, rates."""
        return 6 + len(self.count_headers) + len(self.rate_headers)


def _rate_value(key: str, value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if key in NOT_A_RATE:
        return value.quantize(Decimal("0.01"))
    return percent(value)


def trend(now: Decimal | None, then: Decimal | None) -> str:
    if now is None or then is None:
        return ""
    return "up" if now > then else "down" if now < then else "same"


def _row(kind: str, row: Row) -> dict[str, Any]:
    return {
        "row": row,
        "counts": [row.counts.get(key, 0) for key, _ in COUNT_COLUMNS[kind]],
        # (value, is a percentage): None is 无数据
        "rates": [
            (_rate_value(key, row.rates.get(key)), key not in NOT_A_RATE)
            for key in RATE_COLUMNS[kind]
        ],
        "mom": trend(row.result.score, row.previous_score),
        "yoy": trend(row.result.score, row.year_before_score),
    }


def table(result: Evaluation) -> Table:
    kind = result.kind
    return Table(
        count_headers=[label for _, label in COUNT_COLUMNS[kind]],
        rate_headers=[INDICATOR_LABELS[key] for key in RATE_COLUMNS[kind]],
        rows=[_row(kind, row) for row in result.rows],
    )


def export_headers(result: Evaluation) -> list[str]:
    t = table(result)
    return [
        gettext("排名"),
        gettext("名称"),
        gettext("得分"),
        gettext("等级"),
        gettext("上期得分（环比）"),
        gettext("上年同期得分（同比）"),
        *[gettext(h) for h in t.count_headers],
        *[
            gettext(INDICATOR_LABELS[key]) + ("" if key in NOT_A_RATE else "（%）")
            for key in RATE_COLUMNS[result.kind]
        ],
        gettext("统计周期"),
        gettext("考核方案"),
    ]


def export_rows(result: Evaluation) -> list[Sequence[Any]]:
    """One line per subject, in rank order: numbers as numbers, 无数据 as the words."""
    no_data = gettext(NO_DATA)

    def value(v: Decimal | None) -> Any:
        return no_data if v is None else v

    lines: list[Sequence[Any]] = []
    for item in table(result).rows:
        row: Row = item["row"]
        lines.append(
            [
                row.rank if row.rank is not None else no_data,
                row.name,
                value(row.result.score),
                no_data if row.result.score is None else row.result.grade,
                value(row.previous_score),
                value(row.year_before_score),
                *item["counts"],
                *[value(v) for v, _ in item["rates"]],
                result.period.label,
                row.scheme,
            ]
        )
    return lines
