"""The generated Chinese sentences of the bulletins: pure functions of counts and rates.

Rules a reader can rely on: counts print with thousands separators (1,234); a change of a
count is a percentage of the earlier period (环比上升5.2%), "持平" when it rounds to 0.0, and
"上期为零" when the earlier count is 0 (no ratio exists); a rate without a denominator is
"无数据" and its change is not mentioned (never read as 0 %); a change of a rate is in
percentage points (提高1.3个百分点).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from yiwang.reports.bulletins import common as c

# Indicator names as a bulletin prints them (the evaluation scheme's indicator keys).
INDICATOR_NAMES = {
    "close_rate": "结案率",
    "on_time_close_rate": "按期结案率",
    "on_time_handle_rate": "按期处置率",
    "rework_rate": "返工率",
    "public_report_rate": "监督举报率",
    "register_per_grid": "万平方米立案数",
    "register_count": "立案数",
    "on_time_dispatch_rate": "按时派遣率",
    "accurate_dispatch_rate": "准确派遣率",
    "dispatch_count": "派遣数",
    "on_time_register_rate": "按时立案率",
    "accurate_register_rate": "准确立案率",
    "valid_report_rate": "有效上报率",
    "missed_report_rate": "漏报率",
    "on_time_verify_rate": "按时核实率",
    "on_time_check_rate": "按时核查率",
    "accept_count": "受理数",
    "verify_send_on_time_rate": "核实按时派发率",
    "check_send_on_time_rate": "核查按时派发率",
}
# Rates where less is better: their rise is a worsening.
LOWER_IS_BETTER = {"rework_rate", "missed_report_rate", "public_report_rate"}


def indicator_name(key: str) -> str:
    return INDICATOR_NAMES.get(key, key)


def daily_summary(
    *,
    day: date,
    intake: int,
    previous_intake: int,
    sources: list[tuple[str, int]],
    moved: dict[str, int],
    overdue: int,
    red: int,
) -> list[str]:
    when = f"{day.month}月{day.day}日"
    if intake:
        parts = "、".join(f"{label}{c.n(k)}件" for label, k in sources if k)
        first = (
            f"{when}共受理问题{c.n(intake)}件（{parts}），"
            f"{c.versus('较前一日', intake, previous_intake, '前一日无受理')}。"
        )
    else:
        first = f"{when}未受理问题。"
    second = (
        f"当日立案{c.n(moved['registered'])}件，派遣{c.n(moved['dispatched'])}件，"
        f"结案{c.n(moved['closed'])}件。"
    )
    third = (
        f"截至通报生成时，超期在办案卷{c.n(overdue)}件，其中当日新增红灯案卷{c.n(red)}件。"
        if overdue
        else "截至通报生成时，无超期在办案卷。"
    )
    return [first, second, third]


def weekly_summary(
    *,
    intake: int,
    previous_intake: int,
    closed: int,
    previous_closed: int,
    top_type: tuple[str, int] | None,
    top_grid: tuple[str, int] | None,
    repeats: int,
    lowest_department: tuple[str, Decimal] | None,
) -> list[str]:
    out = [
        f"本周共受理问题{c.n(intake)}件，"
        f"{c.versus('较上周', intake, previous_intake, '上周无受理')}；"
        f"结案{c.n(closed)}件，{c.versus('较上周', closed, previous_closed, '上周无结案')}。"
    ]
    if top_type and top_grid:
        out.append(
            f"受理最多的问题类型是{top_type[0]}（{c.n(top_type[1])}件），"
            f"问题最多的网格是{top_grid[0]}（{c.n(top_grid[1])}件）。"
        )
    out.append(
        f"本周发现重复发生点位{c.n(repeats)}处，请属地和专业部门重点治理。"
        if repeats
        else "本周未发现重复发生点位。"
    )
    if lowest_department:
        out.append(
            f"按期处置率最低的部门是{lowest_department[0]}（{c.pct(lowest_department[1])}）。"
        )
    return out


@dataclass(frozen=True)
class Overview:
    """A month's headline figures, this month / last month / a year earlier."""

    intake: int
    previous_intake: int
    year_before_intake: int
    closed: int
    on_time_rate: float | None  # 按期处置率: handling stages finished in time / finished
    previous_on_time_rate: float | None
    previous_closed: int = 0
    year_before_closed: int = 0


def monthly_overview(division: str, o: Overview) -> str:
    text = (
        f"本月{division}共受理问题{c.n(o.intake)}件，"
        f"{c.versus('环比', o.intake, o.previous_intake, '上月无受理')}，"
        f"{c.versus('同比', o.intake, o.year_before_intake, '去年同期无受理')}；"
        f"结案{c.n(o.closed)}件；"
    )
    if o.on_time_rate is None:
        return text + "本月无处置完毕的案卷，按期处置率无数据。"
    text += f"按期处置率{c.pct(o.on_time_rate)}"
    moved = c.points(o.on_time_rate, o.previous_on_time_rate)
    if moved is None:
        return text + "（上月无数据）。"
    if moved == "持平":
        return text + "，与上月持平。"
    return text + f"，较上月{moved}。"


@dataclass(frozen=True)
class Mover:
    """A subject whose composite score changed: its name, scores and indicator values."""

    name: str
    score: Decimal
    previous: Decimal
    rates: dict[str, Decimal | None]
    previous_rates: dict[str, Decimal | None]

    @property
    def delta(self) -> Decimal:
        return self.score - self.previous


def _driver(m: Mover, worse: bool) -> str:
    """The indicator that moved most in the score's direction, as a clause."""
    best_key, best = "", Decimal(0)
    for key, value in m.rates.items():
        before = m.previous_rates.get(key)
        if value is None or before is None or key == "register_per_grid":
            continue
        good = value - before if key not in LOWER_IS_BETTER else before - value
        effect = -good if worse else good
        if effect > best:
            best_key, best = key, effect
    if not best_key:
        return ""
    value, before = m.rates[best_key], m.previous_rates[best_key]
    assert value is not None and before is not None
    rose = value > before
    verb = "上升" if rose else "下降"
    return f"，主要是{indicator_name(best_key)}{verb}{abs(float(value - before)) * 100:.1f}个百分点"


def movers_sentence(group: str, movers: list[Mover]) -> str:
    """ "XX综合得分提高最多（+6.5分）…；YY下降最多（−6.5分），主要是…" for one group."""
    if not movers:
        return f"{group}本月与上月均有得分的对象不足，无法比较得分变化。"
    up = max(movers, key=lambda m: (m.delta, m.name))
    down = min(movers, key=lambda m: (m.delta, m.name))
    parts = []
    if up.delta > 0:
        parts.append(f"{up.name}综合得分提高最多（{c.signed(up.delta)}分）{_driver(up, False)}")
    if down.delta < 0:
        parts.append(
            f"{down.name}综合得分下降最多（{c.signed(down.delta)}分）{_driver(down, True)}"
        )
    if not parts:
        return f"{group}综合得分与上月持平。"
    return f"{group}中，" + "；".join(parts) + "。"


def grades_sentence(group: str, grades: dict[str, int], no_data: int) -> str:
    if not grades and not no_data:
        return f"本月无{group}参与考核。"
    counted = "、".join(f"{g}级{k}个" for g, k in sorted(grades.items()) if k)
    text = f"{group}考核等级：{counted}" if counted else f"{group}考核等级：无"
    if no_data:
        text += f"，另有{no_data}个无数据"
    return text + "。"
