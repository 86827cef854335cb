"""12345 hotline work orders: the operators' queue, the delivery log, a street's daily list."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Max, Min, QuerySet

from yiwang.cases import queries as case_queries
from yiwang.cases.models import Case
from yiwang.core.errors import NotFound
from yiwang.core.scope import scoped
from yiwang.geo import queries as geo_queries
from yiwang.intake.models import (
    HotlineImportJob,
    HotlineMessage,
    HotlineOrder,
    HotlineSystem,
)
from yiwang.intake.queries.common import SHANGHAI
from yiwang.org.models import Division, User
from yiwang.org.permissions import has_role
from yiwang.org.roles import Role

# =============================================================================================
# 12345 hotline work orders: the operators' queue, the delivery log, a street's daily list


def hotline_orders(user: User, status: str | None = None) -> QuerySet[HotlineOrder]:
    """Orders of the user's area (the resolved division, or the node for unresolved text)."""
    qs = scoped(HotlineOrder.objects.all(), user, "division_path").select_related(
        "system", "case", "resolved_division"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-received_at", "-id")


def hotline_order(user: User, pk: int) -> HotlineOrder:
    row = hotline_orders(user).filter(pk=pk).first()
    if row is None:
        raise NotFound("order_not_found", "该热线工单不存在或不在您的管辖范围内。", None)
    return row


def hotline_messages(user: User, status: str | None = None) -> QuerySet[HotlineMessage]:
    """The outbound webhook log (administrators): messages with their attempts."""
    if not has_role(user, [Role.ADMIN]):
        return HotlineMessage.objects.none()
    qs = scoped(HotlineMessage.objects.all(), user, "order__division_path")
    if status:
        qs = qs.filter(status=status)
    return (
        qs.select_related("system", "order")
        .prefetch_related("deliveries")
        .order_by("-created_at", "-id")
    )


def hotline_systems() -> QuerySet[HotlineSystem]:
    return HotlineSystem.objects.filter(is_active=True).order_by("code")


def hotline_import_jobs(user: User) -> QuerySet[HotlineImportJob]:
    """The background imports ``user`` uploaded, newest first: nobody else's (the files
    hold callers' numbers; an administrator reads the audit log)."""
    return (
        HotlineImportJob.objects.filter(user=user)
        .select_related("system")
        .defer("data", "result", "errors")
        .order_by("-created_at", "-id")
    )


def hotline_import_job(user: User, pk: int) -> HotlineImportJob:
    """One of ``user``'s background imports; anyone else's is "not found"."""
    job = HotlineImportJob.objects.filter(user=user, pk=pk).select_related("system").defer("data")
    found = job.first()
    if found is None:
        raise NotFound("import_not_found", "该导入任务不存在。", None)
    return found


def street_daily_cases(user: User, street_code: str, day: date) -> QuerySet[Case]:
    """The cases reported in one street on one day (Shanghai calendar day), oldest first."""
    start = datetime.combine(day, time.min, tzinfo=SHANGHAI)
    end = start + timedelta(days=1)
    return (
        case_queries.cases(user)
        .filter(street__code=street_code, reported_at__gte=start, reported_at__lt=end)
        .select_related("community")
        .order_by("reported_at", "id")
    )


def streets(user: User) -> QuerySet[Division]:
    """The streets a user may export the daily list of."""
    return scoped(Division.objects.filter(level=Division.Level.STREET), user, "path").order_by(
        "code"
    )


def hotline_map_bounds(user: User, row: HotlineOrder) -> list[list[float]] | None:
    """Where to open the map for placing an order: around the grids of the division its
    address resolved to, else around all the user's grids."""
    qs = geo_queries.grids(user)
    if row.resolved_division is not None:
        qs = qs.filter(division_path__startswith=row.resolved_division.path)
    box = qs.aggregate(
        west=Min("min_lon"), south=Min("min_lat"), east=Max("max_lon"), north=Max("max_lat")
    )
    if box["west"] is None:
        return geo_queries.scope_bounds(user)
    return [[box["south"], box["west"]], [box["north"], box["east"]]]
