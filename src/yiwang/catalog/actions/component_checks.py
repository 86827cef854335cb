"""Checking component records (one entered, or many imported) before anything is written.

Every record is checked for its fields, its id against its type and district, duplicates
in the batch and in the inventory, and located to its unit grid within the actor's scope.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from django.db import models

from yiwang.catalog.codes import (
    check_ident_format,
    type_code_of_ident,
    validate_component_ident,
)
from yiwang.catalog.models import Component, Kind, ObjectType
from yiwang.core.errors import ActionError, InvalidInput
from yiwang.core.importing import ErrorCollector
from yiwang.core.scope import path_in_scope
from yiwang.core.textinput import is_ascii_digits
from yiwang.geo.crs import to_wgs84
from yiwang.geo.locate import Located, locate_many
from yiwang.org.models import Division, User

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
ALIAS_TO_COLUMN = {alias.lower(): col for col, aliases in COLUMNS.items() for alias in aliases}
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


def cell_text(value: Any) -> str:
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
    text = cell_text(value)
    if not text:
        return None
    # Spreadsheet exports add a time of day ("2024-03-01 00:00:00").
    text = text.split("T")[0].split(" ")[0]
    match = _DATE_RE.fullmatch(text)
    parts = match.groups() if match else None
    if parts is None and len(text) == 8 and is_ascii_digits(text):
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
        text = cell_text(value)
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
    ref = cell_text(raw.get("ident"))
    cand = _Candidate(index=index, ref=ref)

    def fail(exc: ActionError) -> None:
        errors.add(index, ref, exc.code, exc.message, exc.field)
        cand.ok = False

    try:
        cand.values["ident"] = check_ident_format(ref)
    except InvalidInput as exc:
        fail(exc)

    type_code = cell_text(raw.get("type_code"))
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

    name = cell_text(raw.get("name"))
    if not name:
        fail(InvalidInput("required", "请填写部件名称。", "name"))
    elif len(name) > _max_length("name"):
        fail(InvalidInput("too_long", f"名称不能超过 {_max_length('name')} 个字。", "name"))
    cand.values["name"] = name

    state_text = cell_text(raw.get("state"))
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
        text = cell_text(raw.get(attr))
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


def build_components(
    actor: User, records: list[tuple[int, dict[str, Any]]], crs: str, errors: ErrorCollector
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
