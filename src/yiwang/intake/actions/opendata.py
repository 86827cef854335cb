"""Writes of the 311 open-data importer: the category mapping, the foreign city, the cases.

A 311 file describes a city that is not ours: its points fall in none of the node's grids.
`import_file` therefore first sets up a *foreign city* through the org and geo actions — a
street-level division under an existing district (its code given by the caller), one
community, a lattice of square grids (`cell_deg`, 0.01° by default, about 1 km) covering
only the cells that hold a request, a territorial department and the machine accounts that
play the loop (受理员, 值班长, 派遣员, 监督员, 处置人员; none can sign in). Then every
request becomes a case through `report_cases` at its real opening time, and a closed request
is moved through the whole loop with `moving(...).apply(..., now=...)` so that it is closed
at the file's closing time. The points keep their real coordinates, so durations, on-time
rates and hotspots run on real data in a division of their own.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiwang.cases import actions as case_actions
from yiwang.cases.models import Case, Source
from yiwang.catalog.models import ObjectType
from yiwang.core import audit
from yiwang.core.errors import InvalidInput
from yiwang.core.progress import Progress
from yiwang.geo import actions as geo_actions
from yiwang.geo.models import UnitGrid
from yiwang.intake import opendata
from yiwang.intake.models import OpenDataCategory, OpenDataImport, OpenDataRecord
from yiwang.org import actions as org_actions
from yiwang.org.models import Department, Division, User
from yiwang.org.permissions import require_admin
from yiwang.org.roles import Role

CELL_DEG = 0.01
SERIAL_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_GRIDS = len(SERIAL_ALPHABET) ** 3  # grid codes end in 3 characters
# The loop a closed request is played through (a 311 request comes like a hotline order).
OPENING_MOVES = ("to_verify", "send_verify", "verify_confirm", "register", "dispatch")
CLOSING_MOVES = ("accept_task", "finish", "send_check", "check_pass", "close")
MOVE_GAP = timedelta(minutes=1)
# How often (in requests) the progress hook of a web import is told.
PROGRESS_EVERY = 25
# (done, total): the worker writes it to the job the page polls.
ProgressHook = Callable[[int, int], None]


# ---- the editable mapping ---------------------------------------------------------------------


def _matter(code: str, field_name: str = "type_code") -> ObjectType:
    obj = ObjectType.objects.filter(kind="matter", code=(code or "").strip()).first()
    if obj is None or not obj.is_active:
        raise InvalidInput("unknown_type", f"未知的事件类型代码：{code}", field_name)
    return obj


@transaction.atomic
def set_category(actor: User, category: str, type_code: str) -> OpenDataCategory:
    """Map a 311 category to a matter type (create or change); audited."""
    require_admin(actor, "修改 311 类别映射")
    label = " ".join((category or "").split())
    if not label:
        raise InvalidInput("required", "请填写 311 类别。", "category")
    if len(label) > 200:
        raise InvalidInput("too_long", "311 类别不能超过 200 字。", "category")
    obj_type = _matter(type_code)
    row, created = OpenDataCategory.objects.update_or_create(
        key=opendata.category_key(label), defaults={"category": label, "type": obj_type}
    )
    audit.record(
        actor,
        "intake.opendata_category",
        row,
        f"{'新增' if created else '修改'} 311 类别映射 {label} → {obj_type.code} {obj_type.name}",
        type_code=obj_type.code,
    )
    return row


@transaction.atomic
def delete_category(actor: User, pk: int) -> None:
    require_admin(actor, "删除 311 类别映射")
    row = OpenDataCategory.objects.filter(pk=pk).first()
    if row is None:
        raise InvalidInput("not_found", "该映射不存在。", None)
    audit.record(actor, "intake.opendata_category_delete", row, f"删除 311 类别映射 {row.category}")
    row.delete()


def mapping() -> dict[str, ObjectType]:
    return {row.key: row.type for row in OpenDataCategory.objects.select_related("type")}


# ---- the foreign city -------------------------------------------------------------------------


@dataclass
class ForeignCity:
    street: Division
    community: Division
    department: Department
    operator: User
    shift_lead: User
    dispatcher: User
    inspector: User
    handler: User
    grids_created: int = 0


def _machine_account(
    actor: User, street: Division, role: str, department: Department | None = None
) -> User:
    username = f"opendata.{street.code}.{role}"
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    user = User(
        username=username,
        role=role,
        division=street,
        department=department,
        display_name=f"{street.name}{Role(role).label}（311 导入）",
    )
    user.set_unusable_password()  # plays the file's history; nobody signs in as it
    user.save()
    audit.record(actor, "intake.opendata_account", user, f"新建 311 导入账号 {username}")
    return user


def _ensure_divisions(actor: User, code: str, name: str) -> tuple[Division, Division]:
    if len(code) != 9 or not code.isdigit():
        raise InvalidInput(
            "bad_city_code", "城市区划代码应为 9 位街道级代码（前 6 位为已有区县）。", "city"
        )
    street = Division.objects.filter(code=code).first()
    if street is None:
        street = org_actions.create_division(
            actor, code=code, name=name, level="street", parent_code=code[:6]
        )
    elif street.level != Division.Level.STREET:
        raise InvalidInput("bad_city_code", f"区划 {code} 不是街道级区划。", "city")
    community = Division.objects.filter(code=f"{code}001").first()
    if community is None:
        community = org_actions.create_division(
            actor, code=f"{code}001", name=f"{name}全域", level="community", parent_code=code
        )
    return street, community


def _cell(lon: float, lat: float, size: float) -> tuple[int, int]:
    return math.floor(lon / size), math.floor(lat / size)


def _serial(n: int) -> str:
    a = SERIAL_ALPHABET
    return a[n // 1296] + a[n // 36 % 36] + a[n % 36]


def ensure_lattice(
    actor: User, community: Division, points: list[tuple[float, float]], size: float
) -> int:
    """Square grids of `size` degrees covering every point; existing cells are kept."""
    existing = UnitGrid.objects.filter(community=community).values_list("min_lon", "min_lat")
    # A cell is known by its south-west corner (a later import extends the same lattice).
    have = {(round(lon0 / size), round(lat0 / size)) for lon0, lat0 in existing}
    used = len(have)
    wanted = sorted({_cell(lon, lat, size) for lon, lat in points} - have)
    if used + len(wanted) > MAX_GRIDS:
        raise InvalidInput("too_many_grids", "网格数超出上限，请增大网格边长。", "cell_deg")
    features = []
    for i, (ix, iy) in enumerate(wanted, start=used):
        x0, y0 = round(ix * size, 7), round(iy * size, 7)
        x1, y1 = round((ix + 1) * size, 7), round((iy + 1) * size, 7)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": f"{community.code}{_serial(i)}",
                    "name": f"{community.name}第{i + 1}网格",
                    "community": community.code,
                    "region_class": 1,
                },
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
                },
            }
        )
    if features:
        geo_actions.import_grids(actor, {"type": "FeatureCollection", "features": features})
    return len(features)


def ensure_city(actor: User, code: str, name: str) -> ForeignCity:
    street, community = _ensure_divisions(actor, code, name)
    dept_name = f"{name}311处置单位"
    department = Department.objects.filter(name=dept_name, division=street).first()
    if department is None:
        department = org_actions.create_department(
            actor, name=dept_name, kind="territorial", division_code=street.code
        )
    return ForeignCity(
        street=street,
        community=community,
        department=department,
        operator=_machine_account(actor, street, Role.OPERATOR),
        shift_lead=_machine_account(actor, street, Role.SHIFT_LEAD),
        dispatcher=_machine_account(actor, street, Role.DISPATCHER),
        inspector=_machine_account(actor, street, Role.INSPECTOR),
        handler=_machine_account(actor, street, Role.HANDLER, department),
    )


# ---- importing --------------------------------------------------------------------------------


@dataclass
class ImportResult:
    batch: OpenDataImport
    rows: int = 0
    created: int = 0
    closed: int = 0
    skipped_existing: int = 0
    no_coordinates: int = 0
    problems: list[opendata.Problem] = field(default_factory=list)
    unmapped: Counter[str] = field(default_factory=Counter)
    grids_created: int = 0


def _move_times(opened: datetime, closed: datetime) -> list[datetime]:
    """When each move of a closed request happens: the loop opens a minute apart after the
    report and closes a minute apart before the file's closing time (squeezed evenly when
    the request took less than ten minutes), so the close lands exactly on the file's time."""
    moves = len(OPENING_MOVES) + len(CLOSING_MOVES)
    gap = min(MOVE_GAP, (closed - opened) / (moves + 1))
    first = [opened + gap * (k + 1) for k in range(len(OPENING_MOVES))]
    last = [closed - gap * (len(CLOSING_MOVES) - 1 - k) for k in range(len(CLOSING_MOVES))]
    return first + last


def _play(city: ForeignCity, case: Case, opened: datetime, closed: datetime) -> Case:
    inputs: dict[str, dict[str, Any]] = {
        "send_verify": {"inspector_id": city.inspector.pk},
        "verify_confirm": {"note": "311 数据：情况属实。"},
        "dispatch": {"department_id": city.department.pk},
        "finish": {"result": "311 数据：已办结。"},
        "send_check": {"inspector_id": city.inspector.pk},
        "check_pass": {"note": "311 数据：已处置到位。"},
    }
    actors = {
        "to_verify": city.operator,
        "send_verify": city.operator,
        "verify_confirm": city.inspector,
        "register": city.shift_lead,
        "dispatch": city.dispatcher,
        "accept_task": city.handler,
        "finish": city.handler,
        "send_check": city.operator,
        "check_pass": city.inspector,
        "close": city.shift_lead,
    }
    names = OPENING_MOVES + CLOSING_MOVES
    with case_actions.moving(case) as moves:
        for name, at in zip(names, _move_times(opened, closed), strict=True):
            case = moves.apply(
                actors[name], name, version=case.version, inputs=inputs.get(name, {}), now=at
            )
    return case


def _report(row: opendata.Row, obj_type: ObjectType) -> case_actions.Report:
    title = f"{row.category}（311 #{row.external_id}）"[:100]
    details = [f"311 类别：{row.category}", f"原编号：{row.external_id}"]
    if row.description and row.description != row.category:
        details.append(f"说明：{row.description}")
    return case_actions.Report(
        kind="matter",
        type_code=obj_type.code,
        title=_printable(title),
        lon=row.lon or 0.0,
        lat=row.lat or 0.0,
        source=Source.HOTLINE,
        description=_printable("\n".join(details))[:1000],
        address=_printable(row.address)[:200],
    )


def _printable(text: str) -> str:
    # Exports carry tabs, stray control characters and odd spacing; keep the words.
    return "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in text).strip()


def import_file(
    actor: User,
    path: str,
    *,
    city_code: str,
    city_name: str,
    tz: str,
    fallback_type: str = opendata.FALLBACK_TYPE,
    cell_deg: float = CELL_DEG,
    limit: int | None = None,
    every: int = 1,
    progress_stream: Any = None,
    on_progress: ProgressHook | None = None,
) -> ImportResult:
    """Import a 311 CSV file as cases of a foreign city (see the module's docstring).

    Idempotent per (city, request id): a request already imported is skipped. `every`/
    `limit` take a deterministic slice of the file (every n-th request, at most `limit`).
    """
    require_admin(actor, "导入 311 开放数据")
    opendata.zone(tz)  # a bad zone is refused before the file is looked for
    if not os.path.isfile(path):
        raise InvalidInput("file_not_found", f"找不到文件：{path}", "file")
    with open(path, "rb") as f:
        data = f.read()
    return import_data(
        actor,
        data,
        os.path.basename(path),
        city_code=city_code,
        city_name=city_name,
        tz=tz,
        fallback_type=fallback_type,
        cell_deg=cell_deg,
        limit=limit,
        every=every,
        progress_stream=progress_stream,
        on_progress=on_progress,
    )


def decode(data: bytes) -> str:
    """The text of an uploaded CSV file (UTF-8, with or without a byte-order mark)."""
    if b"\x00" in data:
        raise InvalidInput("not_csv", "文件不是 CSV 文本文件（含有二进制内容）。", "file")
    try:
        # utf-8-sig: exports saved by Excel start with a byte-order mark.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("not_csv", "文件不是 UTF-8 编码的 CSV 文本文件。", "file") from None


def import_data(
    actor: User,
    data: bytes,
    filename: str,
    *,
    city_code: str,
    city_name: str,
    tz: str,
    fallback_type: str = opendata.FALLBACK_TYPE,
    cell_deg: float = CELL_DEG,
    limit: int | None = None,
    every: int = 1,
    progress_stream: Any = None,
    on_progress: ProgressHook | None = None,
) -> ImportResult:
    """`import_file` on the file's bytes: the command and the web upload's worker job both
    come here. `on_progress(done, total)` is called as requests are processed."""
    require_admin(actor, "导入 311 开放数据")
    if not (0.001 <= cell_deg <= 1):
        raise InvalidInput("bad_cell_size", "网格边长应在 0.001° 到 1° 之间。", "cell_deg")
    zone = opendata.zone(tz)
    fallback = _matter(fallback_type, "fallback")
    rows, problems, used = opendata.read_text(decode(data), zone)
    rows = rows[:: max(every, 1)][:limit]
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        city = ensure_city(actor, city_code, city_name)
        points = [(r.lon, r.lat) for r in rows if r.lon is not None and r.lat is not None]
        grids = ensure_lattice(actor, city.community, points, cell_deg)  # type: ignore[arg-type]
        batch = OpenDataImport.objects.create(
            division=city.street,
            filename=filename[:255],
            sha256=digest,
            time_zone=tz,
            created_at=timezone.now(),
            columns=used,
        )
    result = ImportResult(batch=batch, rows=len(rows), problems=problems, grids_created=grids)
    known = mapping()
    done = set(
        OpenDataRecord.objects.filter(division=city.street).values_list("external_id", flat=True)
    )
    with Progress("导入 311 数据", len(rows), unit="件", stream=progress_stream) as progress:
        for done_rows, row in enumerate(sorted(rows, key=lambda r: (r.opened_at, r.line))):
            progress.advance()
            if on_progress is not None and done_rows % PROGRESS_EVERY == 0:
                on_progress(done_rows, len(rows))
            if row.external_id in done:
                result.skipped_existing += 1
                continue
            if row.lat is None or row.lon is None:
                result.no_coordinates += 1
                problems.append(opendata.Problem(row.line, "缺少坐标，未导入。"))
                continue
            obj_type = known.get(opendata.category_key(row.category))
            if obj_type is None:
                result.unmapped[row.category] += 1
            try:
                _import_row(city, batch, row, obj_type or fallback, mapped=obj_type is not None)
            except InvalidInput as exc:
                problems.append(opendata.Problem(row.line, exc.message))
                continue
            result.created += 1
            result.closed += row.closed_at is not None
    batch.counts = {
        "rows": result.rows,
        "created": result.created,
        "closed": result.closed,
        "skipped_existing": result.skipped_existing,
        "no_coordinates": result.no_coordinates,
        "problems": len(problems),
        "grids_created": grids,
    }
    if on_progress is not None:
        on_progress(len(rows), len(rows))
    batch.unmapped = dict(result.unmapped.most_common())
    batch.save(update_fields=["counts", "unmapped"])
    audit.record(
        actor,
        "intake.opendata_import",
        batch,
        f"导入 311 数据 {batch.filename}：新建案卷 {result.created} 件",
        counts=batch.counts,
        unmapped=batch.unmapped,
    )
    return result


@transaction.atomic
def _import_row(
    city: ForeignCity,
    batch: OpenDataImport,
    row: opendata.Row,
    obj_type: ObjectType,
    *,
    mapped: bool,
) -> None:
    """One request: the case at its opening time, its loop to the closing time, the record."""
    (case,) = case_actions.report_cases(city.operator, [_report(row, obj_type)], now=row.opened_at)
    if row.closed_at is not None:
        case = _play(city, case, row.opened_at, row.closed_at)
    OpenDataRecord.objects.create(
        batch=batch,
        division=city.street,
        case=case,
        external_id=row.external_id,
        category=row.category,
        mapped=mapped,
        status=row.status,
        opened_raw=row.opened_raw[:40],
        closed_raw=row.closed_raw[:40],
        deadline_raw=row.deadline_raw[:40],
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        deadline_at=row.deadline_at,
        lat=row.lat or 0.0,
        lon=row.lon or 0.0,
    )
