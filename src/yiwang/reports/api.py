"""Reports API (mounted at /api/reports): hotspot cells with counts and Gi*, recurring
problems, key supervision (重点监管: spots, check tasks, completing a check), and bulletins
(通报: the archive, one bulletin's frozen content, its DOCX / XLSX, issuing one on demand).

Every answer is limited to the cases and grids in the caller's scope (`reports.queries`).
"""

import math
from datetime import date, datetime, timedelta
from typing import Any, Literal

import h3
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from yiwang.cases.schemas import IsoDate
from yiwang.core import schemas as core_schemas
from yiwang.core.schemas import ErrorOut
from yiwang.core.textinput import SafeText
from yiwang.org.permissions import acting_user
from yiwang.reports import actions, queries
from yiwang.reports import hotspots as hs
from yiwang.reports.bulletins import actions as bulletin_actions
from yiwang.reports.bulletins import queries as bulletin_queries
from yiwang.reports.bulletins.common import Span, period_label
from yiwang.reports.bulletins.content import BulletinContent
from yiwang.reports.bulletins.docx import DOCX_CONTENT_TYPE
from yiwang.reports.bulletins.files import bulletin_file
from yiwang.reports.bulletins.xlsx import XLSX_CONTENT_TYPE
from yiwang.reports.models import Bulletin, SpotCheck, SupervisedSpot

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


# ---- 通报 (bulletins) ------------------------------------------------------------------------

BULLETIN_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
BULLETIN_PAGE_SIZE = 20
# The page number whose first row still fits the database's OFFSET.
MAX_BULLETIN_PAGE = core_schemas.MAX_DB_INT // BULLETIN_PAGE_SIZE
BulletinKind = Literal["daily", "weekly", "monthly"]
FILE_TYPES = {"docx": DOCX_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE}


class BulletinFilters(Schema):
    kind: BulletinKind | None = Field(
        None, description="daily 日盘点 / weekly 周分析 / monthly 月通报"
    )
    day: IsoDate | None = Field(None, description="统计期包含该日期的通报")
    page: int = Field(
        1, ge=1, le=MAX_BULLETIN_PAGE, description="页码（每页 20 条）；超出末页时返回空列表"
    )


class BulletinPeriod(Schema):
    start: date = Field(description="统计期第一天（北京时间）")
    end: date = Field(description="统计期最后一天（含）")
    label: str = Field(description="2026年11月 / 2026年第48周（11月23日—11月29日） / 2026年12月1日")


class BulletinOut(Schema):
    id: int
    kind: BulletinKind
    title: str
    period: BulletinPeriod
    division_code: str = Field(description="通报覆盖的区划代码")
    version: int = Field(description="同一区划同一统计期的第几版（从 1 起）")
    trigger: Literal["scheduled", "on_demand"] = Field(
        description="scheduled 定时 / on_demand 手动"
    )
    issued_at: datetime
    issued_by: str | None = Field(description="生成人用户名；定时生成为 null")


class BulletinPage(Schema):
    items: list[BulletinOut]
    count: int
    page: int
    page_size: int


class BulletinIssueIn(Schema):
    kind: BulletinKind
    day: IsoDate = Field(description="日盘点取该日，周分析取该日所在周，月通报取该日所在月")


def bulletin_row(bulletin: Bulletin) -> dict[str, Any]:
    span = Span(bulletin.kind, bulletin.period_start, bulletin.period_end)
    return {
        "id": bulletin.pk,
        "kind": bulletin.kind,
        "title": bulletin.title,
        "period": {"start": span.first, "end": span.last, "label": period_label(span)},
        "division_code": bulletin.division_path.strip("/").rsplit("/", 1)[-1],
        "version": bulletin.version,
        "trigger": bulletin.trigger,
        "issued_at": bulletin.issued_at,
        "issued_by": bulletin.issued_by.username if bulletin.issued_by else None,
    }


@router.get(
    "/bulletins",
    response={200: BulletinPage, **BULLETIN_ERRORS},
    summary="通报列表（管辖范围内，最新在前，分页）",
)
def list_bulletins(request: HttpRequest, filters: Query[BulletinFilters]) -> dict[str, Any]:
    """领导、值班长、派遣员、受理员和系统管理员可查看；监督员、处置人员 403 `forbidden_role`。
    按统计期倒序，同一统计期按类别、区划、版本倒序。"""
    user = acting_user(request)
    bulletin_queries.require_reader(user)
    qs = bulletin_queries.visible_bulletins(user)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.day is not None:
        qs = qs.filter(period_start__lte=filters.day, period_end__gte=filters.day)
    count = qs.count()
    start = (filters.page - 1) * BULLETIN_PAGE_SIZE
    rows = (
        qs.select_related("issued_by")
        .defer("content")
        .order_by("-period_start", "kind", "division_path", "-version", "-id")[
            start : start + BULLETIN_PAGE_SIZE
        ]
    )
    return {
        "items": [bulletin_row(b) for b in rows],
        "count": count,
        "page": filters.page,
        "page_size": BULLETIN_PAGE_SIZE,
    }


@router.post(
    "/bulletins",
    response={201: BulletinOut, **BULLETIN_ERRORS},
    summary="生成通报（领导、值班长、系统管理员；生成新的一版）",
)
def issue_bulletin(request: HttpRequest, body: BulletinIssueIn) -> Status[dict[str, Any]]:
    """为本人所在区划生成该统计期的新一版通报（已发布的版本不会被改写）。与页面表单的规则相同：
    400 `bad_date`：日期须在 2000 年至 2100 年之间；400 `future_period`：统计期尚未开始；
    403 `forbidden_role`：无权生成。当前统计期可以生成，标题注明截至时间。"""
    bulletin = bulletin_actions.issue_on_demand(acting_user(request), body.kind, body.day)
    return Status(201, bulletin_row(bulletin))


@router.get(
    "/bulletins/{bulletin_id}",
    response={200: BulletinContent, **BULLETIN_ERRORS},
    summary="通报内容（发布时冻结的内容）",
)
def bulletin_content(request: HttpRequest, bulletin_id: core_schemas.Id) -> BulletinContent:
    """页面、XLSX 与 DOCX 所依据的同一份内容：综述、各节的段落、表格与图表数据。
    不在管辖范围内的通报为 404。"""
    user = acting_user(request)
    bulletin_queries.require_reader(user)
    return bulletin_queries.content_of(bulletin_queries.bulletin_for(user, bulletin_id))


def _file_operation(fmt: str) -> dict[str, Any]:
    return {
        "response": {200: None, **BULLETIN_ERRORS},
        "summary": f"下载通报（{fmt.upper()}，图表为图片；记入审计日志）",
        "openapi_extra": {
            "responses": {
                "200": {
                    "description": f"{fmt.upper()} 文件",
                    "content": {
                        FILE_TYPES[fmt]: {"schema": {"type": "string", "format": "binary"}}
                    },
                }
            }
        },
    }


@router.get("/bulletins/{bulletin_id}/docx", **_file_operation("docx"))
def bulletin_docx(request: HttpRequest, bulletin_id: core_schemas.Id) -> HttpResponse:
    return bulletin_file(acting_user(request), bulletin_id, "docx")


@router.get("/bulletins/{bulletin_id}/xlsx", **_file_operation("xlsx"))
def bulletin_xlsx(request: HttpRequest, bulletin_id: core_schemas.Id) -> HttpResponse:
    return bulletin_file(acting_user(request), bulletin_id, "xlsx")
