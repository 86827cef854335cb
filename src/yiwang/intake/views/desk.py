"""多渠道受理 (`/intake/`): one card per intake channel the user works with, with its counts
and the way to its pages. The menu has one entry for it instead of one per channel page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from yiwang.intake.queries import desk as desk_queries
from yiwang.org.permissions import acting_user, has_role
from yiwang.org.roles import Role


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    cards = desk_queries.desk(user)
    if cards.empty:
        return render(
            request,
            "web/refused.html",
            {
                "title": gettext("多渠道受理"),
                "message": gettext("您的角色不负责受理各渠道上报的问题。"),
            },
            status=403,
        )
    return render(
        request,
        "intake/desk.html",
        {
            "desk": cards,
            "recent_days": desk_queries.RECENT_DAYS,
            "can_import_311": has_role(user, [Role.ADMIN]),
        },
    )
