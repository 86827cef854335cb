"""Bulletin content against cases with known timelines, counted by hand
(`bulletin_support.march_day`: street A of 深圳市, around Monday 2 March 2026)."""

from __future__ import annotations

from datetime import date
from typing import Any

import h3
import pytest
from bulletin_support import local, march_day

from case_support import POINT_A, City
from yiwang.evaluation.queries import SUBJECT_KINDS
from yiwang.org.models import Division
from yiwang.reports import actions as spot_actions
from yiwang.reports.bulletins.build import build_daily, build_monthly, build_weekly
from yiwang.reports.bulletins.content import BulletinContent, Table


def table(content: BulletinContent, title: str) -> Table:
    for section in content.sections:
        for block in section.blocks:
            if isinstance(block, Table) and block.title == title:
                return block
    raise AssertionError(f"no table {title}")


def chart(content: BulletinContent, title: str) -> Any:
    for section in content.sections:
        for block in section.blocks:
            if block.type == "chart" and block.title == title:
                return block
    raise AssertionError(f"no chart {title}")


@pytest.fixture
def shenzhen(city: City) -> Division:
    march_day(city)
    return Division.objects.get(code="440300")


def test_daily_counts_by_hand(shenzhen: Division) -> None:
    content = build_daily(shenzhen, date(2026, 3, 2), now=local(2026, 3, 3, 8))
    assert content.period_label == "2026年3月2日"
    assert content.title == "深圳市2026年3月2日城市管理问题日盘点"
    # Reported on 2 March: c1, c6 (inspector), c2 (public); on 1 March: c3, c4.
    assert content.summary[0] == (
        "3月2日共受理问题3件（监督员上报2件、公众上报1件），较前一日上升50.0%。"
    )
    by_source = {row[0]: row[1] for row in table(content, "按来源统计").rows}
    assert by_source["监督员上报"] == 2 and by_source["公众上报"] == 1
    assert by_source["12345热线"] == 0 and by_source["合计"] == 3
    assert table(content, "按问题类型统计（前10类）").rows == [["06001", "私搭乱建", 3]]
    pie = chart(content, "受理来源构成")
    assert pie.categories == ["监督员上报", "公众上报"] and pie.series[0].data == [2, 1]
    # Moves on 2 March: 立案 c1, c3; 派遣 c1, c3; 结案 c4.
    assert table(content, "当日流转").rows == [["立案", 2], ["派遣", 2], ["结案", 1]]
    assert content.summary[1] == "当日立案2件，派遣2件，结案1件。"
    # Open with a stage deadline before 3 March 00:00: c5 (受理, 26 Feb 10:00), c2 (受理,
    # 2 March 11:00) with the command centre; c1 (处置 4 工作时 from 09:00 → 15:00) and c3
    # (from 10:00 → 16:00) with the municipal centre. c6 is due 3 March 08:30.
    overdue = {row[0]: row[1] for row in table(content, "超期在办案卷（按部门）").rows}
    assert overdue == {"未派遣（指挥中心）": 2, "福田区市政设施管理中心": 2}
    red = table(content, "当日新增红灯案卷")
    assert [row[5] for row in red.rows] == ["03-02 11:00", "03-02 15:00", "03-02 16:00"]
    assert red.note.startswith("共3件")
    assert content.summary[2] == "截至通报生成时，超期在办案卷4件，其中当日新增红灯案卷3件。"


def test_daily_of_a_day_without_cases(shenzhen: Division) -> None:
    content = build_daily(shenzhen, date(2026, 3, 5), now=local(2026, 3, 6, 8))
    assert content.summary[0] == "3月5日未受理问题。"
    assert table(content, "当日流转").rows == [["立案", 0], ["派遣", 0], ["结案", 0]]
    assert table(content, "当日新增红灯案卷").rows == []
    assert chart(content, "受理来源构成").categories == []
    # Overdue is counted as of the bulletin (cases still open with deadlines long past).
    assert {row[0]: row[1] for row in table(content, "超期在办案卷（按部门）").rows} == {
        "未派遣（指挥中心）": 3,
        "福田区市政设施管理中心": 2,
    }


def test_weekly_trend_types_grids_repeats_and_on_time_rates(shenzhen: Division) -> None:
    content = build_weekly(shenzhen, date(2026, 3, 4), now=local(2026, 3, 9, 8))
    assert content.period_start == "2026-03-02" and content.period_end == "2026-03-08"
    assert content.period_label == "2026年第10周（3月2日—3月8日）"
    trend = chart(content, "每日受理、结案（本周与上周）")
    assert trend.kind == "line" and len(trend.categories) == 7
    series = {s.name: s.data for s in trend.series}
    assert series["本周受理"] == [3, 0, 0, 0, 0, 0, 0]
    # The week before (23 Feb – 1 March): c5 on Thursday, c3 and c4 on Sunday.
    assert series["上周受理"] == [0, 0, 0, 1, 0, 0, 2]
    assert series["本周结案"] == [1, 0, 0, 0, 0, 0, 0]
    assert series["上周结案"] == [0] * 7
    assert content.summary[0] == "本周共受理问题3件，较上周持平；结案1件，上周无结案。"
    assert table(content, "受理最多的问题类型（前10类）").rows == [["06001", "私搭乱建", 3, 2]]
    assert table(content, "问题最多的网格（前10个）").rows == [
        ["440304001001001", "南华一号网格", "南园街道", 3]
    ]
    # c1, c2 and c6: the same type at the same point within 9 hours.
    repeats = table(content, "重复发生点位")
    cell = h3.latlng_to_cell(POINT_A[1], POINT_A[0], 9)
    assert [row[:3] for row in repeats.rows] == [[cell, "私搭乱建（06001）", 3]]
    # c4's handling stage (4 工作时 from Monday 08:00, the clock idle on Sunday) finished
    # Monday 11:00: in time. The week before: no handling finished.
    rates = table(content, "部门按期处置率")
    assert rates.rows == [["福田区市政设施管理中心", 1, 1, "100.0%", "无数据", "—"]]
    assert "按期处置率最低的部门是福田区市政设施管理中心（100.0%）。" in content.summary


def test_monthly_overview_rankings_and_spot(city: City) -> None:
    march_day(city)
    shenzhen = Division.objects.get(code="440300")
    cell = h3.latlng_to_cell(POINT_A[1], POINT_A[0], 9)
    spot_actions.supervise(
        city.users["leader"],
        cell=cell,
        frequency_days=7,
        reason="私搭乱建反复",
        now=local(2026, 3, 2, 12),
    )
    content = build_monthly(shenzhen, date(2026, 3, 15), now=local(2026, 4, 1, 8))
    assert content.period_label == "2026年3月"
    assert content.scheme
    # March: c3, c4 (1st), c1, c2, c6 (2nd) = 5; February: c5 = 1; March 2025: none.
    # Handling finished in March: c4's, in time → 100.0%; none in February.
    assert content.summary[0] == (
        "本月深圳市共受理问题5件，环比上升400.0%，去年同期无受理；结案1件；"
        "按期处置率100.0%（上月无数据）。"
    )
    headline = table(content, "主要指标").rows
    assert headline[0][:5] == ["受理数（件）", 5, 1, "上升400.0%", 0]
    assert headline[1][:3] == ["按期处置率", "100.0%", "无数据"]
    # 结案 in March: c4; in February and March 2025: none.
    assert headline[2] == ["结案数（件）", 1, 0, "上期为零", 0, "上期为零"]
    # A ranking for every subject kind the evaluation supports.
    titles = {
        block.title
        for section in content.sections
        for block in section.blocks
        if isinstance(block, Table)
    }
    names = {
        "region": "街道",
        "department": "专业部门",
        "dispatcher": "派遣员",
        "shift_lead": "值班长",
        "inspector": "监督员",
        "operator": "受理员",
        "handler": "处置人员",
    }
    for kind in SUBJECT_KINDS:
        assert f"{names.get(kind, kind)}综合评价排名" in titles
    streets = table(content, "街道综合评价排名")
    # Both streets have a grid, so both are evaluated (a count per grid is defined).
    assert sorted(row[1] for row in streets.rows) == ["南园街道", "园岭街道"]
    # Street A in February: one report (c5), not public → 监督举报率 0 %, nothing else
    # defined; in March 1 public report of 5 → 20 %: the one indicator defined in both
    # months, and it worsened by 20 points.
    sentence = content.summary[1]
    assert sentence.startswith("街道中，南园街道综合得分下降最多（−")
    assert sentence.endswith("分），主要是监督举报率上升20.0个百分点。")
    # No department had a score in February (its first case was dispatched on 1 March).
    assert content.summary[2] == "专业部门本月与上月均有得分的对象不足，无法比较得分变化。"
    # The spot: supervised from 2 March 12:00; "after" = 2 March 12:00 → 1 April 00:00
    # (29.5 days): c6. "Before" = the 29.5 days before: 1 Feb 00:00 → 2 March 12:00:
    # c5, c3, c4, c1, c2.
    spots = table(content, "重点监管点位监管前后对比")
    assert len(spots.rows) == 1
    row = spots.rows[0]
    assert row[0] == cell and row[4] == 1 and row[6] == 5 and row[7] == "下降80.0%"
    assert row[3] == "03-02 12:00 至 04-01 00:00" and row[5] == "02-01 00:00 至 03-02 12:00"


def test_a_street_bulletin_counts_only_its_street(city: City) -> None:
    march_day(city)
    street_b = Division.objects.get(code="440304002")
    content = build_daily(street_b, date(2026, 3, 2), now=local(2026, 3, 3, 8))
    assert content.summary[0] == "3月2日未受理问题。"
    assert table(content, "超期在办案卷（按部门）").rows == []


def test_weekly_and_monthly_of_empty_periods(city: City) -> None:
    shenzhen = Division.objects.get(code="440300")
    weekly = build_weekly(shenzhen, date(2025, 6, 4), now=local(2025, 6, 9, 8))
    assert weekly.summary == [
        "本周共受理问题0件，较上周持平；结案0件，较上周持平。",
        "本周未发现重复发生点位。",
    ]
    assert table(weekly, "部门按期处置率").rows == []
    monthly = build_monthly(shenzhen, date(2025, 6, 1), now=local(2025, 7, 1, 8))
    assert monthly.summary[0] == (
        "本月深圳市共受理问题0件，环比持平，同比持平；结案0件；"
        "本月无处置完毕的案卷，按期处置率无数据。"
    )
    assert "专业部门本月与上月均有得分的对象不足，无法比较得分变化。" in monthly.summary
    assert table(monthly, "专业部门综合评价排名").note == "本月无专业部门参与考核。"
    texts = [b.text for s in monthly.sections for b in s.blocks if b.type == "paragraph"]
    assert "本月无重点监管点位。" in texts
