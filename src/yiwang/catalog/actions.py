"""Write path for the type catalogue and the component inventory (部件普查)."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, cast

from django.db import IntegrityError, models, transaction

from yiwang.catalog.codes import (
    check_ident_format,
    type_code_of_ident,
    validate_component_ident,
    validate_major_code,
    validate_type_code,
)
from yiwang.catalog.models import Component, Kind, ObjectType
from yiwang.core import audit, jsoninput
from yiwang.core.errors import ActionError, InvalidInput, NotFound
from yiwang.core.importing import ErrorCollector, ImportSummary
from yiwang.core.scope import path_in_scope
from yiwang.geo.crs import parse_crs, to_wgs84
from yiwang.geo.locate import Located, locate_many
from yiwang.org.models import Division
from yiwang.org.permissions import require_admin

# ---------------------------------------------------------------------------
# Types


def _kind(kind: str) -> str:
    kind = str(kind).strip()
    if kind not in Kind.values:
        raise InvalidInput("invalid_kind", "类型应为 component（部件）或 matter（事项）。", "kind")
    return kind


def check_local_type(kind: str, code: str, major_code: str) -> tuple[str, str, str]:
    """Preconditions of a new local type, shared with the admin form. Returns cleaned values."""
    kind = _kind(kind)
    major_code = validate_major_code(major_code)
    code = validate_type_code(code, major_code=major_code)
    if ObjectType.objects.filter(kind=kind, code=code).exists():
        raise InvalidInput(
            "duplicate_type_code",
            f"{Kind(kind).label}类型代码 {code} 已存在，本地扩展类型不能与之重复。",
            "code",
        )
    return kind, code, major_code


@transaction.atomic
def create_local_type(
    actor: Any,
    *,
    kind: str,
    code: str,
    major_code: str,
    name: str,
    major_name: str = "",
    self_handle: bool = False,
) -> ObjectType:
    """Add a local extension type (本地扩展), marked ``is_local``; never replaces a standard one.

    ``major_name`` may be left blank when the major class already exists for this kind.
    """
    require_admin(actor, "新增本地扩展类型")
    kind, code, major_code = check_local_type(kind, code, major_code)
    name = name.strip()
    if not name:
        raise InvalidInput("required", "请填写类型名称。", "name")
    major_name = major_name.strip()
    if not major_name:
        sibling = ObjectType.objects.filter(kind=kind, major_code=major_code).first()
        if sibling is None:
            raise InvalidInput(
                "major_name_required",
                f"大类 {major_code} 尚不存在，请填写大类名称。",
                "major_name",
            )
        major_name = sibling.major_name
    object_type = ObjectType.objects.create(
        kind=kind,
        code=code,
        major_code=major_code,
        major_name=major_name,
        name=name,
        is_local=True,
        self_handle=self_handle,
    )
    audit.record(
        actor,
        "catalog.create_local_type",
        object_type,
        f"新增本地扩展{Kind(kind).label}类型 {code} {name}",
        kind=kind,
        code=code,
    )
    return object_type


@transaction.atomic
def update_type(
    actor: Any,
    kind: str,
    code: str,
    *,
    name: str | None = None,
    self_handle: bool | None = None,
    is_active: bool | None = None,
) -> ObjectType:
    """Change a type's switches; only local types may be renamed (standard names are fixed)."""
    require_admin(actor, "修改类型")
    object_type = ObjectType.objects.select_for_update().filter(kind=_kind(kind), code=code).first()
    if object_type is None:
        raise NotFound("type_not_found", f"类型 {code} 不存在。", "code")
    changes: dict[str, Any] = {}
    if name is not None and name.strip() != object_type.name:
        if not object_type.is_local:
            raise InvalidInput(
                "standard_type_readonly",
                "国家标准类型的名称不能修改，只能设置启用和可自处理。",
                "name",
            )
        if not name.strip():
            raise InvalidInput("required", "请填写类型名称。", "name")
        changes["name"] = name.strip()
    if self_handle is not None and self_handle != object_type.self_handle:
        changes["self_handle"] = self_handle
    if is_active is not None and is_active != object_type.is_active:
        changes["is_active"] = is_active
    if not changes:
        return object_type
    for attr, value in changes.items():
        setattr(object_type, attr, value)
    object_type.save(update_fields=list(changes))
    audit.record(
        actor,
        "catalog.update_type",
        object_type,
        f"修改类型 {object_type.code} {object_type.name}",
        **changes,
    )
    return object_type


# ---------------------------------------------------------------------------
# Components

# Column names accepted in CSV headers and GeoJSON properties, canonical name first.
COLUMNS: dict[str, tuple[str, ...]] = {
    "ident": ("ident", "标识码", "部件标识码"),
    "type_code": ("type_code", "类型代码", "部件类型代码"),
    "name": ("name", "名称", "部件名称"),
    "lon": ("lon", "经度", "lng", "longitude"),
    "lat": ("lat", "纬度", "latitude"),
    "state": ("state", "状态", "部件状态"),
    "authority_code": ("authority_code", "主管部门代码"),
    "authority_name": ("authority_name", "主管部门名称", "主管部门"),
    "owner": ("owner", "权属单位"),
    "maintainer": ("maintainer", "养护单位"),
    "initial_date": ("initial_date", "初始日期"),
    "change_date": ("change_date", "变更日期"),
    "data_source": ("data_source", "数据来源"),
    "note": ("note", "备注"),
}
_ALIAS_TO_COLUMN = {alias.lower(): col for col, aliases in COLUMNS.items() for alias in aliases}
REQUIRED_COLUMNS = ("ident", "name", "lon", "lat")
_TEXT_FIELDS = (
    "authority_code",
    "authority_name",
    "owner",
    "maintainer",
    "data_source",
    "note",
)
_STATE_BY_INPUT = {
    **{str(label): value for value, label in Component.State.choices},
    **{value: value for value in Component.State.values},
}
_DATE_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


def _field(attr: str) -> models.Field[Any, Any]:
    return cast("models.Field[Any, Any]", Component._meta.get_field(attr))


def _max_length(attr: str) -> int:
    return int(_field(attr).max_length or 0)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_date(value: Any, attr: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    # Spreadsheet exports add a time of day ("2024-03-01 00:00:00").
    text = text.split("T")[0].split(" ")[0]
    match = _DATE_RE.fullmatch(text)
    parts = match.groups() if match else None
    if parts is None and len(text) == 8 and text.isdigit():
        parts = (text[:4], text[4:6], text[6:])
    try:
        if parts is None:
            raise ValueError(text)
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        label = _field(attr).verbose_name
        raise InvalidInput(
            "invalid_date", f"{label}“{text}”不是有效日期，应写作 2024-03-01。", attr
        ) from None


def _parse_degree(value: Any, attr: str) -> float:
    label = "经度" if attr == "lon" else "纬度"
    if isinstance(value, int | float) and not isinstance(value, bool):
        number, text = float(value), str(value)
    else:
        text = _text(value)
        if not text:
            raise InvalidInput("required", f"请填写{label}。", attr)
        try:
            number = float(text)
        except ValueError:
            raise InvalidInput("bad_coordinates", f"{label}“{text}”不是数字。", attr) from None
    limit = 180.0 if attr == "lon" else 90.0
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise InvalidInput(
            "bad_coordinates",
            f"{label} {text} 超出范围（±{limit:g} 度；投影坐标请先换算为经纬度）。",
            attr,
        )
    return number


@dataclass
class _Candidate:
    """A record that passed the checks that need no database or geometry."""

    index: int
    ref: str
    values: dict[str, Any] = field(default_factory=dict)
    ok: bool = True
    lon: float | None = None
    lat: float | None = None


def _check_record(
    index: int,
    raw: dict[str, Any],
    types_by_code: dict[str, ObjectType],
    crs: str,
    errors: ErrorCollector,
) -> _Candidate:
    ref = _text(raw.get("ident"))
    cand = _Candidate(index=index, ref=ref)

    def fail(exc: ActionError) -> None:
        errors.add(index, ref, exc.code, exc.message, exc.field)
        cand.ok = False

    try:
        cand.values["ident"] = check_ident_format(ref)
    except InvalidInput as exc:
        fail(exc)

    type_code = _text(raw.get("type_code"))
    if isinstance(raw.get("type_code"), int):
        # JSON numbers lose the leading zero of a type code such as 01001.
        type_code = f"{raw['type_code']:05d}"
    if not type_code:
        type_code = type_code_of_ident(ref) or ""
    object_type = types_by_code.get(type_code)
    if not type_code:
        fail(InvalidInput("required", "请填写部件类型代码。", "type_code"))
    elif object_type is None:
        hint = "（如从 Excel 导出，请检查是否丢失前导 0）" if len(type_code) < 5 else ""
        fail(
            InvalidInput(
                "unknown_type", f"部件类型代码 {type_code} 不在部件分类目录中{hint}。", "type_code"
            )
        )
    elif not object_type.is_active:
        fail(InvalidInput("type_inactive", f"部件类型 {type_code} 已停用。", "type_code"))
    else:
        cand.values["type"] = object_type

    name = _text(raw.get("name"))
    if not name:
        fail(InvalidInput("required", "请填写部件名称。", "name"))
    elif len(name) > _max_length("name"):
        fail(InvalidInput("too_long", f"名称不能超过 {_max_length('name')} 个字。", "name"))
    cand.values["name"] = name

    state_text = _text(raw.get("state"))
    state = _STATE_BY_INPUT.get(state_text.lower() if state_text.isascii() else state_text)
    if not state_text:
        state = Component.State.INTACT
    if state is None:
        fail(
            InvalidInput(
                "invalid_state",
                f"状态“{state_text}”无效，应为 完好、破损、丢失、废弃 或 移除。",
                "state",
            )
        )
    cand.values["state"] = state

    for attr in _TEXT_FIELDS:
        text = _text(raw.get(attr))
        if len(text) > _max_length(attr):
            label = _field(attr).verbose_name
            fail(InvalidInput("too_long", f"{label}不能超过 {_max_length(attr)} 个字。", attr))
        cand.values[attr] = text

    for attr in ("initial_date", "change_date"):
        try:
            cand.values[attr] = _parse_date(raw.get(attr), attr)
        except InvalidInput as exc:
            fail(exc)
    initial, changed = cand.values.get("initial_date"), cand.values.get("change_date")
    if initial and changed and changed < initial:
        fail(InvalidInput("date_order", "变更日期不能早于初始日期。", "change_date"))

    try:
        lon = _parse_degree(raw.get("lon"), "lon")
        lat = _parse_degree(raw.get("lat"), "lat")
    except InvalidInput as exc:
        fail(exc)
    else:
        cand.lon, cand.lat = to_wgs84(lon, lat, crs)
    return cand


def _build_components(
    actor: Any, records: list[tuple[int, dict[str, Any]]], crs: str, errors: ErrorCollector
) -> list[Component]:
    """Check every record; return unsaved components, or none if ``errors`` got anything."""
    types_by_code = {t.code: t for t in ObjectType.objects.filter(kind=Kind.COMPONENT)}
    candidates = [_check_record(i, raw, types_by_code, crs, errors) for i, raw in records]

    seen: dict[str, int] = {}
    for cand in candidates:
        ident = cand.values.get("ident")
        if not ident:
            continue
        if ident in seen:
            errors.add(
                cand.index,
                cand.ref,
                "duplicate_ident_in_file",
                f"标识码 {ident} 在文件中重复（与第 {seen[ident]} 条相同）。",
                "ident",
            )
            cand.ok = False
        else:
            seen[ident] = cand.index
    existing = _existing_idents(seen)
    for cand in candidates:
        if cand.values.get("ident") in existing:
            errors.add(
                cand.index, cand.ref, "duplicate_ident", f"标识码 {cand.ref} 已存在。", "ident"
            )
            cand.ok = False

    located_rows = [c for c in candidates if c.lon is not None and c.lat is not None]
    places = locate_many([(c.lon, c.lat) for c in located_rows])  # type: ignore[misc]
    located: dict[int, Located] = {}
    for cand, place in zip(located_rows, places, strict=True):
        if place is None:
            errors.add(
                cand.index,
                cand.ref,
                "not_in_grid",
                f"坐标（{cand.lon:.6f}, {cand.lat:.6f}）不在任何单元网格内。",
                "lon",
            )
            cand.ok = False
        else:
            located[cand.index] = place
    codes = {p.community_code for p in located.values()} | {p.street_code for p in located.values()}
    divisions = {d.code: d for d in Division.objects.filter(code__in=codes)}

    built: list[Component] = []
    for cand in candidates:
        place = located.get(cand.index)
        if place is None:
            continue
        community = divisions.get(place.community_code)
        street = divisions.get(place.street_code)
        if community is None or street is None:  # a grid whose division was removed
            errors.add(cand.index, cand.ref, "not_in_grid", "所在网格的街道或社区不存在。", "lon")
            continue
        if not path_in_scope(actor, community.path):
            errors.add(
                cand.index,
                cand.ref,
                "grid_out_of_scope",
                f"部件位于网格 {place.grid_code}（{place.community_name}），不在您的管辖范围内。",
                "lon",
            )
            continue
        object_type = cand.values.get("type")
        if "ident" in cand.values and object_type is not None:
            try:
                validate_component_ident(
                    cand.values["ident"],
                    type_code=object_type.code,
                    district_code=place.district_code,
                )
            except InvalidInput as exc:
                errors.add(cand.index, cand.ref, exc.code, exc.message, exc.field)
                continue
        if not cand.ok or errors.errors:
            continue
        values = dict(cand.values)
        built.append(
            Component(
                **values,
                lon=place.lon,
                lat=place.lat,
                grid_id=place.grid_id,
                street=street,
                community=community,
                division_path=community.path,
            )
        )
    errors.errors.sort(key=lambda e: e.index)
    return [] if errors.errors else built


def _existing_idents(idents: Iterable[str]) -> set[str]:
    idents = list(idents)
    found: set[str] = set()
    for start in range(0, len(idents), 900):  # stay under SQLite's bound-parameter limit
        chunk = idents[start : start + 900]
        found.update(Component.objects.filter(ident__in=chunk).values_list("ident", flat=True))
    return found


def _save(components: list[Component]) -> None:
    try:
        with transaction.atomic():
            Component.objects.bulk_create(components, batch_size=500)
    except IntegrityError as exc:  # another import took an id between check and write
        raise InvalidInput(
            "duplicate_ident", "部分标识码刚被其他操作占用，请重新导入。", "ident"
        ) from exc


@transaction.atomic
def create_component(
    actor: Any,
    *,
    ident: str,
    type_code: str,
    name: str,
    lon: float,
    lat: float,
    crs: str = "wgs84",
    state: str = "intact",
    authority_code: str = "",
    authority_name: str = "",
    owner: str = "",
    maintainer: str = "",
    initial_date: date | str | None = None,
    change_date: date | str | None = None,
    data_source: str = "",
    note: str = "",
) -> Component:
    """Register one component; it is located to its grid, and its id checked against both.

    ``state`` takes the stored value (intact …) or the Chinese label (完好 …). The first
    problem found is raised as ``InvalidInput`` with its field.
    """
    require_admin(actor, "登记部件")
    crs = parse_crs(crs)
    record = {
        "ident": ident,
        "type_code": type_code,
        "name": name,
        "lon": lon,
        "lat": lat,
        "state": state,
        "authority_code": authority_code,
        "authority_name": authority_name,
        "owner": owner,
        "maintainer": maintainer,
        "initial_date": initial_date,
        "change_date": change_date,
        "data_source": data_source,
        "note": note,
    }
    errors = ErrorCollector()
    built = _build_components(actor, [(1, record)], crs, errors)
    if errors.errors:
        first = errors.errors[0]
        raise InvalidInput(first.code, first.message, first.field)
    component = built[0]
    try:
        with transaction.atomic():
            component.save()
    except IntegrityError as exc:  # a concurrent request took the id first
        raise InvalidInput(
            "duplicate_ident", f"标识码 {component.ident} 已存在。", "ident"
        ) from exc
    audit.record(
        actor,
        "catalog.create_component",
        component,
        f"登记部件 {component.ident} {component.name}",
        grid=component.grid.code,
    )
    return component


# ---------------------------------------------------------------------------
# Imports


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Chinese Windows saves "CSV" in the ANSI code page (GBK/GB18030).
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise InvalidInput(
            "import_encoding", "无法识别文件编码，请另存为 UTF-8 编码的 CSV。", "file"
        ) from None


def _canonical_columns(names: Iterable[str]) -> dict[str, str]:
    """Map each recognised header/property name to its canonical column."""
    mapping: dict[str, str] = {}
    for raw in names:
        column = _ALIAS_TO_COLUMN.get(str(raw).strip().lower())
        if column is not None:
            mapping[raw] = column
    return mapping


def _csv_records(text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    mapping = _canonical_columns(header)
    missing = [c for c in REQUIRED_COLUMNS if c not in mapping.values()]
    if not header:
        raise InvalidInput("import_empty", "文件为空。", "file")
    if missing:
        names = "、".join(f"{COLUMNS[c][0]}（{COLUMNS[c][1]}）" for c in missing)
        raise InvalidInput("import_missing_column", f"缺少必需的列：{names}。", "file")
    records: list[tuple[int, dict[str, Any]]] = []
    for index, row in enumerate(reader, start=1):
        values = {mapping[k]: v for k, v in row.items() if k in mapping}
        if not any(_text(v) for v in values.values()):
            continue  # trailing blank lines of spreadsheet exports
        records.append((index, values))
    return records


def _geojson_records(text: str, errors: ErrorCollector) -> list[tuple[int, dict[str, Any]]]:
    doc = jsoninput.loads(text, field="file", code="invalid_json")
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InvalidInput("invalid_geojson", "GeoJSON 应为 FeatureCollection。", "file")
    features = doc.get("features")
    if not isinstance(features, list):
        raise InvalidInput("invalid_geojson", "FeatureCollection 缺少 features 数组。", "file")
    records: list[tuple[int, dict[str, Any]]] = []
    for index, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        mapping = _canonical_columns(props)
        values = {mapping[k]: v for k, v in props.items() if k in mapping}
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if (
            not isinstance(geometry, dict)
            or geometry.get("type") != "Point"
            or not isinstance(coords, list)
            or len(coords) < 2
        ):
            errors.add(
                index,
                _text(values.get("ident")),
                "invalid_geometry",
                "部件的几何应为点（Point）。",
                "geometry",
            )
            continue
        values["lon"], values["lat"] = coords[0], coords[1]
        records.append((index, values))
    return records


@transaction.atomic
def import_components(
    actor: Any,
    data: bytes | str,
    *,
    fmt: Literal["csv", "geojson"],
    crs: str = "wgs84",
) -> ImportSummary:
    """Import a component inventory; all-or-nothing, with a report of every bad record.

    CSV (UTF-8 with or without BOM; GBK/GB18030 as a fallback): a header row naming the
    columns, English or Chinese, in any order; unknown columns are ignored:

    ====================  ==============  =========================================
    column                alias           content
    ====================  ==============  =========================================
    ident *               标识码           17 digits: district 6 + type 5 + serial 6
    type_code             类型代码         5 digits; blank = digits 7–11 of the id
    name *                名称
    lon * / lat *         经度 / 纬度      degrees in ``crs`` (wgs84, cgcs2000, gcj02, bd09)
    state                 状态             完好/破损/丢失/废弃/移除 or intact/damaged/lost/
                                          abandoned/removed; blank = 完好
    authority_code        主管部门代码
    authority_name        主管部门名称
    owner                 权属单位
    maintainer            养护单位
    initial_date          初始日期         2024-03-01 (also 2024/3/1, 20240301)
    change_date           变更日期
    data_source           数据来源
    note                  备注
    ====================  ==============  =========================================

    GeoJSON: a FeatureCollection of Point features whose properties use the same names.

    Every record is located to its unit grid. A record is refused for a missing or bad
    field, a type code that is not a component type, an id that does not match its
    district or type, an id repeated in the file or already registered, a point in no
    grid, or a grid outside the actor's scope. Any refusal raises ``ImportRejected``
    (errors: 1-based record index — the data row after the header, or the feature —
    with ref = the id) and writes nothing.
    """
    require_admin(actor, "导入部件")
    crs = parse_crs(crs)
    if fmt not in ("csv", "geojson"):
        raise InvalidInput("import_format", "导入格式应为 csv 或 geojson。", "format")
    text = _decode(data)
    errors = ErrorCollector()
    records = _csv_records(text) if fmt == "csv" else _geojson_records(text, errors)
    if not records and not errors.errors:
        raise InvalidInput("import_empty", "文件中没有部件记录。", "file")
    components = _build_components(actor, records, crs, errors)
    errors.raise_if_any("部件")
    _save(components)
    audit.record(
        actor,
        "catalog.import_components",
        ("catalog.component", "import"),
        f"导入部件 {len(components)} 个（{fmt.upper()}）",
        format=fmt,
        crs=crs,
        count=len(components),
        idents=[c.ident for c in components],
    )
    return ImportSummary(created=len(components), total=len(components))
