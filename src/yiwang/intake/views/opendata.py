"""导入 311 开放数据 (`/intake/opendata/`, 系统管理员): upload a 311 CSV file; the worker imports
it (`actions.opendata_jobs`) while the job page shows its progress, then the counts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from yiwang.core.errors import ActionError, NotFound
from yiwang.intake.actions import opendata_jobs
from yiwang.intake.forms import OpenDataUploadForm
from yiwang.intake.models import OpenDataImportJob
from yiwang.intake.queries import opendata as queries
from yiwang.org.models import User
from yiwang.org.permissions import acting_user, has_role
from yiwang.org.roles import Role

POLL_SECONDS = 1
RECENT_JOBS = 10
SHOWN_PROBLEMS = 50


def _admin(request: HttpRequest) -> User | None:
    user = acting_user(request)
    return user if has_role(user, [Role.ADMIN]) else None


def _refused(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/refused.html",
        {"title": gettext("导入 311 开放数据"), "message": gettext("只有系统管理员可以导入。")},
        status=403,
    )


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    if user is None:
        return _refused(request)
    form = OpenDataUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            upload = data["file"]
            try:
                job = opendata_jobs.request_import(
                    user,
                    upload.read(),
                    upload.name or "",
                    city_code=data["city"],
                    city_name=data["name"],
                    tz=data["tz"],
                    fallback_type=data["fallback"],
                    every=data.get("every") or 1,
                    limit=data.get("limit"),
                )
            except ActionError as exc:
                field = exc.field if exc.field in form.fields else None
                form.add_error(field, exc.message)
                status = exc.status
            else:
                return redirect("intake:opendata_import_job", pk=job.pk)
        else:
            status = 400
    context: dict[str, Any] = {
        "form": form,
        "jobs": list(queries.opendata_import_jobs(user)[:RECENT_JOBS]),
    }
    return render(request, "intake/opendata/import.html", context, status=status)


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A 311 import: its progress while it runs (the fragment polls itself), then the counts."""
    user = _admin(request)
    if user is None:
        return _refused(request)
    try:
        job = queries.opendata_import_job(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    pending = job.state in (OpenDataImportJob.State.QUEUED, OpenDataImportJob.State.RUNNING)
    result = job.result or {}
    context = {
        "job": job,
        "polling": pending,
        "poll_seconds": POLL_SECONDS,
        "counts": result.get("counts", {}),
        "unmapped": sorted(result.get("unmapped", {}).items(), key=lambda kv: (-kv[1], kv[0])),
        "problems": result.get("problems", [])[:SHOWN_PROBLEMS],
        "problem_total": result.get("problem_total", 0),
    }
    fragment = bool(request.headers.get("HX-Request"))
    template = "intake/opendata/_job.html" if fragment else "intake/opendata/job.html"
    return render(request, template, context)
