"""分析研判: one menu entry for the analysis pages (evaluation, responsibility lists, hotspots,
key supervision, bulletins, the dashboard), with the figures that say where to look first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.org.models import User
from yiwang.org.permissions import acting_user, has_role
from yiwang.reports import queries
from yiwang.reports.bulletins.queries import visible_bulletins
from yiwang.reports.models import Bulletin
from yiwang.reports.views.bulletins import READER_ROLES


def _latest_bulletins(user: User) -> list[Bulletin]:
    """The newest issued version of each kind in the user's scope (3 small queries)."""
    latest = []
    for kind in Bulletin.Kind.values:
        row = (
            visible_bulletins(user)
            .filter(kind=kind)
            .only("id", "kind", "title", "version", "issued_at")
            .order_by("-period_start", "-version")
            .first()
        )
        if row is not None:
            latest.append(row)
    return latest


@login_required
def hub_page(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not has_role(user, READER_ROLES):
        return render(
            request,
            "web/refused.html",
            {"title": _("分析研判"), "message": _("只有领导和指挥中心人员可以使用分析研判。")},
            status=403,
        )
    context = {
        "bulletins": _latest_bulletins(user),
        "active_spots": queries.supervised_spots(user).count(),
        "overdue_checks": queries.overdue_checks(user, timezone.now()),
    }
    return render(request, "reports/hub.html", context)
