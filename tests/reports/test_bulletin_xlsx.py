"""The XLSX of a bulletin, reopened with openpyxl: sheets, values, formats, pictures."""

from __future__ import annotations

import io
import re

import pytest
from bulletin_sample import monthly_content
from openpyxl import Workbook, load_workbook

from yiwang.reports.bulletins.content import (
    BulletinContent,
    Chart,
    Paragraph,
    Section,
    Series,
    Table,
)
from yiwang.reports.bulletins.xlsx import render_xlsx

FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@pytest.fixture(scope="module")
def content() -> BulletinContent:
    return monthly_content(ranking_rows=200)


@pytest.fixture(scope="module")
def book(content: BulletinContent) -> Workbook:
    return load_workbook(io.BytesIO(render_xlsx(content)))


def test_sheets_are_the_summary_and_one_per_section(book: Workbook) -> None:
    assert book.sheetnames == [
        "综述",
        "一、总体情况",
        "二、问题来源与类型",
        "三、街道考核排名",
        "四、部门处置情况",
        "五、岗位人员考核",
        "六、重点监管与黑点整治",
    ]


def test_summary_sheet(book: Workbook) -> None:
    sheet = book["综述"]
    assert sheet["A1"].value == "2026年11月城市管理问题月度通报"
    assert sheet["A1"].font.bold
    assert sheet["A2"].value == "2026年11月"
    assert sheet["A3"].value == "某某市城市运行管理服务中心　2026年12月1日"
    assert [sheet.cell(row=r, column=1).value for r in (5, 6, 7)] == [
        "11月全市受理城市管理问题3.2万件，环比增长4.2%。",
        "结案率96.4%，按期处置率93.1%，较上月提高0.7个百分点。",
        "暴露垃圾、占道经营仍居问题类型前两位。",
    ]
    links = [c for c in sheet["A"] if c.hyperlink is not None]
    assert [c.hyperlink.location for c in links][:2] == [
        "'一、总体情况'!A1",
        "'二、问题来源与类型'!A1",
    ]


def rows_of(sheet: object, first: int, count: int) -> list[tuple[object, ...]]:
    return list(sheet.iter_rows(min_row=first, max_row=first + count - 1, values_only=True))  # type: ignore[attr-defined]


def test_tables_keep_numbers_as_numbers(book: Workbook, content: BulletinContent) -> None:
    sheet = book["一、总体情况"]
    assert sheet["A1"].value == "一、总体情况"
    # Row 3: the paragraph; row 5: the table title; row 6: its header (frozen under it).
    assert sheet["A5"].value == "表1 主要指标"
    assert [c.value for c in sheet[6]][:6] == ["指标", "本月", "上月", "环比", "去年同期", "同比"]
    assert all(c.font.bold for c in sheet[6][:6])
    assert sheet.freeze_panes == "A7"
    total = content.sections[0].blocks[1].rows[0][1]  # type: ignore[union-attr]
    received = [c for c in sheet[7]][:6]
    assert [c.value for c in received] == ["受理数（件）", total, 31000, 0.042, 33000, -0.018]
    assert isinstance(received[1].value, int)
    assert received[3].number_format == "0.0%"  # "4.2%" is a percentage, not text
    rate = [c for c in sheet[10]][:6]
    assert [c.value for c in rate] == ["按期处置率（%）", 93.1, 92.4, None, 90.2, None]
    assert rate[1].number_format == "0.0"
    assert sheet["A12"].value == "环比、同比按件数计；率的变化见正文。"


def test_the_200_row_ranking(book: Workbook, content: BulletinContent) -> None:
    sheet = book["三、街道考核排名"]
    table = content.sections[2].blocks[1]
    assert isinstance(table, Table)
    header_row = next(r for r in range(1, 20) if sheet.cell(row=r, column=1).value == "排名")
    values = rows_of(sheet, header_row + 1, 200)
    assert [list(v[:8]) for v in values] == table.rows
    assert sheet.cell(row=header_row + 201, column=1).value is None
    widths = sheet.column_dimensions["B"].width
    assert widths >= 2 * len("新金第46街道")  # CJK characters count double


def test_charts_are_pictures_on_their_sections_sheet(
    book: Workbook, content: BulletinContent
) -> None:
    for section, sheet in zip(content.sections, book.worksheets[1:], strict=True):
        expected = sum(isinstance(b, Chart) for b in section.blocks)
        assert len(sheet._images) == expected, sheet.title
    assert len(book["综述"]._images) == 0
    image = book["一、总体情况"]._images[0]
    # Shown 720 × 405 pixels (1600 × 900 scaled), in EMU (9525 a pixel).
    assert (image.anchor.ext.width, image.anchor.ext.height) == (720 * 9525, 405 * 9525)


def test_sheet_names_are_valid_and_distinct() -> None:
    base = monthly_content(streets=5, departments=5, ranking_rows=5, inspectors=3)
    headings = [
        "一、[重点]监管/黑点: 情况*?",
        "二、一个超过三十一个字符的很长很长很长很长很长很长很长很长的标题",
        "二、一个超过三十一个字符的很长很长很长很长很长很长很长很长的标题",
        "History",
        "综述",
    ]
    content = base.model_copy(
        update={"sections": [Section(heading=h, blocks=[]) for h in headings]}
    )
    names = load_workbook(io.BytesIO(render_xlsx(content))).sheetnames
    assert len(names) == 6
    assert len({n.lower() for n in names}) == 6
    for name in names:
        assert len(name) <= 31 and not FORBIDDEN.search(name), name
    assert names[1] == "一、_重点_监管_黑点_ 情况__"
    # The first 31 characters: 13, then 8 × "很长", then "的标".
    assert names[2] == "二、一个超过三十一个字符的很长很长很长很长很长很长很长很长的标"
    assert names[3] != names[2] and len(names[3]) == 31
    assert names[4] == "四、History" and names[5] == "五、综述"


def test_text_that_looks_like_a_formula_stays_text() -> None:
    base = monthly_content(streets=5, departments=5, ranking_rows=5, inspectors=3)
    content = base.model_copy(
        update={
            "summary": ['=HYPERLINK("http://evil","点我")'],
            "sections": [
                Section(
                    heading="一、测试",
                    blocks=[
                        Paragraph(text="+1+1"),
                        Table(
                            title="@SUM(A1)",
                            columns=["名称", "值"],
                            rows=[["-2+3", 5], ["=1+1", "12.5%"], ["正常\x1b文本", None]],
                        ),
                        Chart(
                            title="图",
                            kind="line",
                            categories=["a"],
                            series=[Series(name="s", data=[1])],
                        ),
                    ],
                )
            ],
        }
    )
    book = load_workbook(io.BytesIO(render_xlsx(content)))
    assert book["综述"]["A5"].value == '\'=HYPERLINK("http://evil","点我")'
    sheet = book["一、测试"]
    assert sheet["A3"].value == "'+1+1"
    assert sheet["A5"].value == "'@SUM(A1)"
    assert [(c.value, c.data_type) for c in sheet[7][:2]] == [("'-2+3", "s"), (5, "n")]
    assert [c.value for c in sheet[8][:2]] == ["'=1+1", 0.125]
    assert [c.value for c in sheet[9][:2]] == ["正常\ufffd文本", None]
    assert len(sheet._images) == 1
