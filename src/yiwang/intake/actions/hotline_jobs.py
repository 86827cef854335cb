"""Large 12345 batches from the operators' page, imported by the worker.

A batch of up to `HOTLINE_BATCH_MAX_ROWS` (5,000) orders takes seconds to import even in
bulk (3.3–7.5 s for 5,000 new orders on the project's shared two-core machine, depending on
its load; bench/README.md): too long for a page to hang without a word. So an upload of more
than `HOTLINE_BATCH_IMMEDIATE_ROWS` (500) orders is stored with a job and imported by
`yiwang worker` with the very same `hotline_batches.import_batch` (all or nothing, the
same row-by-row report); the page polls the job for its phase and progress and then shows
the result or the report. Smaller uploads and the hotline systems' own API calls stay
immediate. The job and its file are written in one transaction with the task that runs
it (django-tasks' database backend), as exports do (`core.exports`).
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.core import audit
from yiwang.core.errors import ActionError, InvalidInput
from yiwang.core.importing import ImportRejected
from yiwang.intake import hotline_format
from yiwang.intake.actions.hotline import QUEUE_ROLES
from yiwang.intake.actions.hotline_batches import FORMATS, BatchResult, Progress, import_batch
from yiwang.intake.models import HotlineImportJob, HotlineSystem
from yiwang.org.models import User
from yiwang.org.permissions import require_role

logger = logging.getLogger(__name__)


def count_rows(data: bytes, fmt: str) -> int:
    """Orders in an upload, counted up to one more than a batch may hold."""
    return hotline_format.count_records(data, fmt, stop_after=settings.HOTLINE_BATCH_MAX_ROWS + 1)


def in_background(rows: int) -> bool:
    """Whether an upload of ``rows`` orders is imported by the worker."""
    return rows > settings.HOTLINE_BATCH_IMMEDIATE_ROWS


def request_import(
    user: User,
    system: HotlineSystem,
    data: bytes,
    *,
    fmt: str,
    filename: str,
    rows: int | None = None,
    now: datetime | None = None,
) -> HotlineImportJob:
    """Queue ``data`` (a JSONL or XLSX batch) for the worker to import as ``user``."""
    from yiwang.intake import tasks

    require_role(user, QUEUE_ROLES, "导入热线工单")
    if fmt not in FORMATS:
        raise InvalidInput("bad_format", "格式应为 jsonl 或 xlsx。", "format")
    rows = count_rows(data, fmt) if rows is None else rows
    limit = settings.HOTLINE_BATCH_MAX_ROWS
    if rows > limit:
        raise InvalidInput("too_many_rows", f"一批最多 {limit} 条工单，请分批导入。", "file")
    with transaction.atomic():
        job = HotlineImportJob.objects.create(
            user=user,
            system=system,
            filename=filename[:200],
            format=fmt,
            data=data,
            rows_total=rows,
            created_at=now or timezone.now(),
        )
        # The database backend stores the task in this same transaction: no job without
        # its task, no task without its job.
        result = tasks.run_hotline_import.enqueue(job.pk)
        job.task_id = str(result.id)[:64]
        job.save(update_fields=["task_id"])
        audit.record(
            user,
            "intake.hotline_batch.queued",
            job,
            f"后台导入热线工单 {rows} 条（{system.code}，{job.filename}）",
            format=fmt,
        )
    return job


def _claim(job_id: int, now: datetime) -> HotlineImportJob | None:
    with transaction.atomic():
        job = (
            HotlineImportJob.objects.select_for_update(of=("self",))
            .select_related("user", "system")
            .filter(pk=job_id, state=HotlineImportJob.State.QUEUED)
            .first()
        )
        if job is None:
            return None
        job.state, job.started_at = HotlineImportJob.State.RUNNING, now
        job.save(update_fields=["state", "started_at"])
    return job


def _progress(job_id: int) -> Progress:
    """Write the phase and count to the job as the import reports them. The import writes
    nothing until its last phase, so these small updates commit at once and the page sees
    them."""

    def report(phase: str, done: int, total: int) -> None:
        HotlineImportJob.objects.filter(pk=job_id).update(
            phase=phase, phase_done=done, phase_total=total
        )

    return report


def _finish(
    job: HotlineImportJob,
    state: str,
    *,
    result: BatchResult | None = None,
    message: str = "",
    errors: list[dict[str, object]] | None = None,
) -> None:
    job.state, job.message, job.errors = state, message[:500], errors or []
    job.result = result.as_dict() if result is not None else None
    job.data = b""  # the orders are stored (or refused): the caller's file is not kept
    job.finished_at = timezone.now()
    # Not the phase: the progress writes keep it, and the object here never saw them.
    job.save(update_fields=["state", "message", "errors", "result", "data", "finished_at"])


def run_import(job_id: int) -> str:
    """Import a queued job's file as its uploader; return the job's final state."""
    job = _claim(job_id, timezone.now())
    if job is None:
        return "skipped"
    try:
        if not job.user.is_active:
            raise InvalidInput("import_user_inactive", "上传人已停用，导入取消。", "user")

        def done(result: BatchResult) -> None:
            # Inside the import's transaction: the orders and the job's "done" commit together.
            _finish(job, HotlineImportJob.State.DONE, result=result)

        import_batch(
            job.system,
            bytes(job.data),
            fmt=job.format,
            uploaded_by=job.user,
            on_progress=_progress(job.pk),
            on_success=done,
        )
    except ImportRejected as exc:
        _refused(job, exc.message, [asdict(e) for e in exc.errors])
    except ActionError as exc:
        _refused(job, exc.message, [])
    except Exception:
        logger.exception("hotline import job %s failed", job.pk)
        with transaction.atomic():
            _finish(
                job,
                HotlineImportJob.State.FAILED,
                message=gettext("导入时出错，未导入任何工单；请稍后重试或联系管理员。"),
            )
            audit.record(
                job.user, "intake.hotline_batch.failed", job, f"后台导入失败：{job.filename}"
            )
    return job.state


def _refused(job: HotlineImportJob, message: str, errors: list[dict[str, object]]) -> None:
    with transaction.atomic():
        _finish(job, HotlineImportJob.State.REJECTED, message=message, errors=errors)
        audit.record(
            job.user,
            "intake.hotline_batch.rejected",
            job,
            f"后台导入未执行：{job.filename}",
            rows=len({e.get("index") for e in errors}),
        )


def fail_interrupted_imports(*, now: datetime | None = None) -> int:
    """Mark as failed the imports that have been 导入中 longer than any import takes (the
    worker running them died or was stopped). The import writes its orders in one
    transaction at its end, so such a job imported nothing; its uploader may send it again."""
    now = now or timezone.now()
    limit = now - timedelta(minutes=settings.HOTLINE_IMPORT_STALE_MINUTES)
    stuck = list(
        HotlineImportJob.objects.select_related("user").filter(
            state=HotlineImportJob.State.RUNNING, started_at__lt=limit
        )
    )
    for job in stuck:
        with transaction.atomic():
            _finish(
                job,
                HotlineImportJob.State.FAILED,
                message=gettext("导入中断（后台任务停止），未导入任何工单；请重新上传。"),
            )
            audit.record(None, "intake.hotline_batch.interrupted", job, f"导入中断：{job.filename}")
    return len(stuck)
