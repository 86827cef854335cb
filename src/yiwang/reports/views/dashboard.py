"""The command-centre dashboard (大屏): the full-screen page and the JSON it polls."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from yiwang.geo import queries as geo_queries
from yiwang.org.permissions import acting_user
from yiwang.reports import dashboard

DEFAULT_REFRESH_SECONDS = 30
LIGHT_COLORS = {"green": "#22c55e", "amber": "#f59e0b", "red": "#ef4444"}
# Text the page's script shows; translated here so the script carries no UI strings.
LABELS = {
    "green": _("正常"),
    "amber": _("预警"),
    "red": _("超期"),
    "open": _("在办"),
    "overdue": _("超期"),
    "updated": _("更新于"),
    "countsAt": _("在办统计取自"),
    "loadFailed": _("数据刷新失败，稍后自动重试。"),
    "truncated": _("仅显示时限最近的部分案卷"),
}


def _refused(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/refused.html",
        {
            "title": gettext("指挥大屏"),
            "message": gettext("只有领导和指挥中心人员可以查看指挥大屏。"),
        },
        status=403,
    )


@login_required
@require_GET
def dashboard_page(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not dashboard.may_view(user):
        return _refused(request)
    config = {
        "dataUrl": reverse("reports:dashboard_data"),
        "gridsUrl": "/api/geo/grids",
        "bounds": geo_queries.scope_bounds(user),
        "refreshSeconds": dashboard.refresh_seconds(
            request.GET.get("refresh"), DEFAULT_REFRESH_SECONDS
        ),
        "lightColors": LIGHT_COLORS,
        "labels": {key: str(text) for key, text in LABELS.items()},
    }
    return render(request, "reports/dashboard.html", {"config": config})


@login_required
@require_GET
@never_cache
def dashboard_data(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not dashboard.may_view(user):
        return JsonResponse(
            {
                "code": "forbidden_role",
                "message": gettext("只有领导和指挥中心人员可以查看指挥大屏。"),
                "field": None,
            },
            status=403,
        )
    # The open-case counts are shared by every screen of the scope for a few seconds (the
    # bulk of a poll's cost at a million cases); the page shows when they were taken.
    return JsonResponse(
        dashboard.dashboard(user, shared=True), json_dumps_params={"ensure_ascii": False}
    )
