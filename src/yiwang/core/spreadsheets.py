"""Writing rows out as CSV or XLSX, whatever the stored text holds.

Stored text is not trusted to be clean: rows written before validation existed, or by any
other path, may hold control characters (ESC, vertical tab, NUL), lone surrogates or text
that a spreadsheet would run as a formula. One function, `clean_cell`, makes every value
safe for both formats, so one bad case title can no longer break an export for everyone.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import IO, Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
# Excel opens a CSV as UTF-8 (Chinese included) only when it starts with a byte order mark.
BOM = "\ufeff"
REPLACEMENT = "\ufffd"
# Characters XML 1.0 forbids (openpyxl's list) plus the two non-characters U+FFFE / U+FFFF;
# the same are replaced in CSV so both formats carry the same text.
_ILLEGAL = re.compile(ILLEGAL_CHARACTERS_RE.pattern + "|[\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# A cell starting with one of these is run as a formula by Excel (CSV) or stored as one by
# openpyxl: report titles and addresses come from the public, so they are defused.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel refuses a workbook with a longer cell.
XLSX_CELL_MAX = 32_767
_CSV_ROWS_PER_CHUNK = 500


def clean_text(value: str) -> str:
    """``value`` with forbidden characters and lone surrogates replaced by U+FFFD."""
    if _SURROGATE.search(value):
        # Pairs written as two code points become their character; lone halves become U+FFFD.
        value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _ILLEGAL.sub(REPLACEMENT, value)


def _decode_replacing(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


@contextmanager
def tolerant_text(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Read text that is not UTF-8 with U+FFFD instead of failing the whole read.

    SQLite stores whatever bytes another tool wrote into a text column, and Python's
    driver then refuses the row ("Could not decode to UTF-8"), which would end an export.
    PostgreSQL checks the encoding on write, so there is nothing to do there.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    previous = raw.text_factory
    raw.text_factory = _decode_replacing
    try:
        yield
    finally:
        raw.text_factory = previous


def clean_cell(value: Any) -> Any:
    """A value both writers accept and no spreadsheet runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        # Spreadsheets hold no offset: the Shanghai wall clock, as the pages show it.
        return timezone.localtime(value).replace(tzinfo=None)
    if not isinstance(value, str):
        return value
    value = clean_text(value)[:XLSX_CELL_MAX]
    if value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_chunks(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """UTF-8 CSV (with BOM) in chunks of a few hundred rows, for a streaming response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([clean_cell(str(h)) for h in headers])
    for count, row in enumerate(rows, start=1):
        writer.writerow([clean_cell(v) for v in row])
        if count % _CSV_ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def sheet_title(name: str) -> str:
    """A worksheet name Excel accepts (at most 31 characters, none of ``[]:*?/\\``)."""
    return re.sub(r"[\[\]:*?/\\]", "_", clean_text(name))[:31] or "Sheet1"


def write_xlsx(
    target: IO[bytes],
    title: str,
    headers: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = 500,
) -> int:
    """Write one sheet in openpyxl's write-only mode (rows go to disk as they come, so memory
    stays flat however many rows) and return the number of data rows written."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title(title))
    sheet.append([clean_cell(str(h)) for h in headers])
    count = 0
    for row in rows:
        sheet.append([clean_cell(v) for v in row])
        count += 1
        if on_progress is not None and count % progress_every == 0:
            on_progress(count)
    book.save(target)
    return count
