"""Reports API (mounted at /api/reports): hotspot cells with counts and Gi*, recurring
problems, and key supervision (重点监管: spots, check tasks, completing a check).

Every answer is limited to the cases and grids in the caller's scope (`reports.queries`).
"""

import math
from datetime import date, datetime, timedelta
from typing import Any, Literal

import h3
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from yiwang.cases.schemas import IsoDate
from yiwang.core.schemas import ErrorOut
from yiwang.core.textinput import SafeText
from yiwang.org.permissions import acting_user
from yiwang.reports import actions, queries
from yiwang.reports import hotspots as hs
from yiwang.reports.models import SpotCheck, SupervisedSpot

router = Router(tags=["分析"])

DEFAULT_DAYS = 30


class HotspotFilters(Schema):
    start: IsoDate | None = Field(None, description="统计期开始日期（含），默认 30 天前")
    end: IsoDate | None = Field(None, description="统计期结束日期（含），默认今天（北京时间）")
    resolution: int = Field(
        hs.DEFAULT_RESOLUTION,
        ge=hs.MIN_RESOLUTION,
        le=hs.MAX_RESOLUTION,
        description="H3 分辨率（6–11，9 约为边长 0.2 公里）",
    )
    kind: Literal["component", "matter"] | None = Field(None, description="部件或事件")
    type_code: str | None = Field(
        None, pattern=r"^([0-9]{2}|[0-9]{5})$", description="5 位小类代码或 2 位大类代码"
    )

    def filters(self) -> queries.Filters:
        today = timezone.localdate(timezone.now(), queries.SHANGHAI)
        end = self.end or today
        start = self.start or end - timedelta(days=DEFAULT_DAYS - 1)
        return queries.Filters(
            start=start,
            end=end,
            resolution=self.resolution,
            kind=self.kind or "",
            type_code=self.type_code or "",
        )


class RecurrenceFilters(HotspotFilters):
    min_count: int = Field(3, ge=2, le=1000, description="至少重复次数 k")
    days: int = Field(7, ge=1, le=queries.MAX_PERIOD_DAYS, description="时间窗 N（天）")
    radius: int | None = Field(
        None,
        ge=hs.MIN_RADIUS_M,
        le=hs.MAX_RADIUS_M,
        description="同地点范围（米，50–500）：不填为同一 H3 单元；填写时按最早案卷贪心聚类，"
        "每个案卷距其簇首案卷不超过该距离",
    )


class PolygonGeometry(Schema):
    type: Literal["Polygon"] = "Polygon"
    coordinates: list[list[list[float]]]


class CellProperties(Schema):
    cell: str = Field(description="H3 单元编号")
    count: int = Field(description="案卷数")
    z: float | None = Field(description="Gi* z 值")
    p: float | None = Field(description="双侧正态 p 值")
    z_sim: float | None = Field(description="置换检验 z 值")
    p_sim: float | None = Field(description="置换检验伪 p 值")
    kind: Literal["hot", "cold", ""] = Field(description="hot 热点 / cold 冷点 / 空：不显著")
    confidence: Literal[99, 95, 90, 0] = Field(description="置信度（%）")


class CellFeature(Schema):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: PolygonGeometry
    properties: CellProperties


class CellCollection(Schema):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[CellFeature]
    resolution: int
    start: date
    end: date
    cells: int = Field(description="统计范围内的单元数（含无案卷单元）")
    cases: int = Field(description="统计的案卷数")


class RecurrenceOut(Schema):
    cell: str
    lon: float
    lat: float
    type_code: str
    type_name: str
    count: int = Field(description="最密集时间窗内的案卷数")
    total: int = Field(description="统计期内同类型同单元的案卷数")
    window_start: str
    window_end: str
    numbers: list[str]


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def polygon(cell: str) -> dict[str, Any]:
    ring = [[round(lon, 7), round(lat, 7)] for lat, lon in h3.cell_to_boundary(cell)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def cell_features(stats: list[hs.CellStat]) -> list[dict[str, Any]]:
    """Cells with cases or a significant Gi* (the empty, insignificant rest stays out)."""
    return [
        {
            "type": "Feature",
            "id": s.cell,
            "geometry": polygon(s.cell),
            "properties": {
                "cell": s.cell,
                "count": s.count,
                "z": _finite(s.z),
                "p": _finite(s.p),
                "z_sim": _finite(s.z_sim),
                "p_sim": _finite(s.p_sim),
                "kind": s.kind,
                "confidence": s.confidence,
            },
        }
        for s in stats
        if s.count or s.kind
    ]


@router.get("/hotspots/cells", response=CellCollection, summary="热点单元（H3，Gi* 热点分析）")
def hotspot_cells(request: HttpRequest, params: Query[HotspotFilters]) -> dict[str, Any]:
    """统计期内各 H3 单元的案卷数与 Getis-Ord Gi* 结果（GeoJSON）。置信度按 Gi* z 值的
    双侧正态 p 值划分：≤0.01 为 99%，≤0.05 为 95%，≤0.10 为 90%。"""
    filters = params.filters()
    stats = queries.getis_ord(acting_user(request), filters)
    return {
        "type": "FeatureCollection",
        "features": cell_features(stats),
        "resolution": filters.resolution,
        "start": filters.start,
        "end": filters.end,
        "cells": len(stats),
        "cases": sum(s.count for s in stats),
    }


def recurrence_rows(recurrences: list[hs.Recurrence]) -> list[dict[str, Any]]:
    names = queries.type_names({r.type_id for r in recurrences})
    rows = []
    for r in recurrences:
        if r.lon is not None and r.lat is not None:
            lon, lat = r.lon, r.lat  # by radius: the cluster's first case
        else:
            lat, lon = h3.cell_to_latlng(r.cell)
        code, name = names.get(r.type_id, ("", ""))
        rows.append(
            {
                "cell": r.cell,
                "lon": round(lon, 7),
                "lat": round(lat, 7),
                "type_code": code,
                "type_name": name,
                "count": r.count,
                "total": r.total,
                "window_start": timezone.localtime(r.window_start, queries.SHANGHAI).isoformat(),
                "window_end": timezone.localtime(r.window_end, queries.SHANGHAI).isoformat(),
                "numbers": r.numbers,
            }
        )
    return rows


@router.get(
    "/hotspots/recurrences",
    response=list[RecurrenceOut],
    summary="重复发生的问题（同类型、同地点，N 天内至少 k 次）",
)
def hotspot_recurrences(
    request: HttpRequest, params: Query[RecurrenceFilters]
) -> list[dict[str, Any]]:
    """同一地点（同一 H3 单元，或 radius 米范围内）同一类型的案卷在任意 N 天内至少 k 次，
    按最密集时间窗的次数排序。lon/lat：单元中心，或按范围时簇内最早案卷的位置。"""
    found = queries.recurrences(
        acting_user(request),
        params.filters(),
        min_count=params.min_count,
        days=params.days,
        radius_m=params.radius,
    )
    return recurrence_rows(found)


# ---- 重点监管 (key supervision) ------------------------------------------------------------------

SUPERVISION_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class SpotOut(Schema):
    id: int
    cell: str
    resolution: int
    lon: float
    lat: float
    division_path: str
    reason: str
    frequency_days: int
    started_at: datetime
    last_check_at: datetime | None


class CheckOut(Schema):
    id: int
    spot_id: int
    cell: str
    reason: str
    lon: float
    lat: float
    created_at: datetime
    due_at: datetime
    overdue: bool = Field(description="未完成且已过核查时限")
    done_at: datetime | None
    done_by: str | None = Field(description="核查人用户名")
    result: Literal["ok", "problem", ""] = Field(description="ok 无问题 / problem 发现问题")
    note: str
    has_photo: bool


CheckNote = SafeText(500, multiline=True)


class CheckDoneIn(Schema):
    result: Literal["ok", "problem"] = Field(description="ok 无问题 / problem 发现问题")
    note: CheckNote = ""  # type: ignore[valid-type]


def check_row(check: SpotCheck, now: datetime) -> dict[str, Any]:
    spot = check.spot
    return {
        "id": check.pk,
        "spot_id": spot.pk,
        "cell": spot.cell,
        "reason": spot.reason,
        "lon": spot.lon,
        "lat": spot.lat,
        "created_at": check.created_at,
        "due_at": check.due_at,
        "overdue": check.done_at is None and check.due_at < now,
        "done_at": check.done_at,
        "done_by": check.done_by.username if check.done_by else None,
        "result": check.result,
        "note": check.note,
        "has_photo": bool(check.photo),
    }


@router.get(
    "/supervision/spots",
    response={200: list[SpotOut], **SUPERVISION_ERRORS},
    summary="重点监管点位（监管中）",
)
def supervision_spots(request: HttpRequest) -> list[SupervisedSpot]:
    return list(queries.supervised_spots(acting_user(request))[:500])


@router.get(
    "/supervision/checks",
    response={200: list[CheckOut], **SUPERVISION_ERRORS},
    summary="重点监管核查任务（open 未完成 / all 最近全部）",
)
def supervision_checks(
    request: HttpRequest, state: Literal["open", "all"] = "open"
) -> list[dict[str, Any]]:
    """open：监管中点位的未完成核查任务，按核查时限排序；all：最近 50 条（含已完成）。"""
    user, now = acting_user(request), timezone.now()
    if state == "open":
        checks = [row.check for row in queries.open_checks(user, now=now)]
        checks.sort(key=lambda c: (c.due_at, c.pk))
    else:
        checks = queries.spot_checks(user)
    return [check_row(c, now) for c in checks]


@router.post(
    "/supervision/checks/{check_id}/complete",
    response={200: CheckOut, 409: ErrorOut, **SUPERVISION_ERRORS},
    summary="完成核查任务（监督员；每个任务只能完成一次）",
)
def complete_check(request: HttpRequest, check_id: int, body: CheckDoneIn) -> dict[str, Any]:
    """409 `check_done`：任务已完成；409 `spot_released`：点位已解除监管。"""
    user = acting_user(request)
    actions.complete_check(user, check_id, result=body.result, note=body.note)
    return check_row(queries.spot_check(user, check_id), timezone.now())


# What an H3 cell id looks like (mode 1, resolution 0-15 in its 15 hex digits); whether it is
# a real cell is the action's check (`bad_cell`).
H3_CELL_PATTERN = r"^8[0-9a-f]{14}$"
SpotReason = SafeText(200, not_blank=True)


class SuperviseIn(Schema):
    cell: str = Field(pattern=H3_CELL_PATTERN, description="H3 单元编号（15 位十六进制）")
    frequency_days: int = Field(ge=1, le=90, description="核查频次（天）")
    reason: SpotReason = Field(description="监管理由")  # type: ignore[valid-type]


@router.post(
    "/supervision/spots",
    response={201: SpotOut, 409: ErrorOut, **SUPERVISION_ERRORS},
    summary="列入重点监管（领导、值班长、系统管理员）",
)
def supervise_spot(request: HttpRequest, body: SuperviseIn) -> Status[SupervisedSpot]:
    """409 `already_supervised`：该单元已在监管中；400 `not_in_grid`：单元中心不在任何网格内；
    403 `out_of_scope`：不在管辖范围内。"""
    spot = actions.supervise(
        acting_user(request),
        cell=body.cell,
        frequency_days=body.frequency_days,
        reason=body.reason,
    )
    return Status(201, spot)


@router.post(
    "/supervision/spots/{spot_id}/release",
    response={200: SpotOut, **SUPERVISION_ERRORS},
    summary="解除重点监管",
)
def release_spot(request: HttpRequest, spot_id: int) -> SupervisedSpot:
    """404 `spot_not_found`：点位不存在、已解除或不在管辖范围内。"""
    return actions.release(acting_user(request), spot_id)
