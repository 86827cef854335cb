"""The only writes of export jobs: ask for one, run it (in the worker), record a download,
prune expired files. Each writes its audit row in the same transaction."""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.core import audit, spreadsheets
from yiwang.core.errors import ActionError, InvalidInput
from yiwang.core.exports import registry
from yiwang.core.models import ExportJob

logger = logging.getLogger(__name__)

# Rows between two progress writes: often enough for a smooth bar, rare enough to cost
# nothing next to the rows themselves (100 small UPDATEs for 50,000 rows).
PROGRESS_EVERY = 500
# A job still running this long after it started lost its worker (killed, machine restarted).
STALE_AFTER = timedelta(hours=6)
FORMATS = ("xlsx",)


def request_export(
    user: Any,
    *,
    kind: str,
    filters: Mapping[str, str],
    label: str,
    fmt: str = "xlsx",
    rows_total: int | None = None,
) -> ExportJob:
    """Queue an export for ``user``; the worker builds the file (see `run_export`)."""
    from yiwang.core.exports import tasks

    registry.exporter(kind)  # an unknown kind is refused now, not in the worker
    if fmt not in FORMATS:
        raise InvalidInput("bad_export_format", "后台导出只支持 xlsx 格式。", "format")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise InvalidInput("export_needs_user", "导出需要登录的在职用户。", "user")
    with transaction.atomic():
        job = ExportJob.objects.create(
            user=user,
            kind=kind,
            label=spreadsheets.clean_text(label)[:300],
            format=fmt,
            filters={str(k): str(v) for k, v in filters.items()},
            rows_total=rows_total,
            created_at=timezone.now(),
        )
        # The database backend stores the task in this same transaction: no job without
        # its task, no task without its job.
        result = tasks.run_export.enqueue(job.pk)
        job.task_id = str(result.id)[:64]
        job.save(update_fields=["task_id"])
        audit.record(user, "core.export_requested", job, f"申请导出：{job.label}", kind=kind)
    return job


def _progress(job_id: int, rows_done: int) -> None:
    ExportJob.objects.filter(pk=job_id).update(rows_done=rows_done)


def _claim(job_id: int, now: datetime) -> ExportJob | None:
    with transaction.atomic():
        job = (
            ExportJob.objects.select_for_update()
            .select_related("user")
            .filter(pk=job_id, state=ExportJob.State.QUEUED)
            .first()
        )
        if job is None:
            return None
        job.state, job.started_at = ExportJob.State.RUNNING, now
        job.save(update_fields=["state", "started_at"])
    return job


def _fail(job: ExportJob, message: str) -> None:
    with transaction.atomic():
        job.state, job.error = ExportJob.State.FAILED, message[:500]
        job.finished_at = timezone.now()
        job.save(update_fields=["state", "error", "finished_at"])
        audit.record(job.user, "core.export_failed", job, f"导出失败：{job.label}", error=message)


def run_export(job_id: int) -> str:
    """Build the job's file with the user's scope as it is now; return the final state.

    Called by the worker (`tasks.run_export`). Rows are written one by one in openpyxl's
    write-only mode to a temporary file, and the row count goes to the job as it grows, so
    the user's page can draw a progress bar.
    """
    job = _claim(job_id, timezone.now())
    if job is None:
        return "skipped"
    try:
        if not job.user.is_active:
            raise InvalidInput("export_user_inactive", "申请人已停用，导出取消。", "user")
        prepared = registry.exporter(job.kind)(job.user, job.filters)
        ExportJob.objects.filter(pk=job.pk).update(
            rows_total=prepared.total, truncated=prepared.truncated
        )
        with tempfile.TemporaryFile() as tmp:
            written = spreadsheets.write_xlsx(
                tmp,
                prepared.basename,
                prepared.headers,
                prepared.rows,
                on_progress=lambda n: _progress(job.pk, n),
                progress_every=PROGRESS_EVERY,
            )
            tmp.seek(0)
            # A random name: nothing about the user or the data can be guessed from it.
            stored = default_storage.save(f"exports/{uuid.uuid4().hex}.xlsx", File(tmp))
    except ActionError as exc:
        _fail(job, exc.message)
        return job.state
    except Exception:
        logger.exception("export job %s failed", job.pk)
        _fail(job, gettext("生成文件时出错，请稍后重试或联系管理员。"))
        return job.state
    finished = timezone.now()
    with transaction.atomic():
        job.state, job.file = ExportJob.State.DONE, stored
        job.rows_total, job.rows_done = written, written
        job.truncated = prepared.truncated
        job.filename = f"{prepared.basename}-{timezone.localtime(finished):%Y%m%d-%H%M}.xlsx"
        job.finished_at = finished
        job.expires_at = finished + timedelta(hours=settings.EXPORT_RETENTION_HOURS)
        job.save()
        audit.record(job.user, "core.export_finished", job, f"导出完成：{job.label}", rows=written)
    return job.state


def record_download(user: Any, job: ExportJob) -> None:
    """Who took which file, for the audit log (the file holds citizens' reports)."""
    with transaction.atomic():
        audit.record(user, "core.export_downloaded", job, f"下载导出：{job.label}")


def prune_expired_exports(*, now: datetime | None = None) -> int:
    """Delete the files of expired exports (the jobs stay, marked expired) and fail jobs
    whose worker died; return the number of files deleted."""
    now = now or timezone.now()
    expired = list(
        ExportJob.objects.filter(state=ExportJob.State.DONE, expires_at__lte=now).only("pk", "file")
    )
    for job in expired:
        if job.file:
            # Files first: a crash between the two leaves a done job without its file,
            # which the next run marks expired; never a file nobody will delete.
            default_storage.delete(job.file.name)
    with transaction.atomic():
        ExportJob.objects.filter(pk__in=[job.pk for job in expired]).update(
            state=ExportJob.State.EXPIRED, file=""
        )
        stale = ExportJob.objects.filter(
            state=ExportJob.State.RUNNING, started_at__lt=now - STALE_AFTER
        ).update(
            state=ExportJob.State.FAILED,
            error=gettext("后台任务中断，请重新导出。"),
            finished_at=now,
        )
        if expired or stale:
            audit.record(
                None,
                "core.exports_pruned",
                ("core.exportjob", "*"),
                f"清理过期导出文件 {len(expired)} 个，中断任务 {stale} 个",
                expired=[job.pk for job in expired],
                stale=stale,
            )
    return len(expired)
