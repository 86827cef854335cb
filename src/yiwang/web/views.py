"""Pages of the shell: sign-in and the home page."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yiwang.catalog import queries as catalog_queries
from yiwang.catalog.models import Kind
from yiwang.geo import queries as geo_queries
from yiwang.web.forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    types = catalog_queries.types(user)
    counts = {
        "grids": geo_queries.grids(user).count(),
        "components": catalog_queries.components(user).count(),
        "component_types": types.filter(kind=Kind.COMPONENT).count(),
        "matter_types": types.filter(kind=Kind.MATTER).count(),
    }
    return render(request, "web/home.html", {"counts": counts})
