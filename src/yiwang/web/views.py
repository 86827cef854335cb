"""Pages of the shell: sign-in and the home page."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from yiwang.cases import deadlines
from yiwang.catalog import queries as catalog_queries
from yiwang.catalog.models import Kind
from yiwang.geo import queries as geo_queries
from yiwang.org import lockout
from yiwang.org.permissions import acting_user, has_role
from yiwang.org.roles import Role
from yiwang.web.forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    types = catalog_queries.types(user)
    counts = {
        "grids": geo_queries.grids(user).count(),
        "components": catalog_queries.components(user).count(),
        "component_types": types.filter(kind=Kind.COMPONENT).count(),
        "matter_types": types.filter(kind=Kind.MATTER).count(),
    }
    # Administrators keep the holiday calendar; they are told on arrival when a year is missing.
    is_admin = has_role(user, [Role.ADMIN])
    warnings = deadlines.calendar_warnings() if is_admin else []
    # Administrators reach the sign-in lockouts (and their unlock) from here.
    locked = sum(r.locked for r in lockout.current_failures(user)) if is_admin else None
    return render(
        request,
        "web/home.html",
        {"counts": counts, "calendar_warnings": warnings, "locked_count": locked},
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused form post: a page in the shell that says what to do, never Django's
    English (or, with DEBUG, diagnostic) page; the API answers in its own shape."""
    if request.path_info.startswith("/api/"):
        from yiwang.web.edge import api_error

        return api_error(403, "csrf_failed", _("CSRF 校验失败，请刷新页面后重试。"))
    message = _("页面已过期或来源不可信（CSRF 校验失败）。请刷新页面后重新提交。")
    return render(
        request, "web/refused.html", {"title": _("提交未被接受"), "message": message}, status=403
    )
