"""Registering components (部件普查): one at a time, or a whole inventory file."""

from __future__ import annotations

from datetime import date
from typing import Literal

from django.db import IntegrityError, transaction

from yiwang.catalog.actions.component_checks import build_components
from yiwang.catalog.actions.component_files import csv_records, decode, geojson_records
from yiwang.catalog.models import Component
from yiwang.core import audit
from yiwang.core.errors import InvalidInput
from yiwang.core.importing import ErrorCollector, ImportSummary
from yiwang.geo.crs import parse_crs
from yiwang.org.models import User
from yiwang.org.permissions import require_admin


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
    actor: User,
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
    built = build_components(actor, [(1, record)], crs, errors)
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


@transaction.atomic
def import_components(
    actor: User,
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
    text = decode(data)
    errors = ErrorCollector()
    records = csv_records(text) if fmt == "csv" else geojson_records(text, errors)
    if not records and not errors.errors:
        raise InvalidInput("import_empty", "文件中没有部件记录。", "file")
    components = build_components(actor, records, crs, errors)
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
