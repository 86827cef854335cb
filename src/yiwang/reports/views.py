"""The hotspot page: a map of H3 cells coloured by Gi* class, ranked lists beside it."""

from __future__ import annotations

from typing import Any

import h3
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from yiwang.core.errors import InvalidInput
from yiwang.geo import queries as geo_queries
from yiwang.org.permissions import acting_user
from yiwang.reports import api as reports_api
from yiwang.reports import queries
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
        recurrences = queries.recurrences(user, filters, min_count=min_count, days=days)
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
