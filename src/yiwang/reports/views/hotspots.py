"""The hotspot page: a map of H3 cells coloured by Gi* class, ranked lists beside it."""

from __future__ import annotations

from typing import Any

import h3
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from yiwang.core.errors import ActionError, InvalidInput, NotFound
from yiwang.geo import queries as geo_queries
from yiwang.org.permissions import acting_user, has_role
from yiwang.reports import actions, queries
from yiwang.reports import api as reports_api
from yiwang.reports.forms import HotspotForm

RANKED = 20  # rows in each ranked list

# Colours of the classes (ArcGIS's hot spot palette: red hot, blue cold, pale for 90 %).
CLASS_STYLES: list[dict[str, Any]] = [
    {"kind": "hot", "confidence": 99, "color": "#b2182b", "label": _("热点 99% 置信")},
    {"kind": "hot", "confidence": 95, "color": "#ef8a62", "label": _("热点 95% 置信")},
    {"kind": "hot", "confidence": 90, "color": "#fddbc7", "label": _("热点 90% 置信")},
    {"kind": "", "confidence": 0, "color": "#bdbdbd", "label": _("不显著")},
    {"kind": "cold", "confidence": 90, "color": "#d1e5f0", "label": _("冷点 90% 置信")},
    {"kind": "cold", "confidence": 95, "color": "#67a9cf", "label": _("冷点 95% 置信")},
    {"kind": "cold", "confidence": 99, "color": "#2166ac", "label": _("冷点 99% 置信")},
]
LABELS = {
    "count": _("案卷数"),
    "cell": _("单元"),
    "class": _("分类"),
}


@login_required
def hotspots_page(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = HotspotForm(request.GET or None)
    context: dict[str, Any] = {"form": form, "classes": CLASS_STYLES}
    if request.GET and not form.is_valid():
        return render(request, "reports/hotspots.html", context, status=400)
    if not request.GET:
        form = HotspotForm({})
        form.is_valid()
    filters = form.filters()
    min_count, days = form.recurrence()
    if not request.GET:
        # Show the defaults in the (unbound) form, so the user sees what was asked.
        context["form"] = HotspotForm(
            initial={
                "start": filters.start,
                "end": filters.end,
                "resolution": filters.resolution,
                "min_count": min_count,
                "days": days,
            }
        )
    try:
        stats = queries.getis_ord(user, filters)
        recurrences = queries.recurrences(
            user, filters, min_count=min_count, days=days, radius_m=form.radius_m()
        )
    except InvalidInput as error:
        context["error"] = error.message
        return render(request, "reports/hotspots.html", context, status=400)
    hot = sorted((s for s in stats if s.kind == "hot"), key=lambda s: (-s.z, s.cell))
    ranked = []
    for s in hot[:RANKED]:
        lat, lon = h3.cell_to_latlng(s.cell)
        ranked.append({"stat": s, "lat": lat, "lon": lon})
    context.update(
        filters=filters,
        min_count=min_count,
        days=days,
        radius=form.radius_m(),
        hot=ranked,
        hot_total=len(hot),
        recurrences=reports_api.recurrence_rows(recurrences[:RANKED]),
        recurrence_total=len(recurrences),
        cases=sum(s.count for s in stats),
        cells=len(stats),
        map_config={
            "tileUrl": settings.TILE_URL,
            "bounds": geo_queries.scope_bounds(user),
            "classes": [{**c, "label": str(c["label"])} for c in CLASS_STYLES],
            "labels": {k: str(v) for k, v in LABELS.items()},
            "cells": {"type": "FeatureCollection", "features": reports_api.cell_features(stats)},
        },
    )
    return render(request, "reports/hotspots.html", context)


@login_required
def supervision_page(request: HttpRequest) -> HttpResponse:
    """重点监管: the spots under supervision, the latest check tasks, and the form to add one."""
    user = acting_user(request)
    error = ""
    if request.method == "POST":
        try:
            frequency = int(request.POST.get("frequency_days", "") or 0)
            actions.supervise(
                user,
                cell=request.POST.get("cell", "").strip(),
                frequency_days=frequency,
                reason=request.POST.get("reason", ""),
            )
        except ValueError:
            error = str(_("核查频次应为整数天数。"))
        except ActionError as refused:
            return render(
                request,
                "reports/supervision.html",
                _supervision_context(user, refused.message, request.POST),
                status=refused.status,
            )
        if not error:
            return redirect("reports:supervision")
    context = _supervision_context(user, error, request.POST or request.GET)
    return render(request, "reports/supervision.html", context, status=400 if error else 200)


def _supervision_context(user: Any, error: str, data: Any) -> dict[str, Any]:
    now = timezone.now()
    return {
        "spots": list(queries.supervised_spots(user)[:200]),
        "checks": [
            {"check": c, "overdue": c.done_at is None and c.due_at < now}
            for c in queries.spot_checks(user)
        ],
        "overdue": queries.overdue_checks(user, now),
        "error": error,
        "cell": data.get("cell", ""),
        "reason": data.get("reason", ""),
        "frequency_days": data.get("frequency_days", "7"),
        "can_supervise": has_role(user, actions.SUPERVISOR_ROLES),
    }


@login_required
def check_photo(request: HttpRequest, check_id: int) -> FileResponse:
    """The photo of a done check task (private: only users whose scope holds the spot)."""
    try:
        check = queries.spot_check(acting_user(request), check_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if not check.photo:
        raise Http404(_("照片不存在。"))
    try:
        stream = check.photo.open("rb")
    except OSError as exc:
        raise Http404(_("照片文件缺失。")) from exc
    response = FileResponse(stream, content_type=check.photo_type or "image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def release_spot(request: HttpRequest, spot_id: int) -> HttpResponse:
    actions.release(acting_user(request), spot_id)
    return redirect("reports:supervision")
