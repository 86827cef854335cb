"""The work-order format in files: JSON Lines and the XLSX template, read and written.

Reading turns each line or row into the plain dict the order schema validates, with its
line (JSONL) or spreadsheet row number (XLSX, the header is row 1) for the error report.
Writing serves the downloadable template and a street's daily problem list (东莞's
practice of sharing it with other systems) in the same format.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from yiwang.cases.models import Case
from yiwang.core import jsoninput
from yiwang.core.errors import InvalidInput
from yiwang.core.importing import ErrorCollector
from yiwang.core.spreadsheets import clean_cell, write_xlsx

SHANGHAI = ZoneInfo("Asia/Shanghai")
JSONL_CONTENT_TYPE = "application/x-ndjson; charset=utf-8"

# (key, Chinese header, required): the template's columns, in order.
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("order_id", "工单编号", True),
    ("received_at", "受理时间", True),
    ("category", "诉求分类编码", True),
    ("category_name", "诉求分类名称", False),
    ("title", "标题", True),
    ("content", "诉求内容", False),
    ("address", "诉求地址", True),
    ("lon", "经度", False),
    ("lat", "纬度", False),
    ("crs", "坐标系", False),
    ("caller_name", "来电人", False),
    ("caller_phone", "来电号码", False),
    ("urgency", "紧急程度", False),
    ("deadline", "办结时限", False),
    ("attachments", "附件地址", False),
)
# What an exported row adds: the case it is on this platform.
CASE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("case.number", "案卷号"),
    ("case.state_label", "案卷状态"),
    ("case.source", "来源"),
    ("case.street_name", "街道"),
    ("case.community_name", "社区"),
    ("case.grid_code", "单元网格"),
)
PRIVATE_COLUMNS = frozenset({"caller_name", "caller_phone"})
URGENCY_WORDS = {"一般": "normal", "紧急": "urgent"}
EXAMPLE_ROW = {
    "order_id": "GD12345-20261201-0001",
    "received_at": datetime(2026, 12, 1, 9, 30),
    "category": "暴露垃圾",
    "category_name": "市容环境/暴露垃圾",
    "title": "小区门口垃圾堆放",
    "content": "华强南路与南园路交叉口东北角垃圾堆放两天无人清理。",
    "address": "广东省深圳市福田区南园街道华强南路",
    "lon": 114.0865,
    "lat": 22.5422,
    "crs": "wgs84",
    "caller_name": "张先生",
    "caller_phone": "13800138000",
    "urgency": "一般",
    "deadline": datetime(2026, 12, 3, 18, 0),
    "attachments": "https://hotline.example.invalid/files/0001.jpg",
}


def header(key: str, label: str) -> str:
    return f"{label} {key}"


# ---- reading --------------------------------------------------------------------------------


def too_many_rows(limit: int) -> InvalidInput:
    return InvalidInput("too_many_rows", f"一批最多 {limit} 条工单，请分批导入。", "file")


def jsonl_records(
    data: bytes, errors: ErrorCollector, max_rows: int | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """Each non-blank line as (line number, object); bad lines go to ``errors``. More than
    ``max_rows`` non-blank lines are refused before any is parsed."""
    text = jsoninput.decode_utf8(data, "file").removeprefix("\ufeff")
    lines = text.splitlines()
    if max_rows is not None and sum(1 for line in lines if line.strip()) > max_rows:
        raise too_many_rows(max_rows)
    records: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = jsoninput.loads(line, field="file")
        except InvalidInput as exc:
            errors.add(number, "", "malformed_json", f"第 {number} 行：{exc.message}", None)
            continue
        if not isinstance(value, dict):
            errors.add(number, "", "not_an_object", f"第 {number} 行应为一个 JSON 对象。", None)
            continue
        records.append((number, value))
    return records


def _column_key(title: Any) -> str | None:
    text = str(title or "").strip()
    if not text:
        return None
    words = text.replace("(", " ").replace(")", " ").replace("（", " ").replace("）", " ").split()
    keys = {key for key, _, _ in COLUMNS}
    for word in reversed(words):
        if word.lower() in keys:
            return word.lower()
    for key, label, _ in COLUMNS:
        if text == label:
            return key
    return None


def _iso(value: datetime) -> str:
    if timezone.is_naive(value):
        value = value.replace(tzinfo=SHANGHAI)  # a spreadsheet's wall clock is Shanghai time
    return value.isoformat()


def _cell(key: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return _iso(datetime(value.year, value.month, value.day))
    if key in ("received_at", "deadline") and isinstance(value, str):
        try:
            return _iso(datetime.fromisoformat(value.strip()))
        except ValueError:
            return value  # the schema refuses it with the field named
    if key in ("order_id", "caller_phone") and isinstance(value, int | float):
        # Excel keeps long digit strings as numbers.
        return str(int(value)) if float(value).is_integer() else str(value)
    if key == "urgency" and isinstance(value, str):
        return URGENCY_WORDS.get(value.strip(), value.strip())
    if key == "attachments":
        return [{"url": url} for url in str(value).split()]
    return value


# What openpyxl raises on a ZIP whose parts are not the XML they should be: a parse error
# (a SyntaxError) of the workbook or a sheet, or a cell value that is not what its type says.
_BAD_WORKBOOK = (
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    OSError,
    ValueError,
    TypeError,
    SyntaxError,
)


def _bad_xlsx() -> InvalidInput:
    return InvalidInput("bad_xlsx", "文件不是有效的 XLSX 工作簿，请用下载的模板填写。", "file")


def xlsx_records(
    data: bytes, errors: ErrorCollector, max_rows: int | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """Each non-blank row of the first sheet as (row number, order fields). Reading stops at
    the first row over ``max_rows``: a small file can hold millions of short rows."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _BAD_WORKBOOK:
        raise _bad_xlsx() from None
    try:
        return _sheet_records(book, max_rows)
    except _BAD_WORKBOOK:
        # The rows are parsed as they are read: a part cut short fails only here.
        raise _bad_xlsx() from None
    finally:
        book.close()


def _sheet_records(book: Any, max_rows: int | None) -> list[tuple[int, dict[str, Any]]]:
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    titles = next(rows, None)
    if titles is None:
        raise InvalidInput("import_empty", "工作表是空的。", "file")
    keys = [_column_key(t) for t in titles]
    missing = [label for key, label, required in COLUMNS if required and key not in keys]
    if missing:
        raise InvalidInput("import_missing_column", f"缺少必需的列：{'、'.join(missing)}。", "file")
    records: list[tuple[int, dict[str, Any]]] = []
    for number, row in enumerate(rows, start=2):
        values = {
            key: _cell(key, value)
            for key, value in zip(keys, row, strict=False)
            if key is not None and value is not None and str(value).strip() != ""
        }
        if values:
            if max_rows is not None and len(records) >= max_rows:
                raise too_many_rows(max_rows)
            records.append((number, values))
    return records


def count_records(data: bytes, fmt: str, *, stop_after: int) -> int:
    """How many orders a file holds (non-blank lines or rows), counting no further than
    ``stop_after``; 0 for a file that cannot be read (its import says why)."""
    if fmt == "jsonl":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return 0
        return min(stop_after, sum(1 for line in text.splitlines() if line.strip()))
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _BAD_WORKBOOK:
        return 0
    try:
        if not book.worksheets:
            return 0
        count = 0
        for row in book.worksheets[0].iter_rows(min_row=2, values_only=True):
            if any(v is not None and str(v).strip() != "" for v in row):
                count += 1
                if count >= stop_after:
                    break
        return count
    except _BAD_WORKBOOK:
        return 0  # the import itself refuses it as bad_xlsx
    finally:
        book.close()


# ---- writing --------------------------------------------------------------------------------


def template_xlsx() -> bytes:
    """The import template: the columns, one example row, and a sheet explaining them."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "工单"
    sheet.append([header(key, label) for key, label, _ in COLUMNS])
    sheet.append([clean_cell(EXAMPLE_ROW.get(key, "")) for key, _, _ in COLUMNS])
    for column, (key, _, _) in zip(sheet.iter_cols(min_row=1, max_row=1), COLUMNS, strict=True):
        sheet.column_dimensions[column[0].column_letter].width = 40 if key == "content" else 18
    notes = book.create_sheet("说明")
    notes.append(["列", "必填", "说明"])
    explanations = {
        "order_id": "热线工单编号，在本热线系统内唯一；再次导入同一编号即更新该工单",
        "received_at": "热线受理时间，如 2026-12-01 09:30（北京时间）",
        "category": "热线诉求分类编码，按“热线分类对照”转为事项类型",
        "address": "诉求地址，解析到省、市、区县；须在本平台辖区内",
        "lon": "经度；经纬度都留空则工单进入“待定位”，由受理员在地图上定位",
        "crs": "坐标系：wgs84（默认）、cgcs2000、gcj02、bd09",
        "caller_phone": "来电号码，仅受理人员可见",
        "urgency": "一般 或 紧急",
        "deadline": "热线要求的办结时限",
        "attachments": "附件的网址（http/https），多个用空格或换行分隔",
    }
    for key, label, required in COLUMNS:
        notes.append([header(key, label), "是" if required else "", explanations.get(key, "")])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_record(case: Case) -> dict[str, Any]:
    """One case of a street's daily list as a work order (no caller data: it is private)."""
    return {
        "version": "1",
        "order_id": case.number,
        "received_at": timezone.localtime(case.reported_at).isoformat(),
        "category": case.type.code,
        "category_name": case.type.name,
        "title": case.title,
        "content": case.description,
        "address": case.address,
        "lon": round(case.lon, 7),
        "lat": round(case.lat, 7),
        "crs": "wgs84",
        "urgency": case.urgency,
        "deadline": timezone.localtime(case.handle_due_at).isoformat()
        if case.handle_due_at
        else None,
        "attachments": [],
        "case": {
            "number": case.number,
            "state": case.state,
            "state_label": str(case.get_state_display()),
            "source": case.source,
            "street_code": case.street.code,
            "street_name": case.street.name,
            "community_name": case.community.name,
            "grid_code": case.grid.code,
        },
    }


def jsonl_chunks(records: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    for record in records:
        yield (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


def export_xlsx(records: Iterable[dict[str, Any]], title: str) -> bytes:
    keys = [key for key, _, _ in COLUMNS if key not in PRIVATE_COLUMNS]
    labels = {key: label for key, label, _ in COLUMNS}
    headers = [header(k, labels[k]) for k in keys] + [header(k, label) for k, label in CASE_COLUMNS]

    def rows() -> Iterator[list[Any]]:
        for record in records:
            row = [record.get(k) for k in keys]
            row[keys.index("attachments")] = " ".join(a["url"] for a in record["attachments"])
            row += [record["case"][k.split(".", 1)[1]] for k, _ in CASE_COLUMNS]
            yield row

    buffer = io.BytesIO()
    write_xlsx(buffer, title, headers, rows())
    return buffer.getvalue()
