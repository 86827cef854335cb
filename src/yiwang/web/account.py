"""The signed-in user's own API tokens, sign-out, and the sign-in lockouts of 系统管理员."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yiwang.core.errors import ActionError
from yiwang.org import actions, lockout, queries
from yiwang.org.permissions import acting_user, require_admin


class LogoutView(auth_views.LogoutView):
    """Sign out; with the box ticked, every API token of the user is revoked as well.

    All tokens, not only some: a token is not tied to the browser session it was made from,
    and "sign me out everywhere" is what a user who fears a leak asks for.
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and request.POST.get("revoke_tokens"):
            actions.revoke_all_own_tokens(acting_user(request))
        return super().post(request, *args, **kwargs)


@login_required
@require_http_methods(["GET", "POST"])
def my_tokens(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if request.method == "POST":
        try:
            actions.revoke_own_token(user, int(request.POST.get("token_id", "")))
        except (ValueError, ActionError):
            messages.error(request, _("令牌不存在。"))
        else:
            messages.success(request, _("令牌已吊销。"))
        return redirect("web:tokens")
    return render(request, "web/tokens.html", {"tokens": list(queries.own_tokens(user))})


@login_required
@require_http_methods(["GET", "POST"])
def lockouts(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    try:
        require_admin(user, _("查看登录锁定"))
    except ActionError as exc:
        raise PermissionDenied(exc.message) from exc
    if request.method == "POST":
        kind, value = request.POST.get("kind", ""), request.POST.get("value", "")
        try:
            actions.unlock_login(
                user,
                username=value if kind == "username" else "",
                ip_address=value if kind == "ip_address" else "",
            )
        except ActionError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已解除锁定：%(value)s") % {"value": value})
        return redirect("web:lockouts")
    return render(
        request,
        "web/lockouts.html",
        {
            "rows": lockout.current_failures(user),
            "limit": settings.AXES_FAILURE_LIMIT,
            "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
    )
