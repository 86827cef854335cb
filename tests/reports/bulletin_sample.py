"""A realistic monthly bulletin's content, built by hand (not from cases) for the file tests
and the benchmark: a city of ~100 streets and ~100 departments, six sections, charts of
every kind, tables up to several hundred rows."""

from __future__ import annotations

import random

from yiwang.reports.bulletins.content import (
    BulletinContent,
    Chart,
    Paragraph,
    Section,
    Series,
    Table,
)

SOURCES = ["监督员上报", "12345热线", "公众上报", "视频智能识别", "无人机巡查", "传感器告警"]
TYPES = [
    "暴露垃圾",
    "占道经营",
    "乱堆物料",
    "机动车乱停放",
    "道路破损",
    "井盖缺失",
    "绿化损毁",
    "违章广告",
    "非机动车乱停放",
    "积存垃圾渣土",
    "店外经营",
    "施工废弃料",
    "沿街晾挂",
    "废弃家具",
    "路灯不亮",
    "护栏损坏",
    "雨水篦子堵塞",
    "工地扬尘",
    "油烟污染",
    "噪声扰民",
]
GRADES = ["A", "B", "C", "D", "E"]
_PLACES = "东西南北中新老城港湖山河桥园林海龙凤金银"


def _street(i: int) -> str:
    return f"{_PLACES[i % len(_PLACES)]}{_PLACES[(i * 7 + 3) % len(_PLACES)]}第{i + 1}街道"


def _department(i: int) -> str:
    kinds = ["城管执法中队", "环卫所", "市政养护所", "园林绿化所", "交警大队", "供电所"]
    return f"{_street(i)[:-2]}{kinds[i % len(kinds)]}"


def monthly_content(
    *,
    streets: int = 100,
    departments: int = 100,
    ranking_rows: int = 200,
    inspectors: int = 300,
    seed: int = 8,
) -> BulletinContent:
    """Six sections; charts: line, pie, bar ×3, hbar ×3, plus one empty chart = 9 (one more
    hbar when ``streets`` ≥ 20 makes 10); tables: ten, the street ranking ``ranking_rows``
    long (streets repeat with a (2) suffix past ``streets``), the inspectors ``inspectors``."""
    rnd = random.Random(seed)
    days = [f"11月{d}日" for d in range(1, 31)]
    intake = [rnd.randint(900, 1400) for _ in days]
    closed: list[int | None] = [v - rnd.randint(20, 120) for v in intake]
    closed[11] = None  # a day without data: a gap
    by_source = [rnd.randint(200, 12000) for _ in SOURCES]
    by_source_last = [round(v * rnd.uniform(0.8, 1.2)) for v in by_source]
    by_type = sorted((rnd.randint(100, 6000) for _ in TYPES), reverse=True)
    street_names = [_street(i) for i in range(streets)]
    ranking = []
    for i in range(ranking_rows):
        name = street_names[i % streets] + ("" if i < streets else f"（{i // streets + 1}）")
        reported = rnd.randint(50, 3000)
        registered = reported - rnd.randint(0, 40)
        closed_n = registered - rnd.randint(0, 60)
        rate = round(rnd.uniform(70, 100), 1)
        score = round(rnd.uniform(60, 100), 2)
        ranking.append([name, reported, registered, closed_n, rate, score])
    ranking.sort(key=lambda r: -r[5])
    ranking_rows_out = [
        [i + 1, *r, GRADES[min(int((100 - r[5]) // 8), 4)]] for i, r in enumerate(ranking)
    ]
    dept_rows = []
    for i in range(departments):
        received = rnd.randint(10, 900)
        on_time = rnd.randint(int(received * 0.6), received)
        dept_rows.append(
            [
                _department(i),
                received,
                on_time,
                f"{on_time / received * 100:.1f}%",
                rnd.randint(0, 30),
                round(rnd.uniform(2, 60), 1),
            ]
        )
    dept_rows.sort(key=lambda r: -r[2] / r[1])
    inspector_rows = [
        [
            f"监督员{i + 1:03d}",
            street_names[i % streets],
            rnd.randint(50, 800),
            rnd.randint(0, 40),
            round(rnd.uniform(0, 15), 1),
            round(rnd.uniform(60, 100), 2),
        ]
        for i in range(inspectors)
    ]
    top_streets = ranking_rows_out[:20]
    worst_depts = dept_rows[-15:][::-1]
    grade_counts = [sum(1 for r in ranking_rows_out if r[7] == g) for g in GRADES]
    spots = [
        [f"8a4{rnd.randrange(16**12):012x}", TYPES[i % len(TYPES)], rnd.randint(10, 60)]
        for i in range(30)
    ]
    spot_after = [max(0, s[2] - rnd.randint(0, 40)) for s in spots]

    extra_street_charts = (
        [
            Chart(
                title="街道上报数（前20）",
                kind="hbar",
                categories=[r[1] for r in top_streets],
                series=[Series(name="上报数", data=[r[2] for r in top_streets])],
                unit="件",
            )
        ]
        if streets >= 20
        else []
    )
    sections = [
        Section(
            heading="一、总体情况",
            blocks=[
                Paragraph(
                    text=f"11月全市共受理城市管理问题{sum(intake)}件，"
                    "较上月增长4.2%，同比下降1.8%；结案率96.4%，按期处置率93.1%。"
                ),
                Table(
                    title="表1 主要指标",
                    columns=["指标", "本月", "上月", "环比", "去年同期", "同比"],
                    rows=[
                        ["受理数（件）", sum(intake), 31000, "4.2%", 33000, "-1.8%"],
                        ["立案数（件）", 29876, 28765, "3.9%", 30123, "-0.8%"],
                        ["结案数（件）", 28801, 27010, "6.6%", 29000, "-0.7%"],
                        ["按期处置率（%）", 93.1, 92.4, None, 90.2, None],
                        ["返工率（%）", 1.25, 1.5, None, 2.0, None],
                    ],
                    note="环比、同比按件数计；率的变化见正文。",
                ),
                Chart(
                    title="11月每日受理与结案",
                    kind="line",
                    categories=days,
                    series=[Series(name="受理", data=intake), Series(name="结案", data=closed)],
                    unit="件",
                ),
                Chart(
                    title="问题来源构成",
                    kind="pie",
                    categories=SOURCES,
                    series=[Series(name="件数", data=by_source)],
                    unit="件",
                ),
            ],
        ),
        Section(
            heading="二、问题来源与类型",
            blocks=[
                Paragraph(text="监督员上报仍是主要来源；12345热线转办量较上月增加。"),
                Table(
                    title="表2 各来源受理情况",
                    columns=["来源", "本月（件）", "上月（件）"],
                    rows=[
                        [s, a, b]
                        for s, a, b in zip(SOURCES, by_source, by_source_last, strict=True)
                    ],
                ),
                Chart(
                    title="各来源受理量",
                    kind="bar",
                    categories=SOURCES,
                    series=[
                        Series(name="本月", data=by_source),
                        Series(name="上月", data=by_source_last),
                    ],
                    unit="件",
                ),
                Table(
                    title="表3 高发问题类型（前20）",
                    columns=["序号", "问题类型", "件数"],
                    rows=[
                        [i + 1, t, n] for i, (t, n) in enumerate(zip(TYPES, by_type, strict=True))
                    ],
                ),
                Chart(
                    title="高发问题类型（前10）",
                    kind="hbar",
                    categories=TYPES[:10],
                    series=[Series(name="件数", data=by_type[:10])],
                    unit="件",
                ),
            ],
        ),
        Section(
            heading="三、街道考核排名",
            blocks=[
                Paragraph(
                    text="按综合评价方案计分，前三名为"
                    + "、".join(r[1] for r in ranking_rows_out[:3])
                    + "。"
                ),
                Table(
                    title="表4 街道综合评价排名",
                    columns=[
                        "排名",
                        "街道",
                        "上报数",
                        "立案数",
                        "结案数",
                        "按期处置率（%）",
                        "综合得分",
                        "等级",
                    ],
                    rows=ranking_rows_out,
                ),
                Chart(
                    title="街道综合得分（前20）",
                    kind="hbar",
                    categories=[r[1] for r in top_streets],
                    series=[Series(name="综合得分", data=[r[6] for r in top_streets])],
                    unit="分",
                ),
                Chart(
                    title="街道等级分布",
                    kind="bar",
                    categories=[f"{g}级" for g in GRADES],
                    series=[Series(name="街道数", data=grade_counts)],
                    unit="个",
                ),
                Table(
                    title="表5 等级分布",
                    columns=["等级", "街道数"],
                    rows=[[g, n] for g, n in zip(GRADES, grade_counts, strict=True)],
                ),
                *extra_street_charts,
            ],
        ),
        Section(
            heading="四、部门处置情况",
            blocks=[
                Table(
                    title="表6 部门按期处置情况",
                    columns=[
                        "部门",
                        "派遣数",
                        "按期处置数",
                        "按期处置率",
                        "超期数",
                        "平均处置时长（小时）",
                    ],
                    rows=dept_rows,
                ),
                Chart(
                    title="按期处置率较低的部门（后15）",
                    kind="hbar",
                    categories=[r[0] for r in worst_depts],
                    series=[
                        Series(name="按期处置率", data=[float(r[3][:-1]) for r in worst_depts])
                    ],
                    unit="%",
                ),
                Table(
                    title="表7 超期未结案件（按部门）",
                    columns=["部门", "超期件数"],
                    rows=[[r[0], r[4]] for r in dept_rows if r[4] > 20],
                ),
            ],
        ),
        Section(
            heading="五、岗位人员考核",
            blocks=[
                Paragraph(text="监督员有效上报数、漏报率按岗位考核办法统计。"),
                Table(
                    title="表8 监督员考核",
                    columns=["监督员", "责任街道", "有效上报数", "漏报数", "漏报率（%）", "得分"],
                    rows=inspector_rows,
                ),
                Table(
                    title="表9 受理员、派遣员工作量",
                    columns=["岗位", "人数", "人均办件"],
                    rows=[["受理员", 24, 1290], ["派遣员", 12, 2480], ["值班长", 6, 4980]],
                ),
            ],
        ),
        Section(
            heading="六、重点监管与黑点整治",
            blocks=[
                Paragraph(text="本月重点监管点位30处，整治后问题数明显下降。"),
                Table(
                    title="表10 重点监管点位整治前后",
                    columns=["单元", "问题类型", "整治前（件）", "整治后（件）"],
                    rows=[[*s, a] for s, a in zip(spots, spot_after, strict=True)],
                ),
                Chart(
                    title="重点监管点位整治前后（前10处）",
                    kind="bar",
                    categories=[f"点位{i + 1}" for i in range(10)],
                    series=[
                        Series(name="整治前", data=[s[2] for s in spots[:10]]),
                        Series(name="整治后", data=spot_after[:10]),
                    ],
                    unit="件",
                ),
                Chart(title="新增黑点分布", kind="pie", categories=[], series=[], unit="处"),
            ],
        ),
    ]
    return BulletinContent(
        kind="monthly",
        title="2026年11月城市管理问题月度通报",
        period_label="2026年11月",
        period_start="2026-11-01",
        period_end="2026-11-30",
        division_code="440304",
        division_name="福田区",
        issuer="某某市城市运行管理服务中心",
        generated_at="2026-11-30T18:05:00+00:00",  # 12月1日 in Shanghai
        scheme="gbt30428.4@1",
        summary=[
            "11月全市受理城市管理问题3.2万件，环比增长4.2%。",
            "结案率96.4%，按期处置率93.1%，较上月提高0.7个百分点。",
            "暴露垃圾、占道经营仍居问题类型前两位。",
        ],
        sections=sections,
    )
