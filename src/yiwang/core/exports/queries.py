"""A user's own export jobs: nobody else's, not even an administrator's."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from yiwang.core.errors import NotFound
from yiwang.core.models import ExportJob

RECENT = 20


def my_exports(user: Any) -> QuerySet[ExportJob]:
    """The jobs ``user`` asked for, newest first (an anonymous user has none)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ExportJob.objects.none()
    return ExportJob.objects.filter(user=user).order_by("-created_at", "-id")


def recent_exports(user: Any) -> list[ExportJob]:
    return list(my_exports(user)[:RECENT])


def export_job(user: Any, job_id: int) -> ExportJob:
    """One of ``user``'s jobs; another user's job is "not found", never "forbidden", so
    its existence does not leak."""
    found = my_exports(user).filter(pk=job_id).first()
    if found is None:
        raise NotFound("export_not_found", "导出任务不存在。", "id")
    return found


def downloadable(user: Any, job_id: int) -> ExportJob:
    """A finished, unexpired job of ``user`` whose file is still there."""
    job = export_job(user, job_id)
    if (
        job.state != ExportJob.State.DONE
        or not job.file
        or (job.expires_at is not None and job.expires_at <= timezone.now())
    ):
        raise NotFound("export_not_ready", "导出文件不存在或已过期。", "id")
    return job
