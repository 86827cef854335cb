"""The generated sentences: numbers, changes, 无数据 and the driver of a score change,
against texts written by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from yiwang.reports.bulletins import common as c
from yiwang.reports.bulletins import sentences as s

D = Decimal


def test_counts_and_changes() -> None:
    assert c.n(1234) == "1,234" and c.n(0) == "0"
    assert c.change(1234, 1173) == "上升5.2%"  # 61 / 1173 = 5.20 %
    assert c.change(95, 100) == "下降5.0%"
    assert c.change(1000, 1000) == "持平" and c.change(0, 0) == "持平"
    assert c.versus("环比", 5, 0, "上月无受理") == "上月无受理"
    assert c.versus("环比", 0, 0, "上月无受理") == "环比持平"
    assert c.versus("环比", 0, 4, "上月无受理") == "环比下降100.0%"
    assert c.points(0.921, 0.908) == "提高1.3个百分点"
    assert c.points(0.5, None) is None and c.points(0.5, 0.5) == "持平"
    assert c.pct(None) == "无数据" and c.pct(D("0.9214")) == "92.1%"
    assert c.signed(D("-6.5")) == "−6.5" and c.signed(D("6.5")) == "+6.5"


def test_monthly_overview_as_a_leader_signs_it() -> None:
    o = s.Overview(
        intake=1234,
        previous_intake=1173,
        year_before_intake=1300,
        closed=1100,
        on_time_rate=0.921,
        previous_on_time_rate=0.908,
    )
    assert s.monthly_overview("某市", o) == (
        "本月某市共受理问题1,234件，环比上升5.2%，同比下降5.1%；结案1,100件；"
        "按期处置率92.1%，较上月提高1.3个百分点。"
    )


def test_monthly_overview_without_data() -> None:
    empty = s.Overview(0, 0, 0, 0, None, None)
    assert s.monthly_overview("某市", empty) == (
        "本月某市共受理问题0件，环比持平，同比持平；结案0件；本月无处置完毕的案卷，按期处置率无数据。"
    )


def test_movers_name_the_indicator_that_moved() -> None:
    a = s.Mover(
        "甲街道",
        D("80.0"),
        D("86.5"),
        {"close_rate": D("0.90"), "on_time_close_rate": D("0.70"), "public_report_rate": None},
        {"close_rate": D("0.91"), "on_time_close_rate": D("0.85"), "public_report_rate": D("0.1")},
    )
    b = s.Mover(
        "乙街道",
        D("90.0"),
        D("87.0"),
        {"close_rate": D("0.95"), "rework_rate": D("0.02")},
        {"close_rate": D("0.94"), "rework_rate": D("0.10")},
    )
    assert s.movers_sentence("街道", [a, b]) == (
        "街道中，乙街道综合得分提高最多（+3.0分），主要是返工率下降8.0个百分点；"
        "甲街道综合得分下降最多（−6.5分），主要是按期结案率下降15.0个百分点。"
    )
    assert s.movers_sentence("街道", []) == "街道本月与上月均有得分的对象不足，无法比较得分变化。"
    same = s.Mover("丙", D(80), D(80), {}, {})
    assert s.movers_sentence("街道", [same]) == "街道综合得分与上月持平。"


def test_grades_and_daily_and_weekly_summaries() -> None:
    assert s.grades_sentence("专业部门", {"A": 2, "E": 1}, 1) == (
        "专业部门考核等级：A级2个、E级1个，另有1个无数据。"
    )
    assert s.grades_sentence("派遣员", {}, 0) == "本月无派遣员参与考核。"
    daily = s.daily_summary(
        day=date(2026, 12, 1),
        intake=0,
        previous_intake=3,
        sources=[],
        moved={"registered": 0, "dispatched": 0, "closed": 0},
        overdue=0,
        red=0,
    )
    assert daily == [
        "12月1日未受理问题。",
        "当日立案0件，派遣0件，结案0件。",
        "截至通报生成时，无超期在办案卷。",
    ]
    weekly = s.weekly_summary(
        intake=0,
        previous_intake=0,
        closed=0,
        previous_closed=0,
        top_type=None,
        top_grid=None,
        repeats=0,
        lowest_department=None,
    )
    assert weekly == [
        "本周共受理问题0件，较上周持平；结案0件，较上周持平。",
        "本周未发现重复发生点位。",
    ]
