"""Reading component inventory files: CSV (UTF-8 or GBK) and GeoJSON, into raw records."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from yiwang.catalog.actions.component_checks import (
    ALIAS_TO_COLUMN,
    COLUMNS,
    REQUIRED_COLUMNS,
    cell_text,
)
from yiwang.core import jsoninput
from yiwang.core.errors import InvalidInput
from yiwang.core.importing import ErrorCollector


def decode(data: bytes | str) -> str:
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
        column = ALIAS_TO_COLUMN.get(str(raw).strip().lower())
        if column is not None:
            mapping[raw] = column
    return mapping


def csv_records(text: str) -> list[tuple[int, dict[str, Any]]]:
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
        if not any(cell_text(v) for v in values.values()):
            continue  # trailing blank lines of spreadsheet exports
        records.append((index, values))
    return records


def geojson_records(text: str, errors: ErrorCollector) -> list[tuple[int, dict[str, Any]]]:
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
                cell_text(values.get("ident")),
                "invalid_geometry",
                "部件的几何应为点（Point）。",
                "geometry",
            )
            continue
        values["lon"], values["lat"] = coords[0], coords[1]
        records.append((index, values))
    return records
