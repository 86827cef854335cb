"""A bulletin as an Excel workbook (XLSX): its figures as numbers someone can work on.

Sheet 综述 holds the title, period, issuer and date, the summary sentences and links to
the other sheets; then one sheet per section: its paragraphs and tables down the left
(bold shaded header, column widths from the contents, the first table's header frozen when
it is near the top), its charts as pictures in a column to the right of the widest table.
Numbers stay numbers (a cell "95.3%" becomes 0.953 shown as a percentage), and text goes
through `core.spreadsheets.clean_cell`, so nothing a citizen typed runs as a formula.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from yiwang.core.spreadsheets import clean_cell, sheet_title
from yiwang.reports.bulletins import charts
from yiwang.reports.bulletins.content import BulletinContent, Cell, Chart, Paragraph, Table
from yiwang.reports.bulletins.docx import chinese_date, numbered_heading

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SUMMARY_SHEET = "综述"
CHART_WIDTH_PX = 720  # a chart's picture in the sheet (the PNG itself is 1600 wide)
ROW_HEIGHT_PX = 20  # Excel's default row (15 pt) in pixels, for stacking the pictures
PARAGRAPH_COLUMNS = 8  # a paragraph wraps across at least this many columns
MIN_WIDTH, MAX_WIDTH = 6, 40  # column widths, in characters

BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=16)
HEADING_FONT = Font(bold=True, size=14)
CAPTION_FONT = Font(bold=True, size=12)
NOTE_FONT = Font(italic=True, color="666666")
HEADER_FILL = PatternFill("solid", fgColor="D9E2F3")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_PERCENT = re.compile(r"^\s*(-?\d+(?:\.(\d+))?)\s*[%％]\s*$")
_RESERVED = {"history"}  # Excel refuses a sheet of this name


def display_width(text: str) -> int:
    """Columns a text takes in Excel: a CJK (wide) character counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def unique_sheet_titles(names: Sequence[str]) -> list[str]:
    """Excel-valid, distinct sheet names (Excel compares them ignoring case)."""
    used: set[str] = {SUMMARY_SHEET.lower()}
    titles = []
    for name in names:
        base = sheet_title(name.strip()).strip("'") or "Sheet"
        title, n = base, 1
        while title.lower() in used or title.lower() in _RESERVED:
            n += 1
            suffix = f"（{n}）"
            title = base[: 31 - len(suffix)] + suffix
        used.add(title.lower())
        titles.append(title)
    return titles


def _cell_value(value: Cell) -> tuple[object, str | None]:
    """The value to store and its number format (None: the default)."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return ("是" if value else "否"), None
    if isinstance(value, int):
        return value, "0"
    if isinstance(value, float):
        if not math.isfinite(value):
            return None, None
        decimals = min(len(repr(value).split(".")[1]) if "." in repr(value) else 0, 2)
        if value.is_integer():
            decimals = 0
        return value, "0" if decimals == 0 else "0." + "0" * decimals
    match = _PERCENT.match(value)
    if match:
        decimals = min(len(match.group(2) or ""), 2)
        return float(
            Decimal(match.group(1)) / 100
        ), "0%" if decimals == 0 else "0." + "0" * decimals + "%"
    return clean_cell(value), None


@dataclass
class _Sheet:
    sheet: Worksheet
    row: int = 1
    widths: dict[int, int] = field(default_factory=dict)
    text_columns: int = PARAGRAPH_COLUMNS
    freeze: str | None = None
    charts: list[bytes] = field(default_factory=list)

    def widen(self, column: int, text: str) -> None:
        width = min(max(display_width(text) + 2, MIN_WIDTH), MAX_WIDTH)
        self.widths[column] = max(self.widths.get(column, MIN_WIDTH), width)


def _paragraph(target: _Sheet, text: str) -> None:
    cell = target.sheet.cell(row=target.row, column=1, value=clean_cell(text))
    cell.alignment = WRAP
    span = target.text_columns
    target.sheet.merge_cells(
        start_row=target.row, start_column=1, end_row=target.row, end_column=span
    )
    # Excel does not fit a merged row's height to its text: estimate the lines it needs.
    per_line = max(sum(target.widths.get(c, 10) for c in range(1, span + 1)), 20)
    lines = max(1, math.ceil(display_width(text) / per_line))
    target.sheet.row_dimensions[target.row].height = 15 * lines + 3
    target.row += 2


def _table(target: _Sheet, block: Table) -> None:
    sheet = target.sheet
    caption = sheet.cell(row=target.row, column=1, value=clean_cell(block.title))
    caption.font = CAPTION_FONT
    target.row += 1
    header_row = target.row
    for column, name in enumerate(block.columns, start=1):
        cell = sheet.cell(row=header_row, column=column, value=clean_cell(name))
        cell.font, cell.fill, cell.border, cell.alignment = BOLD, HEADER_FILL, BORDER, CENTER
        target.widen(column, name)
    if target.freeze is None and header_row <= 10:
        target.freeze = f"A{header_row + 1}"
    target.row += 1
    for values in block.rows:
        for column, value in enumerate(values, start=1):
            stored, number_format = _cell_value(value)
            cell = sheet.cell(row=target.row, column=column, value=stored)
            cell.border = BORDER
            if number_format is not None:
                cell.number_format = number_format
            if isinstance(stored, str):
                target.widen(column, stored)
            elif stored is not None:
                target.widen(column, str(value))
        target.row += 1
    if block.note:
        note = sheet.cell(row=target.row, column=1, value=clean_cell(block.note))
        note.font = NOTE_FONT
        target.row += 1
    target.row += 1


def _place_charts(target: _Sheet, pictures: list[bytes]) -> None:
    """Stack the charts in one column right of the widest table."""
    used = max([*target.widths.keys(), target.text_columns])
    anchor_column = get_column_letter(used + 2)
    row = 1
    for png in pictures:
        width, height = charts.png_size(png)
        image = Image(io.BytesIO(png))
        image.width = CHART_WIDTH_PX
        image.height = round(height * CHART_WIDTH_PX / width)
        target.sheet.add_image(image, f"{anchor_column}{row}")
        row += math.ceil(image.height / ROW_HEIGHT_PX) + 2


def _summary_sheet(
    book: Workbook, content: BulletinContent, titles: Sequence[str], headings: Sequence[str]
) -> None:
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = SUMMARY_SHEET
    sheet.column_dimensions["A"].width = 110
    sheet["A1"] = clean_cell(content.title)
    sheet["A1"].font = TITLE_FONT
    sheet["A2"] = clean_cell(content.period_label)
    sheet["A3"] = clean_cell(f"{content.issuer}　{chinese_date(content.generated_at)}")
    row = 5
    for sentence in content.summary:
        cell = sheet.cell(row=row, column=1, value=clean_cell(sentence))
        cell.alignment = WRAP
        lines = max(1, math.ceil(display_width(sentence) / 105))
        sheet.row_dimensions[row].height = 15 * lines + 3
        row += 1
    row += 1
    sheet.cell(row=row, column=1, value="各部分").font = BOLD
    for title, heading in zip(titles, headings, strict=True):
        row += 1
        link = sheet.cell(row=row, column=1, value=clean_cell(heading))
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{title}'!A1")
        link.font = Font(color="0563C1", underline="single")


def render_xlsx(content: BulletinContent) -> bytes:
    """The bulletin as XLSX bytes: 综述, then one sheet per section (charts as pictures)."""
    book = Workbook()
    headings = [
        numbered_heading(i, section.heading) for i, section in enumerate(content.sections, 1)
    ]
    titles = unique_sheet_titles(headings)
    _summary_sheet(book, content, titles, headings)
    for title, heading, section in zip(titles, headings, content.sections, strict=True):
        target = _Sheet(book.create_sheet(title))
        widest = max([len(b.columns) for b in section.blocks if isinstance(b, Table)], default=0)
        target.text_columns = max(PARAGRAPH_COLUMNS, widest)
        target.sheet.cell(row=1, column=1, value=clean_cell(heading)).font = HEADING_FONT
        target.row = 3
        pictures = []
        for block in section.blocks:
            if isinstance(block, Paragraph):
                _paragraph(target, block.text)
            elif isinstance(block, Table):
                _table(target, block)
            elif isinstance(block, Chart):
                pictures.append(charts.render_png(block))
        for column, width in target.widths.items():
            target.sheet.column_dimensions[get_column_letter(column)].width = width
        target.sheet.freeze_panes = target.freeze or "A2"
        _place_charts(target, pictures)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
