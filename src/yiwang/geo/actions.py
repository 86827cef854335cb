"""Write path for unit grids: create one, import a FeatureCollection, delete.

Creation and import share one validator, so a grid refused by the import would also be
refused one by one. Imports are all-or-nothing: every feature is checked first and every
problem reported (core.importing); only a clean file is written, in one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from shapely.geometry import Polygon

from yiwang.core import audit, generations, jsoninput
from yiwang.core.errors import Conflict, InvalidInput, NotFound
from yiwang.core.importing import ErrorCollector, ImportSummary
from yiwang.core.scope import path_in_scope, scoped
from yiwang.geo import crs as crs_mod
from yiwang.geo.codes import grid_code_prefix, validate_grid_code
from yiwang.geo.geometry import geodesic_area_m2, parse_polygon, to_geojson
from yiwang.geo.models import UnitGrid
from yiwang.org.models import Division, User
from yiwang.org.permissions import require_admin

GENERATION = "grids"
MAX_IMPORT_FEATURES = 50_000

_REGION_CLASSES = {
    1: 1,
    2: 2,
    "1": 1,
    "2": 2,
    "一类": 1,
    "二类": 2,
    "一类区域": 1,
    "二类区域": 2,
}


@dataclass
class _Candidate:
    index: int  # 1-based feature position (1 for a single create)
    ref: str  # the code as given, for the report
    code: str | None = None
    name: str = ""
    community: Division | None = None
    region_class: int = 1
    polygon: Polygon | None = None
    area_m2: float = 0.0


def _parse_region_class(value: Any) -> int | None:
    if value is None or value == "":
        return 1
    if isinstance(value, bool):
        return None
    key = value.strip() if isinstance(value, str) else value
    return _REGION_CLASSES.get(key)


def _resolve_communities(actor: User, codes: set[str]) -> dict[str, Division]:
    """Communities among ``codes`` that exist and lie in the actor's scope."""
    found = Division.objects.filter(code__in=codes, level=Division.Level.COMMUNITY)
    return {d.code: d for d in found if path_in_scope(actor, d.path)}


def _check_overlaps(candidates: list[_Candidate], errors: ErrorCollector) -> None:
    """Overlap (area above tolerance) with existing grids and between the candidates."""
    tolerance = settings.GRID_OVERLAP_TOLERANCE_M2
    shaped = [c for c in candidates if c.polygon is not None]
    if not shaped:
        return
    polygons = np.array([c.polygon for c in shaped], dtype=object)
    shapely.prepare(polygons)
    min_lon, min_lat, max_lon, max_lat = shapely.total_bounds(polygons)
    existing = list(
        UnitGrid.objects.filter(
            min_lon__lte=max_lon, max_lon__gte=min_lon, min_lat__lte=max_lat, max_lat__gte=min_lat
        ).values_list("code", "geometry")
    )
    if existing:
        existing_polygons = np.array(
            [shapely.from_geojson(json.dumps(geom)) for _, geom in existing], dtype=object
        )
        tree = shapely.STRtree(existing_polygons)
        new_idx, old_idx = tree.query(polygons, predicate="intersects")
        for i, j in zip(new_idx.tolist(), old_idx.tolist(), strict=True):
            area = _overlap_area(polygons[i], existing_polygons[j])
            if area > tolerance:
                c = shaped[i]
                errors.add(
                    c.index,
                    c.ref,
                    "overlap",
                    f"与已有网格 {existing[j][0]} 重叠约 {area:.1f} 平方米"
                    f"（允许 {tolerance:g} 平方米）。",
                    "geometry",
                )
    tree = shapely.STRtree(polygons)
    left, right = tree.query(polygons, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j:
            continue
        area = _overlap_area(polygons[i], polygons[j])
        if area > tolerance:
            first, later = shaped[i], shaped[j]
            errors.add(
                later.index,
                later.ref,
                "overlap_in_file",
                f"与文件中第 {first.index} 个要素（{first.ref}）重叠约 {area:.1f} 平方米"
                f"（允许 {tolerance:g} 平方米）。",
                "geometry",
            )


def _overlap_area(a: Polygon, b: Polygon) -> float:
    # Touching along a shared border is the normal case; skip the geodesic work for it.
    if shapely.touches(a, b):
        return 0.0
    return geodesic_area_m2(shapely.intersection(a, b))


def _validate(
    actor: User, raw: list[dict[str, Any]], crs: str, errors: ErrorCollector
) -> list[_Candidate]:
    """Check every record; ``raw`` items hold code, name, community, region_class, geometry."""
    candidates: list[_Candidate] = []
    wanted_communities: set[str] = set()
    for i, item in enumerate(raw, start=1):
        code = item.get("code")
        ref = str(code).strip() if code is not None else ""
        cand = _Candidate(index=i, ref=ref)
        candidates.append(cand)
        if not ref:
            errors.add(i, ref, "required", "缺少网格编码（code）。", "code")
        community_code = item.get("community")
        if community_code is None or str(community_code).strip() == "":
            community_code = grid_code_prefix(ref) if ref else None
        item["_community"] = str(community_code).strip() if community_code else None
        if item["_community"]:
            wanted_communities.add(item["_community"])
        name = item.get("name")
        cand.name = "" if name is None else str(name).strip()
        if len(cand.name) > 100:
            errors.add(i, ref, "name_too_long", "网格名称不能超过 100 个字符。", "name")
        region_class = _parse_region_class(item.get("region_class"))
        if region_class is None:
            errors.add(
                i,
                ref,
                "region_class",
                f"区域类别 {item.get('region_class')} 不正确，应为 1（一类）或 2（二类）。",
                "region_class",
            )
        else:
            cand.region_class = region_class
        try:
            cand.polygon = parse_polygon(item.get("geometry"), crs)
            cand.area_m2 = geodesic_area_m2(cand.polygon)
        except InvalidInput as exc:
            errors.add(i, ref, exc.code, exc.message, exc.field)

    communities = _resolve_communities(actor, wanted_communities)
    seen: dict[str, int] = {}
    for cand, item in zip(candidates, raw, strict=True):
        if not cand.ref:
            continue
        community_code = item["_community"]
        community = communities.get(community_code) if community_code else None
        if community is None:
            errors.add(
                cand.index,
                cand.ref,
                "community_not_found",
                f"社区 {community_code or '（未指定）'} 不存在、不是社区级区划"
                "或不在您的管辖范围内。",
                "community",
            )
            # Still check the code's shape so the report lists every problem at once.
            if grid_code_prefix(cand.ref) is None:
                errors.add(
                    cand.index,
                    cand.ref,
                    "grid_code_format",
                    f"网格编码 {cand.ref} 格式不正确：应为 15 位或旧版 14 位。",
                    "code",
                )
            continue
        cand.community = community
        try:
            cand.code = validate_grid_code(cand.ref, community.code)
        except InvalidInput as exc:
            errors.add(cand.index, cand.ref, exc.code, exc.message, exc.field)
            continue
        if cand.code in seen:
            errors.add(
                cand.index,
                cand.ref,
                "duplicate_in_file",
                f"网格编码 {cand.code} 与文件中第 {seen[cand.code]} 个要素重复。",
                "code",
            )
        else:
            seen[cand.code] = cand.index
    existing_codes = set(
        UnitGrid.objects.filter(code__in=list(seen)).values_list("code", flat=True)
    )
    for cand in candidates:
        if cand.code in existing_codes and seen.get(cand.code) == cand.index:
            errors.add(
                cand.index, cand.ref, "duplicate_code", f"网格编码 {cand.code} 已存在。", "code"
            )
    _check_overlaps(candidates, errors)
    return candidates


def _build(cand: _Candidate) -> UnitGrid:
    assert cand.polygon is not None and cand.community is not None and cand.code is not None
    min_lon, min_lat, max_lon, max_lat = cand.polygon.bounds
    return UnitGrid(
        code=cand.code,
        name=cand.name,
        community=cand.community,
        division_path=cand.community.path,
        geometry=to_geojson(cand.polygon),
        area_m2=round(cand.area_m2, 2),
        region_class=cand.region_class,
        min_lon=min_lon,
        min_lat=min_lat,
        max_lon=max_lon,
        max_lat=max_lat,
    )


def _duplicate_race(exc: IntegrityError) -> InvalidInput:
    return InvalidInput("duplicate_code", "网格编码已被同时进行的其他操作占用，请重试。", "code")


def create_grid(
    actor: User,
    *,
    code: str,
    name: str,
    community_code: str,
    geometry: dict[str, Any],
    region_class: int = 1,
    crs: str = "wgs84",
) -> UnitGrid:
    """Create one grid; the same checks as an import of a one-feature file."""
    require_admin(actor, "新建单元网格")
    crs = crs_mod.parse_crs(crs)
    errors = ErrorCollector()
    item = {
        "code": code,
        "name": name,
        "community": community_code,
        "region_class": region_class,
        "geometry": geometry,
    }
    try:
        with transaction.atomic():
            _lock_grids()
            (cand,) = _validate(actor, [item], crs, errors)
            if errors.errors:
                first = errors.errors[0]
                raise InvalidInput(first.code, first.message, first.field)
            grid = _build(cand)
            grid.save()
            audit.record(
                actor,
                "geo.create_grid",
                grid,
                f"新建单元网格 {grid.code} {grid.name}",
                crs=crs,
                area_m2=grid.area_m2,
            )
    except IntegrityError as exc:
        raise _duplicate_race(exc) from exc
    return grid


def _lock_grids() -> None:
    """Serialise grid writers for the rest of the transaction, so that the overlap and
    duplicate checks of one import see every grid another import committed before it.

    Bumping the generation first does it: the UPDATE holds the row lock on PostgreSQL
    until commit, and SQLite's IMMEDIATE transactions already admit one writer at a time.
    """
    generations.bump(GENERATION)


# What the import endpoint's body looks like, for the API document; the features
# themselves are checked one by one (`import_grids`).
FEATURE_COLLECTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_IMPORT_FEATURES,
            "items": {"type": "object"},
        },
    },
}


def _features(data: dict[str, Any] | str | bytes) -> tuple[list[dict[str, Any]], str | None]:
    if isinstance(data, str | bytes):
        data = jsoninput.loads(data, field="file", code="bad_geojson")
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InvalidInput("bad_geojson", "文件应为 GeoJSON FeatureCollection。", "file")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise InvalidInput("empty_import", "FeatureCollection 中没有要素。", "file")
    if len(features) > MAX_IMPORT_FEATURES:
        raise InvalidInput(
            "too_many_features", f"一次最多导入 {MAX_IMPORT_FEATURES} 个网格。", "file"
        )
    declared = None
    crs_member = data.get("crs")
    if isinstance(crs_member, dict):
        declared = str((crs_member.get("properties") or {}).get("name") or "")
    return features, declared


def import_grids(
    actor: User, data: dict[str, Any] | str | bytes, *, crs: str = "wgs84"
) -> ImportSummary:
    """Import a GeoJSON FeatureCollection of grids, all or nothing.

    Feature properties: ``code`` (required), ``name``, ``community`` (12-digit code; taken
    from the code's first 12 characters when absent), ``region_class`` (1/2 or 一类/二类).
    Raises ImportRejected carrying one RecordError per problem (index = feature position).
    """
    require_admin(actor, "导入单元网格")
    crs = crs_mod.parse_crs(crs)
    features, declared = _features(data)
    if declared:
        # An old-style "crs" member (GeoJSON 2008) must agree with what the caller said.
        file_crs = crs_mod.parse_crs(declared, "file")
        same_datum = {file_crs, crs} <= {crs_mod.WGS84, crs_mod.CGCS2000}
        if file_crs != crs and not same_datum:
            raise InvalidInput(
                "crs_mismatch",
                f"文件声明的坐标系为 {declared}，与所选坐标系 {crs} 不一致。",
                "crs",
            )
    errors = ErrorCollector()
    raw: list[dict[str, Any]] = []
    for feature in features:
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        raw.append(
            {
                "code": props.get("code"),
                "name": props.get("name"),
                "community": props.get("community"),
                "region_class": props.get("region_class"),
                "geometry": feature.get("geometry") if isinstance(feature, dict) else None,
            }
        )
    try:
        with transaction.atomic():
            _lock_grids()
            candidates = _validate(actor, raw, crs, errors)
            errors.raise_if_any("要素")
            grids = [_build(c) for c in candidates]
            UnitGrid.objects.bulk_create(grids, batch_size=500)
            audit.record(
                actor,
                "geo.import_grids",
                ("geo.unitgrid", "import"),
                f"导入单元网格 {len(grids)} 个",
                crs=crs,
                codes=[g.code for g in grids],
            )
    except IntegrityError as exc:
        raise _duplicate_race(exc) from exc
    return ImportSummary(created=len(grids), total=len(features))


@transaction.atomic
def delete_grid(actor: User, code: str) -> None:
    """Delete a grid that nothing references: cases and components keep their grid, so a
    grid they point at is refused with ``grid_in_use`` (409) and stays."""
    require_admin(actor, "删除单元网格")
    grid = scoped(UnitGrid.objects.all(), actor, "division_path").filter(code=code).first()
    if grid is None:
        raise NotFound("grid_not_found", f"单元网格 {code} 不存在。", "code")
    try:
        with transaction.atomic():
            grid.delete()
    except ProtectedError as exc:
        raise Conflict(
            "grid_in_use", f"单元网格 {code} 仍被案卷或部件引用，不能删除。", "code"
        ) from exc
    audit.record(actor, "geo.delete_grid", ("geo.unitgrid", code), f"删除单元网格 {code}")
    generations.bump(GENERATION)


@transaction.atomic
def update_grid(
    actor: User, code: str, *, name: str | None = None, region_class: int | str | None = None
) -> UnitGrid:
    """Change a grid's name or region class (geometry changes go through a re-import)."""
    require_admin(actor, "修改单元网格")
    grid = (
        scoped(UnitGrid.objects.select_for_update(), actor, "division_path")
        .filter(code=code)
        .first()
    )
    if grid is None:
        raise NotFound("grid_not_found", f"单元网格 {code} 不存在。", "code")
    changes: dict[str, Any] = {}
    if name is not None:
        name = name.strip()
        if len(name) > 100:
            raise InvalidInput("name_too_long", "网格名称不能超过 100 个字符。", "name")
        changes["name"] = name
    if region_class is not None:
        parsed = _parse_region_class(region_class)
        if parsed is None:
            raise InvalidInput(
                "region_class", "区域类别应为 1（一类）或 2（二类）。", "region_class"
            )
        changes["region_class"] = parsed
    for field_name, value in changes.items():
        setattr(grid, field_name, value)
    grid.save()
    audit.record(actor, "geo.update_grid", grid, f"修改单元网格 {grid.code}", **changes)
    generations.bump(GENERATION)
    return grid
