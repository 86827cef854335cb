"""Reading public 311 open-data CSV exports (Boston, San Francisco, any city's usual columns).

Pure parsing, no database: header spellings are normalised to one set of fields, local
times are read in the city's zone and turned into UTC (the original strings are kept),
missing values (empty, ``NA``, ``NULL``) become None. The writes live in
`yiwang.intake.actions.opendata`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from yiwang.core.errors import InvalidInput

# Field → header spellings (compared after `header_key`), best first: when a file has two
# candidate columns (SF has `Category` and `Request.Type`), the earlier spelling wins.
HEADERS: dict[str, tuple[str, ...]] = {
    "external_id": (
        "caseenquiryid", "caseid", "servicerequestid", "srnumber", "uniquekey", "requestid",
        "id",
    ),
    "opened": (
        "opendt", "opened", "createddate", "requesteddatetime", "createdat", "opendate",
        "datecreated",
    ),
    "closed": ("closeddt", "closed", "closeddate", "closedat", "datecloseddate", "closedate"),
    "deadline": ("slatargetdt", "targetdt", "sladue", "duedate", "expecteddatetime"),
    "status": ("casestatus", "status"),
    "category": (
        "category", "type", "requesttype", "complainttype", "casetitle", "servicename",
    ),
    "latitude": ("latitude", "lat", "y"),
    "longitude": ("longitude", "long", "lon", "lng", "x"),
    "address": ("address", "location", "incidentaddress", "streetaddress"),
    "description": ("requestdetails", "descriptor", "description", "casetitle"),
}  # fmt: skip
MISSING = {"", "na", "n/a", "null", "none", "nan"}
# Spellings of a timestamp in the exports seen so far (ISO first; US month-first last).
TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S.%f",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%Y-%m-%d",
)


def header_key(name: str) -> str:
    """`Request.Type`, `request_type`, `Request Type` → `requesttype`."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


def category_key(name: str) -> str:
    """How a category is matched against the mapping: case and spacing do not matter."""
    return " ".join(name.split()).casefold()


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput("bad_time_zone", f"未知的时区：{name}", "tz") from exc


def missing(value: str | None) -> bool:
    return value is None or value.strip().casefold() in MISSING


def parse_time(value: str | None, tz: ZoneInfo) -> datetime | None:
    """A local time of the file's city in UTC; None when missing. An explicit offset wins."""
    if missing(value):
        return None
    text = (value or "").strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        for fmt in TIME_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise ValueError(f"无法识别的时间：{text}")
    if parsed.tzinfo is None:
        # fold=0: an ambiguous autumn hour is read as its first (daylight) occurrence.
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


@dataclass(frozen=True)
class Row:
    """One request of the file, in normalised fields; raw strings kept for the record."""

    line: int  # 1-based record number (not the physical line: fields may span lines)
    external_id: str
    category: str
    opened_raw: str
    opened_at: datetime
    closed_raw: str
    closed_at: datetime | None
    deadline_raw: str
    deadline_at: datetime | None
    status: str
    lat: float | None
    lon: float | None
    address: str
    description: str


@dataclass
class Problem:
    line: int
    message: str


def columns(header: list[str]) -> dict[str, int]:
    """Field → column index, for the fields the header has."""
    keys = [header_key(h) for h in header]
    found: dict[str, int] = {}
    for field, spellings in HEADERS.items():
        for spelling in spellings:
            if spelling in keys:
                found[field] = keys.index(spelling)
                break
    return found


def _float(value: str | None) -> float | None:
    if missing(value):
        return None
    try:
        number = float((value or "").strip())
    except ValueError:
        return None
    return number if number == number else None


def read(stream: IO[str], tz: ZoneInfo) -> tuple[list[Row], list[Problem], dict[str, str]]:
    """Every request of the file; rows that cannot be used are listed as problems.

    Returns (rows, problems, field → the header it was read from).
    """
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("empty_file", "文件为空。", "file") from None
    cols = columns(header)
    for field in ("opened", "category"):
        if field not in cols:
            wanted = " / ".join(HEADERS[field][:4])
            raise InvalidInput("missing_column", f"文件缺少必需的列：{field}（{wanted}）", "file")
    rows: list[Row] = []
    problems: list[Problem] = []
    seen: set[str] = set()

    def get(record: list[str], field: str) -> str:
        index = cols.get(field)
        if index is None or index >= len(record):
            return ""
        value = record[index]
        return "" if missing(value) else value.strip()

    for number, record in enumerate(reader, start=1):
        if not any(v.strip() for v in record):
            continue
        external_id = get(record, "external_id") or f"row-{number}"
        if external_id in seen:
            problems.append(Problem(number, f"编号 {external_id} 在文件中重复，已跳过。"))
            continue
        seen.add(external_id)
        category = " ".join(get(record, "category").split())
        if not category:
            problems.append(Problem(number, "缺少类别，已跳过。"))
            continue
        try:
            opened = parse_time(get(record, "opened"), tz)
            closed = parse_time(get(record, "closed"), tz)
            deadline = parse_time(get(record, "deadline"), tz)
        except ValueError as exc:
            problems.append(Problem(number, str(exc)))
            continue
        if opened is None:
            problems.append(Problem(number, "缺少受理时间，已跳过。"))
            continue
        if closed is not None and closed < opened:
            problems.append(Problem(number, "结案时间早于受理时间，按未结案导入。"))
            closed = None
        lat, lon = _float(get(record, "latitude")), _float(get(record, "longitude"))
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            lat = lon = None
        rows.append(
            Row(
                line=number,
                external_id=external_id[:64],
                category=category[:200],
                opened_raw=get(record, "opened"),
                opened_at=opened,
                closed_raw=get(record, "closed"),
                closed_at=closed,
                deadline_raw=get(record, "deadline"),
                deadline_at=deadline,
                status=get(record, "status")[:40],
                lat=lat,
                lon=lon,
                address=" ".join(get(record, "address").split()),
                description=get(record, "description"),
            )
        )
    used = {field: header[index] for field, index in cols.items()}
    return rows, problems, used


def read_path(path: str, tz: ZoneInfo) -> tuple[list[Row], list[Problem], dict[str, str]]:
    # utf-8-sig: exports saved by Excel start with a byte-order mark.
    with open(path, encoding="utf-8-sig", newline="") as stream:
        return read(stream, tz)


def read_text(text: str, tz: ZoneInfo) -> tuple[list[Row], list[Problem], dict[str, str]]:
    return read(io.StringIO(text, newline=""), tz)


def iter_chunks(rows: list[Row], size: int) -> Iterator[list[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


# The categories of the two reference files (Boston, San Francisco) and the GB/T 47678.5
# matter types closest to them; loaded into the editable mapping by the migration. Requests
# that are not about the city's public space (housing, transit feedback, general requests)
# are left out on purpose: they go to the fallback type and are reported as unmapped.
SEED_MAPPING: dict[str, str] = {
    # Boston
    "Sidewalk Repair (Make Safe)": "06013",  # 道路破损
    "Sidewalk Repair": "06013",  # 道路破损
    "Street Light Outages": "01037",  # 路灯异常
    "Street Light Knock Downs": "01037",  # 路灯异常
    # San Francisco
    "Street and Sidewalk Cleaning": "06012",  # 道路不洁
    "Graffiti Public Property": "06004",  # 建筑物外立面污损
    "Graffiti Private Property": "06004",  # 建筑物外立面污损
    "Abandoned Vehicle": "06034",  # 废弃车辆
    "Sewer Issues": "06030",  # 乱倒乱排污水、废水
    "Streetlights": "01037",  # 路灯异常
    "Tree Maintenance": "04002",  # 行道树异常
    "Street Defects": "06013",  # 道路破损
    "Sign Repair": "02010",  # 交通标志牌及标线异常
    "Litter Receptacles": "03005",  # 垃圾箱异常
    "Illegal Postings": "07001",  # 非法小广告
    "Sidewalk or Curb": "06050",  # 路缘石缺损
    "Blocked Street or SideWalk": "06036",  # 乱堆杂物
    "Catch Basin Maintenance": "01004",  # 雨水箅子异常
    "Noise Report": "06028",  # 噪声扰民
}
# Where an unmapped category goes unless the import names another: the catalogue has no
# 其他 matter, so a neutral, common street-order type is used and the category is reported.
FALLBACK_TYPE = "06036"  # 乱堆杂物
