"""The DOCX of a bulletin, read back with python-docx: what a reader finds in Word."""

from __future__ import annotations

import io

import pytest
from bulletin_sample import monthly_content
from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.shared import Length
from docx.table import Table as DocxTable

from yiwang.reports.bulletins.content import (
    BulletinContent,
    Chart,
    Paragraph,
    Section,
    Series,
    Table,
)
from yiwang.reports.bulletins.docx import chinese_date, chinese_numeral, render_docx

W_SHD = qn("w:shd")


@pytest.fixture(scope="module")
def content() -> BulletinContent:
    return monthly_content(ranking_rows=200)


@pytest.fixture(scope="module")
def document(content: BulletinContent) -> DocumentObject:
    return Document(io.BytesIO(render_docx(content)))


def small(**changes: object) -> BulletinContent:
    base = monthly_content(streets=5, departments=5, ranking_rows=5, inspectors=3)
    return base.model_copy(update=changes)


def cells(table: DocxTable, row: int) -> list[str]:
    return [c.text for c in table.rows[row].cells]


def test_headings_are_the_sections_numbered(document: DocumentObject) -> None:
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == [
        "一、总体情况",
        "二、问题来源与类型",
        "三、街道考核排名",
        "四、部门处置情况",
        "五、岗位人员考核",
        "六、重点监管与黑点整治",
    ]


def test_masthead_and_summary(document: DocumentObject, content: BulletinContent) -> None:
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "2026年11月城市管理问题月度通报"
    assert paragraphs[1] == "（2026年11月）"
    # Generated 2026-11-30 18:05 UTC = 12月1日 02:05 in Shanghai.
    assert paragraphs[2] == "某某市城市运行管理服务中心\t2026年12月1日"
    assert paragraphs[3] == (
        "综述：11月全市受理城市管理问题3.2万件，环比增长4.2%。"
        "结案率96.4%，按期处置率93.1%，较上月提高0.7个百分点。"
        "暴露垃圾、占道经营仍居问题类型前两位。"
    )
    title_fonts = document.paragraphs[0].runs[0]._element.rPr.rFonts
    assert title_fonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    assert document.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    assert document.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋"


def test_tables_hold_the_content_cell_by_cell(
    document: DocumentObject, content: BulletinContent
) -> None:
    blocks = [b for s in content.sections for b in s.blocks if isinstance(b, Table)]
    assert len(document.tables) == len(blocks) == 10
    for table, block in zip(document.tables, blocks, strict=True):
        assert len(table.rows) == len(block.rows) + 1
        assert cells(table, 0) == block.columns
    overview = document.tables[0]
    # Numbers as written in the content; a missing value as a dash.
    assert cells(overview, 1) == [
        "受理数（件）",
        str(content_total(content)),
        "31000",
        "4.2%",
        "33000",
        "-1.8%",
    ]
    assert cells(overview, 4) == ["按期处置率（%）", "93.1", "92.4", "—", "90.2", "—"]
    assert cells(overview, 5) == ["返工率（%）", "1.25", "1.5", "—", "2", "—"]
    ranking = document.tables[3]
    assert len(ranking.rows) == 201
    first = blocks[3].rows[0]
    assert cells(ranking, 1) == [
        str(first[0]),
        first[1],
        str(first[2]),
        str(first[3]),
        str(first[4]),
        f"{first[5]:g}",
        f"{first[6]:g}",
        first[7],
    ]
    last = blocks[3].rows[-1]
    assert cells(ranking, 200)[:2] == ["200", last[1]]


def content_total(content: BulletinContent) -> int:
    table = content.sections[0].blocks[1]
    assert isinstance(table, Table)
    value = table.rows[0][1]
    assert isinstance(value, int)
    return value


def test_header_rows_are_shaded_bold_and_repeated(document: DocumentObject) -> None:
    for table in document.tables:
        header = table.rows[0]
        assert header._tr.trPr.find(qn("w:tblHeader")) is not None
        for cell in header.cells:
            assert cell._tc.tcPr.find(W_SHD).get(qn("w:fill")) == "D9E2F3"
            assert cell.paragraphs[0].runs[0].bold
        body = table.rows[1].cells[0]._tc
        assert body.tcPr is None or body.tcPr.find(W_SHD) is None
        borders = table._tbl.tblPr.find(qn("w:tblBorders"))
        assert {child.tag.split("}")[1] for child in borders} == {
            "top",
            "left",
            "bottom",
            "right",
            "insideH",
            "insideV",
        }


def test_every_chart_is_a_picture_15_cm_wide(
    document: DocumentObject, content: BulletinContent
) -> None:
    chart_count = sum(isinstance(b, Chart) for s in content.sections for b in s.blocks)
    assert chart_count == 10
    assert len(document.inline_shapes) == chart_count
    for shape in document.inline_shapes:
        assert shape.width.cm == pytest.approx(15.0)
        assert shape.height.cm >= 15.0 * 9 / 16 - 0.01  # 16:9, taller for long rankings


def test_a4_page_with_page_numbers(document: DocumentObject) -> None:
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    footer = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and 'w:fldCharType="begin"' in footer
    assert section.footer.paragraphs[0].text.startswith("— ")


def test_headings_without_a_number_get_one() -> None:
    content = small(
        sections=[
            Section(heading="受理情况", blocks=[Paragraph(text="本日受理12件。")]),
            Section(heading="二、处置情况", blocks=[]),
            Section(heading="超期情况", blocks=[]),
        ]
    )
    document = Document(io.BytesIO(render_docx(content)))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["一、受理情况", "二、处置情况", "三、超期情况"]


def test_hostile_text_cannot_break_the_file() -> None:
    content = small(
        title="通报\x1b标题",
        summary=["含控制字符\x00的句子。"],
        sections=[
            Section(
                heading="一、测试",
                blocks=[
                    Paragraph(text="=cmd|' /C calc'!A0 \x0b"),
                    Table(title="表", columns=["名称", "值"], rows=[["\ud800孤立代理", 1.5]]),
                    Chart(
                        title="图",
                        kind="bar",
                        categories=["甲"],
                        series=[Series(name="s", data=[1])],
                    ),
                ],
            )
        ],
    )
    document = Document(io.BytesIO(render_docx(content)))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "通报\ufffd标题"
    assert "=cmd|' /C calc'!A0 \ufffd" in texts
    assert cells(document.tables[0], 1) == ["\ufffd孤立代理", "1.5"]
    assert len(document.inline_shapes) == 1


def test_columns_share_the_text_width_by_what_they_hold(document: DocumentObject) -> None:
    ranking = document.tables[3]
    widths = [col.w for col in ranking._tbl.tblGrid.gridCol_lst]
    assert Length(sum(widths)).mm == pytest.approx(156, abs=0.5)  # 210 − 28 − 26 mm
    rank, street = widths[0], widths[1]
    # "排名" and ranks up to 200: 4 columns of text + 2 of margin; a name like
    # "新金第46街道（2）": 17 + 2.
    assert street >= rank * 19 / 6


@pytest.mark.parametrize(
    ("n", "numeral"),
    [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (20, "二十"), (23, "二十三"), (99, "九十九")],
)
def test_chinese_numerals_of_headings(n: int, numeral: str) -> None:
    assert chinese_numeral(n) == numeral


@pytest.mark.parametrize(
    ("iso", "shown"),
    [
        ("2026-11-30T18:05:00+00:00", "2026年12月1日"),  # 02:05 the next day in Shanghai
        ("2026-11-30T23:59:00+08:00", "2026年11月30日"),
        ("2026-12-01", "2026年12月1日"),
        ("not a date", "not a date"),
    ],
)
def test_issue_date_in_shanghai(iso: str, shown: str) -> None:
    assert chinese_date(iso) == shown
