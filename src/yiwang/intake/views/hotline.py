"""12345 hotline pages: the 待定位 queue and placing an order on the map, 退单, the batch
upload with its row-by-row report (a large one imported by the worker, with a progress
page), the template, the delivery log with replay, and a
street's daily list export."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from yiwang.cases.queries import mask_phone, sees_phone_numbers
from yiwang.core.errors import ActionError, NotFound
from yiwang.core.importing import ImportRejected
from yiwang.core.spreadsheets import XLSX_CONTENT_TYPE
from yiwang.intake import hotline_format, queries
from yiwang.intake.actions import hotline as actions
from yiwang.intake.actions import hotline_batches, hotline_jobs, hotline_outbound
from yiwang.intake.models import HotlineImportJob, HotlineMessage, HotlineOrder
from yiwang.org.models import User
from yiwang.org.permissions import acting_user, has_role
from yiwang.org.roles import Role
from yiwang.web.lists import paginate, query_without

# How often a running import's page asks for its progress; how many of a batch's orders
# the result table lists (all of them are in the queue and the case search).
POLL_SECONDS = 1
SHOWN_ORDERS = 500
RECENT_JOBS = 5

MAP_LABELS = {
    "pickOnMap": _("在地图上点击问题所在位置。"),
    "picked": _("已选位置"),
}


def _queue_user(request: HttpRequest) -> User:
    user = acting_user(request)
    if not has_role(user, actions.QUEUE_ROLES):
        raise Http404(gettext("只有受理员、值班长或系统管理员可以处理热线工单。"))
    return user


def _order_or_404(user: User, pk: int) -> HotlineOrder:
    try:
        return queries.hotline_order(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    user = _queue_user(request)
    status = request.GET.get("status", HotlineOrder.Status.AWAITING_LOCATION)
    if status not in HotlineOrder.Status.values and status != "all":
        status = HotlineOrder.Status.AWAITING_LOCATION
    qs = queries.hotline_orders(user, None if status == "all" else status)
    return render(
        request,
        "intake/hotline/queue.html",
        {
            "page": paginate(request, qs),
            "status": status,
            "statuses": [*HotlineOrder.Status.choices, ("all", gettext("全部"))],
            "is_admin": has_role(user, [Role.ADMIN]),
            "query_no_page": query_without(request, "page"),
        },
    )


def _order_context(
    request: HttpRequest, user: User, row: HotlineOrder, **extra: Any
) -> dict[str, Any]:
    payload = row.payload
    phone = payload.get("caller_phone") or ""
    return {
        "order": row,
        "payload": payload,
        "phone": phone if sees_phone_numbers(user) else mask_phone(phone) if phone else "",
        "map_config": {
            "tileUrl": settings.TILE_URL,
            "bounds": queries.hotline_map_bounds(user, row),
            "gridsUrl": "/api/geo/grids",
            "labels": MAP_LABELS,
        },
        **extra,
    }


@login_required
def order_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _queue_user(request)
    row = _order_or_404(user, pk)
    return render(request, "intake/hotline/order.html", _order_context(request, user, row))


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


@login_required
@require_POST
def place(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = _queue_user(request)
    row = _order_or_404(user, pk)
    lon, lat = _number(request.POST.get("lon", "")), _number(request.POST.get("lat", ""))
    if lon is None or lat is None:
        context = _order_context(
            request, user, row, place_error=gettext("请先在地图上点选位置（经纬度应为数字）。")
        )
        return render(request, "intake/hotline/order.html", context, status=400)
    try:
        case = actions.place_order(user, pk, lon=lon, lat=lat)
    except ActionError as exc:
        context = _order_context(request, user, row, place_error=exc.message)
        return render(request, "intake/hotline/order.html", context, status=exc.status)
    messages.success(
        request,
        gettext("热线工单 %(order)s 已定位并转为案卷 %(case)s。")
        % {"order": row.order_id, "case": case.number},
    )
    return redirect("cases:detail", number=case.number)


@login_required
@require_POST
def return_order(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = _queue_user(request)
    row = _order_or_404(user, pk)
    try:
        actions.return_order(user, pk, reason=request.POST.get("reason", ""))
    except ActionError as exc:
        context = _order_context(
            request, user, row, return_error=exc.message, reason=request.POST.get("reason", "")
        )
        return render(request, "intake/hotline/order.html", context, status=exc.status)
    messages.success(request, gettext("热线工单 %(order)s 已退单。") % {"order": row.order_id})
    return redirect("intake:hotline_queue")


@login_required
def import_page(request: HttpRequest) -> HttpResponseBase:
    user = _queue_user(request)
    systems = list(queries.hotline_systems())
    context: dict[str, Any] = {
        "systems": systems,
        "max_rows": settings.HOTLINE_BATCH_MAX_ROWS,
        "immediate_rows": settings.HOTLINE_BATCH_IMMEDIATE_ROWS,
        "jobs": list(queries.hotline_import_jobs(user)[:RECENT_JOBS]),
    }
    if request.method != "POST":
        return render(request, "intake/hotline/import.html", context)
    upload = request.FILES.get("file")
    system = next((s for s in systems if str(s.pk) == request.POST.get("system")), None)
    context["chosen"] = system.pk if system else None
    if system is None or upload is None:
        context["error"] = gettext("请选择热线系统和要导入的文件。")
        return render(request, "intake/hotline/import.html", context, status=400)
    name = (upload.name or "").lower()
    fmt = "xlsx" if name.endswith(".xlsx") else "jsonl"
    data = upload.read()
    try:
        rows = hotline_jobs.count_rows(data, fmt)
        if hotline_jobs.in_background(rows):
            job = hotline_jobs.request_import(
                user, system, data, fmt=fmt, filename=upload.name or "", rows=rows
            )
            return redirect("intake:hotline_import_job", pk=job.pk)
        result = hotline_batches.import_batch(system, data, fmt=fmt, uploaded_by=user)
    except ImportRejected as exc:
        context.update(error=exc.message, row_errors=exc.errors, filename=upload.name)
        return render(request, "intake/hotline/import.html", context, status=400)
    except ActionError as exc:
        context.update(error=exc.message, filename=upload.name)
        return render(request, "intake/hotline/import.html", context, status=exc.status)
    context.update(result=result.as_dict(), filename=upload.name, shown_orders=SHOWN_ORDERS)
    return render(request, "intake/hotline/import.html", context)


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A background import: its progress while it runs (the fragment polls itself), then its
    result or its row-by-row report."""
    user = _queue_user(request)
    try:
        job = queries.hotline_import_job(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    pending = job.state in (HotlineImportJob.State.QUEUED, HotlineImportJob.State.RUNNING)
    context = {
        "job": job,
        "polling": pending,
        "poll_seconds": POLL_SECONDS,
        "shown_orders": SHOWN_ORDERS,
    }
    fragment = bool(request.headers.get("HX-Request"))
    template = "intake/hotline/_import_job.html" if fragment else "intake/hotline/import_job.html"
    return render(request, template, context)


@login_required
def template(request: HttpRequest) -> HttpResponse:
    _queue_user(request)
    response = HttpResponse(hotline_format.template_xlsx(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="hotline-orders-template.xlsx"'
    return response


def _admin(request: HttpRequest) -> User:
    user = acting_user(request)
    if not has_role(user, [Role.ADMIN]):
        raise Http404(gettext("只有系统管理员可以查看回传记录。"))
    return user


@login_required
def deliveries(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    status = request.GET.get("status", "")
    if status not in HotlineMessage.Status.values:
        status = ""
    return render(
        request,
        "intake/hotline/deliveries.html",
        {
            "page": paginate(request, queries.hotline_messages(user, status or None)),
            "status": status,
            "statuses": HotlineMessage.Status.choices,
            "query_no_page": query_without(request, "page"),
        },
    )


@login_required
@require_POST
def replay(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = _admin(request)
    try:
        message = hotline_outbound.replay(user, pk)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            gettext("回传消息 %(id)s 已加入发送队列，将在下一轮发送（约半分钟内）。")
            % {"id": message.pk},
        )
    return redirect("intake:hotline_deliveries")


@login_required
def daily(request: HttpRequest) -> HttpResponseBase:
    """A street's daily problem list as JSONL or XLSX (东莞's practice)."""
    user = acting_user(request)
    streets = list(queries.streets(user))
    context: dict[str, Any] = {"streets": streets, "today": timezone.localdate()}
    street = request.GET.get("street", "")
    fmt = request.GET.get("format", "")
    if not street:
        return render(request, "intake/hotline/daily.html", context)
    try:
        day = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        context["error"] = gettext("日期格式应为 年-月-日。")
        return render(request, "intake/hotline/daily.html", context, status=400)
    chosen = next((s for s in streets if s.code == street), None)
    if chosen is None:
        context["error"] = gettext("该街道不存在或不在您的管辖范围内。")
        return render(request, "intake/hotline/daily.html", context, status=404)
    records = (
        hotline_format.export_record(c) for c in queries.street_daily_cases(user, street, day)
    )
    filename = f"daily-{street}-{day:%Y%m%d}"
    if fmt == "xlsx":
        response = HttpResponse(
            hotline_format.export_xlsx(records, f"{chosen.name}{day:%Y%m%d}"),
            content_type=XLSX_CONTENT_TYPE,
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    streamed = StreamingHttpResponse(
        hotline_format.jsonl_chunks(records), content_type=hotline_format.JSONL_CONTENT_TYPE
    )
    streamed["Content-Disposition"] = f'attachment; filename="{filename}.jsonl"'
    return streamed
