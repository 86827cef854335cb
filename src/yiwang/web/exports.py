"""Pages of a user's background exports: the list, one job's progress, the download.

The jobs are `core.ExportJob`s (see `yiwang.core.exports`); these pages serve every
app's exports alike. A job is its requester's alone: anyone else gets 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from yiwang.core.errors import NotFound
from yiwang.core.exports import actions, queries
from yiwang.core.exports.registry import Prepared
from yiwang.core.models import ExportJob
from yiwang.org.models import User
from yiwang.web.lists import EXPORT_LIMIT, export_response

# How often a page showing a running job asks for its progress.
POLL_SECONDS = 1
PENDING = (ExportJob.State.QUEUED, ExportJob.State.RUNNING)


def _fragment(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


def _job(user: User, job_id: int) -> ExportJob:
    try:
        return queries.export_job(user, job_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def export_list(request: HttpRequest) -> HttpResponse:
    jobs = queries.recent_exports(cast(User, request.user))
    context = {
        "jobs": jobs,
        "polling": any(job.state in PENDING for job in jobs),
        "poll_seconds": POLL_SECONDS,
    }
    template = "web/_export_list.html" if _fragment(request) else "web/exports.html"
    return render(request, template, context)


@login_required
def export_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(cast(User, request.user), job_id)
    context = {"job": job, "polling": job.state in PENDING, "poll_seconds": POLL_SECONDS}
    template = "web/_export_job.html" if _fragment(request) else "web/export_job.html"
    return render(request, template, context)


@login_required
def export_download(request: HttpRequest, job_id: int) -> FileResponse:
    user = cast(User, request.user)
    try:
        job = queries.downloadable(user, job_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    try:
        stream = job.file.open("rb")
    except FileNotFoundError as exc:  # removed by hand before the pruner came
        raise Http404(gettext("导出文件不存在或已过期。")) from exc
    actions.record_download(user, job)
    response = FileResponse(stream, as_attachment=True, filename=job.filename)
    # The file holds citizens' reports: no shared cache may keep it.
    response["Cache-Control"] = "private, no-store"
    return response


def deliver(
    request: HttpRequest,
    user: User,
    *,
    fmt: str,
    kind: str,
    prepared: Prepared,
    filters: Mapping[str, str],
    format_param: str,
    limit: int = EXPORT_LIMIT,
) -> HttpResponseBase:
    """A list's export: CSV streams at once; XLSX comes at once up to
    `EXPORT_IMMEDIATE_ROWS` rows, beyond that a POST queues a background job of ``kind`` (a
    GET asks first: it must not start work). ``format_param`` names the query parameter
    that carries the format on the list's URL; ``limit`` is the cap ``prepared`` was cut to."""
    if fmt == "csv" or prepared.total <= settings.EXPORT_IMMEDIATE_ROWS:
        response = export_response(fmt, prepared.basename, prepared.headers, prepared.rows)
        if prepared.truncated:
            response["X-Export-Truncated"] = str(limit)
        return response
    if request.method != "POST":
        as_csv = request.GET.copy()
        as_csv[format_param] = "csv"
        context = {
            "prepared": prepared,
            "limit": limit,
            "immediate_rows": settings.EXPORT_IMMEDIATE_ROWS,
            "action": f"{request.path}?{request.GET.urlencode()}",
            "csv_url": f"{request.path}?{as_csv.urlencode()}",
        }
        return render(request, "web/export_confirm.html", context)
    job = actions.request_export(
        user, kind=kind, filters=dict(filters), label=prepared.label, rows_total=prepared.total
    )
    return redirect("web:export", job.pk)
