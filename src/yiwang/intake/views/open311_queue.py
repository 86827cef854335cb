"""Open311 requests sent with an address only (no lat/long): an operator places each on the
map, which files its case (`intake.actions.open311.place_request`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from yiwang.core.errors import ActionError
from yiwang.intake import queries
from yiwang.intake.actions import open311 as actions
from yiwang.intake.views.hotline import MAP_LABELS
from yiwang.org.models import User
from yiwang.org.permissions import acting_user, has_role
from yiwang.org.roles import Role
from yiwang.web.lists import paginate, query_without

PLACING_ROLES = (Role.OPERATOR, Role.SHIFT_LEAD)


def _placer(request: HttpRequest) -> User:
    user = acting_user(request)
    if not has_role(user, PLACING_ROLES):
        raise Http404(gettext("只有受理员或值班长可以为 Open311 请求定位。"))
    return user


def _unplaced(user: User, token: str) -> queries.UnplacedRequest:
    for item in queries.open311_unplaced(user):
        if item.token == token.strip().upper():
            return item
    raise Http404(gettext("没有这个待定位的 Open311 请求，或它不在您的管辖范围内。"))


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    user = _placer(request)
    context = {
        "page": paginate(request, queries.open311_unplaced(user)),
        "query_no_page": query_without(request, "page"),
    }
    return render(request, "intake/open311/queue.html", context)


def _context(user: User, item: queries.UnplacedRequest, **extra: Any) -> dict[str, Any]:
    return {
        "item": item,
        "map_config": {
            "tileUrl": settings.TILE_URL,
            "bounds": queries.open311_map_bounds(user, item.division),
            "gridsUrl": "/api/geo/grids",
            "labels": MAP_LABELS,
        },
        **extra,
    }


@login_required
def request_page(request: HttpRequest, token: str) -> HttpResponse:
    user = _placer(request)
    return render(request, "intake/open311/request.html", _context(user, _unplaced(user, token)))


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


@login_required
@require_POST
def place(request: HttpRequest, token: str) -> HttpResponseBase:
    user = _placer(request)
    item = _unplaced(user, token)
    lon, lat = _number(request.POST.get("lon", "")), _number(request.POST.get("lat", ""))
    if lon is None or lat is None:
        error = gettext("请先在地图上点选位置（经纬度应为数字）。")
        context = _context(user, item, place_error=error)
        return render(request, "intake/open311/request.html", context, status=400)
    try:
        case = actions.place_request(user, item.token, lon=lon, lat=lat)
    except ActionError as exc:
        context = _context(user, item, place_error=exc.message)
        return render(request, "intake/open311/request.html", context, status=exc.status)
    messages.success(
        request,
        gettext("Open311 请求 %(token)s 已定位并转为案卷 %(case)s。")
        % {"token": item.token, "case": case.number},
    )
    return redirect("cases:detail", number=case.number)
