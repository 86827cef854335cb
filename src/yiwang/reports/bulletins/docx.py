"""A bulletin as a Word document (DOCX) in the look of an official document (公文).

Layout after GB/T 9704 where it applies to a bulletin: A4 with the standard margins, the
title centred in 小标宋 (二号), a header line with the issuer and the date over a red rule
(as a 简报 has), section headings 一、二、… in 黑体 (三号), body text in 仿宋 (三号) with
two characters of indent, tables in 宋体 (五号) with a shaded header row repeated on every
page, each chart as a picture 15 cm wide, and the page number "— 1 —" in the footer.

Word chooses Chinese text's font by the run's East Asian font (``w:eastAsia``), which
python-docx does not set: `_east_asian` writes it, on styles wherever possible (a table of
500 rows then costs no per-run formatting). A machine without 方正小标宋简体 shows the title
in its substitute Chinese font; Windows in Chinese ships 黑体, 仿宋 and 宋体.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_SECTION_START
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Tbl
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Mm, Pt, RGBColor, Twips
from docx.styles.style import CharacterStyle, ParagraphStyle
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run
from lxml import etree

from yiwang.core.spreadsheets import clean_text
from yiwang.reports.bulletins import charts
from yiwang.reports.bulletins.content import BulletinContent, Cell, Chart, Paragraph, Table

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
BODY_FONT = "仿宋"
KAI_FONT = "楷体"
TABLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"  # digits and Latin letters in 公文

TITLE_SIZE = Pt(22)  # 二号
BODY_SIZE = Pt(16)  # 三号
SMALL_SIZE = Pt(14)  # 四号
TABLE_SIZE = Pt(10.5)  # 五号
BODY_LINE = Pt(28)  # fixed line pitch: 22 lines on a page
CHART_WIDTH = Cm(15)
TEXT_WIDTH = Mm(156)  # the type area of an A4 公文 page
TABLE_COLUMN_CAP = 24  # a column never claims room for more than 12 Chinese characters
HEADER_FILL = "D9E2F3"
RULE_COLOR = "C00000"  # the red rule under a 简报's header
TABLE_STYLE = "BulletinTable"  # paragraph style of table cells (an id, no spaces)
NOTE_STYLE = "BulletinNote"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NUMERALS = "一二三四五六七八九十"
_NUMBERED = re.compile(r"^\s*[一二三四五六七八九十百]+、")
NO_VALUE = "—"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九 (headings never need more)."""
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    head = "十" if tens == 1 else NUMERALS[tens - 1] + "十"
    return head + (NUMERALS[ones - 1] if ones else "")


def numbered_heading(index: int, heading: str) -> str:
    """The section heading with its 一、二、… number (kept when the content has it)."""
    heading = clean_text(heading).strip()
    if _NUMBERED.match(heading):
        return heading
    return f"{chinese_numeral(index)}、{heading}"


def chinese_date(iso: str) -> str:
    """An ISO date or datetime as 2026年12月1日 (a datetime read in Shanghai time)."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return clean_text(iso)
    if moment.tzinfo is not None:
        moment = moment.astimezone(SHANGHAI)
    return f"{moment.year}年{moment.month}月{moment.day}日"


def cell_text(value: Cell) -> str:
    if value is None:
        return NO_VALUE
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return charts.format_value(value).replace(",", "")
    return clean_text(value)


def _east_asian(target: CharacterStyle | Run, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Set the Latin and the East Asian font, dropping theme fonts that would win."""
    target.font.name = latin
    r_pr = target.element.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")


def _paragraph_style(
    document: DocumentObject,
    name: str,
    *,
    font: str,
    size: Pt,
    base: str = "Normal",
) -> ParagraphStyle:
    style = cast(ParagraphStyle, document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH))
    style.base_style = _style(document, base)
    _east_asian(style, font)
    style.font.size = size
    return style


def _style(document: DocumentObject, name: str) -> ParagraphStyle:
    return cast(ParagraphStyle, document.styles[name])


def _setup_styles(document: DocumentObject) -> None:
    normal = _style(document, "Normal")
    _east_asian(normal, BODY_FONT)
    normal.font.size = BODY_SIZE
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = BODY_LINE
    fmt.space_before = fmt.space_after = Pt(0)

    heading = _style(document, "Heading 1")
    _east_asian(heading, HEADING_FONT)
    heading.font.size = BODY_SIZE
    heading.font.bold = False  # 黑体 is heavy already; 公文 headings are not bolded
    heading.font.color.rgb = RGBColor(0, 0, 0)
    hfmt = heading.paragraph_format
    hfmt.space_before, hfmt.space_after = Pt(12), Pt(6)
    hfmt.first_line_indent = Pt(32)  # two characters, as body text
    hfmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    hfmt.line_spacing = BODY_LINE

    table = _paragraph_style(document, TABLE_STYLE, font=TABLE_FONT, size=TABLE_SIZE)
    tfmt = table.paragraph_format
    tfmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
    tfmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    tfmt.first_line_indent = Pt(0)
    tfmt.space_before = tfmt.space_after = Pt(0)

    note = _paragraph_style(document, NOTE_STYLE, font=KAI_FONT, size=Pt(12))
    nfmt = note.paragraph_format
    nfmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    nfmt.space_before, nfmt.space_after = Pt(3), Pt(9)


def _setup_page(document: DocumentObject) -> None:
    section = document.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    # GB/T 9704: top 37 mm, left 28 mm, text block 156 × 225 mm.
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _footer_run(footer, "— ")
    _page_field(footer)
    _footer_run(footer, " —")


def _footer_run(paragraph: DocxParagraph, text: str) -> Run:
    run = paragraph.add_run(text)
    _east_asian(run, TABLE_FONT)
    run.font.size = SMALL_SIZE
    return run


def _page_field(paragraph: DocxParagraph) -> None:
    """The PAGE field (Word fills in the number of each page)."""
    for kind, instruction in (("begin", None), (None, " PAGE "), ("separate", None)):
        run = _footer_run(paragraph, "")
        if kind is not None:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = instruction
            run._r.append(instr)
    _footer_run(paragraph, "1")  # shown until Word updates the field
    end = _footer_run(paragraph, "")
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), "end")
    end._r.append(char)


# What follows w:pBdr in a paragraph's properties (ECMA-376 CT_PPrBase).
_AFTER_PBDR = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


def _bottom_rule(paragraph: DocxParagraph) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "4")):
        bottom.set(qn(key), value)
    bottom.set(qn("w:color"), RULE_COLOR)
    borders.append(bottom)
    # Word refuses a file whose properties are out of the schema's order.
    p_pr.insert_element_before(borders, *_AFTER_PBDR)


def _masthead(document: DocumentObject, content: BulletinContent) -> None:
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    title.paragraph_format.space_after = Pt(6)
    run = title.add_run(clean_text(content.title))
    _east_asian(run, TITLE_FONT)
    run.font.size = TITLE_SIZE

    period = document.add_paragraph()
    period.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = period.add_run(f"（{clean_text(content.period_label)}）")
    _east_asian(run, KAI_FONT)

    line = document.add_paragraph()
    line.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    line.paragraph_format.space_before = Pt(12)
    line.paragraph_format.space_after = Pt(12)
    run = line.add_run(f"{clean_text(content.issuer)}\t{chinese_date(content.generated_at)}")
    _east_asian(run, BODY_FONT)
    run.font.size = SMALL_SIZE
    _bottom_rule(line)


def _body_paragraph(document: DocumentObject, text: str) -> DocxParagraph:
    paragraph = document.add_paragraph(clean_text(text))
    paragraph.paragraph_format.first_line_indent = Pt(32)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    return paragraph


def _summary(document: DocumentObject, content: BulletinContent) -> None:
    if not content.summary:
        return
    paragraph = _body_paragraph(document, "")
    lead = paragraph.add_run("综述：")
    _east_asian(lead, HEADING_FONT)
    paragraph.add_run(clean_text("".join(content.summary)))


def _caption(document: DocumentObject, text: str) -> None:
    caption = document.add_paragraph()
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.space_before = Pt(6)
    caption.paragraph_format.space_after = Pt(3)
    caption.paragraph_format.keep_with_next = True
    run = caption.add_run(clean_text(text))
    _east_asian(run, HEADING_FONT)
    run.font.size = Pt(12)


def _borders(table_properties: BaseOxmlElement) -> None:
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        edge = OxmlElement(f"w:{side}")
        for key, value in (("w:val", "single"), ("w:sz", "4"), ("w:space", "0")):
            edge.set(qn(key), value)
        edge.set(qn("w:color"), "000000")
        borders.append(edge)
    # In the schema's order (Word refuses a file otherwise): after tblInd, before shd.
    table_properties.insert_element_before(
        borders,
        "w:shd",
        "w:tblLayout",
        "w:tblCellMar",
        "w:tblLook",
        "w:tblCaption",
        "w:tblDescription",
        "w:tblPrChange",
    )


def _cell_element(text: str, *, header: bool) -> etree._Element:
    """One ``w:tc`` built directly: python-docx's cell API walks the whole table for every
    cell, which made a 500-row ranking take seconds."""
    tc = OxmlElement("w:tc")
    if header:
        tc_pr = OxmlElement("w:tcPr")
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:color"), "auto")
        shading.set(qn("w:fill"), HEADER_FILL)
        tc_pr.append(shading)
        tc.append(tc_pr)
    p = OxmlElement("w:p")
    p_pr = OxmlElement("w:pPr")
    style = OxmlElement("w:pStyle")
    style.set(qn("w:val"), TABLE_STYLE)
    p_pr.append(style)
    p.append(p_pr)
    r = OxmlElement("w:r")
    if header:
        r_pr = OxmlElement("w:rPr")
        r_pr.append(OxmlElement("w:b"))
        r.append(r_pr)
    t = OxmlElement("w:t")
    if text != text.strip():
        t.set(qn("xml:space"), "preserve")
    t.text = text
    r.append(t)
    p.append(r)
    tc.append(p)
    return tc


def _row_element(texts: Sequence[str], *, header: bool) -> etree._Element:
    tr = OxmlElement("w:tr")
    tr_pr = OxmlElement("w:trPr")
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))  # repeated at the top of every page
    tr_pr.append(OxmlElement("w:cantSplit"))
    tr.append(tr_pr)
    for text in texts:
        tr.append(_cell_element(text, header=header))
    return tr


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _column_widths(tbl: CT_Tbl, rows: Sequence[Sequence[str]]) -> None:
    """Share the text width among the columns by what they hold (a street's name needs
    more room than a rank), so that names do not break over three lines."""
    # Each column's longest text plus two for the cell's margins, at least "排名" and room.
    wanted = [
        min(max(max((_display_width(row[i]) for row in rows), default=0) + 2, 6), TABLE_COLUMN_CAP)
        for i in range(len(rows[0]))
    ]
    total = sum(wanted)
    for column, want in zip(tbl.tblGrid.gridCol_lst, wanted, strict=True):
        column.w = Twips(round(TEXT_WIDTH.twips * want / total))


def _table(document: DocumentObject, block: Table) -> None:
    _caption(document, block.title)
    width = max([len(block.columns), *(len(row) for row in block.rows)], default=0)
    if width == 0:
        return
    table = document.add_table(rows=0, cols=width)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    tbl = table._tbl
    _borders(tbl.tblPr)
    columns = [clean_text(c) for c in block.columns] + [""] * (width - len(block.columns))
    rows = [[cell_text(v) for v in row] + [""] * (width - len(row)) for row in block.rows]
    _column_widths(tbl, [columns, *rows])
    tbl.append(_row_element(columns, header=True))
    for texts in rows:
        tbl.append(_row_element(texts, header=False))
    if block.note:
        document.add_paragraph(clean_text(block.note), style=NOTE_STYLE)
    else:
        document.add_paragraph(style=NOTE_STYLE)  # room before what follows


def _chart(document: DocumentObject, block: Chart, png: bytes) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    paragraph.paragraph_format.space_before = Pt(6)
    paragraph.paragraph_format.space_after = Pt(6)
    paragraph.add_run().add_picture(io.BytesIO(png), width=CHART_WIDTH)


def render_docx(content: BulletinContent) -> bytes:
    """The bulletin as DOCX bytes: masthead, summary, numbered sections with their
    paragraphs, tables and charts (drawn by `charts.render_png`), page numbers."""
    document = Document()
    _setup_styles(document)
    _setup_page(document)
    properties = document.core_properties
    properties.title = clean_text(content.title)[:255]
    properties.author = clean_text(content.issuer)[:255]
    properties.subject = clean_text(content.period_label)[:255]

    _masthead(document, content)
    _summary(document, content)
    for index, section in enumerate(content.sections, start=1):
        document.add_paragraph(numbered_heading(index, section.heading), style="Heading 1")
        for block in section.blocks:
            if isinstance(block, Paragraph):
                _body_paragraph(document, block.text)
            elif isinstance(block, Table):
                _table(document, block)
            else:
                _chart(document, block, charts.render_png(block))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
