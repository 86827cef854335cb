"""311 files uploaded on the web page (系统管理员), imported by the worker.

A 311 export of a few thousand requests takes minutes to import (each request is a case
played through its loop: SF's 4,984 in about 150 s), far too long for a request. So the
page checks what it can at once (a CSV, UTF-8, the required columns, the time zone, the
city code, the size) and stores the file with a job; `yiwang worker` runs the job with the
very same `actions.opendata.import_data` as the command `yiwang import_311`, writing how
many requests it has processed to the job, which the page polls (HTMX) and then shows the
final counts. Each request is imported in its own transaction (as by the command), so a job
interrupted half-way has imported part of the file: importing the same file again finishes
it and creates nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.core import audit
from yiwang.core.errors import ActionError, InvalidInput
from yiwang.intake import opendata
from yiwang.intake.actions import opendata as opendata_actions
from yiwang.intake.models import OpenDataImportJob
from yiwang.org.models import Division, User
from yiwang.org.permissions import require_admin

logger = logging.getLogger(__name__)

MAX_EVERY = 1000
MAX_NAME = 50


def check_upload(
    data: bytes,
    filename: str,
    *,
    city_code: str,
    city_name: str,
    tz: str,
    fallback_type: str = opendata.FALLBACK_TYPE,
) -> int:
    """What can be refused before the worker runs, each with its field; the number of
    requests the file holds (after the file's own refusals)."""
    limit = settings.OPENDATA_UPLOAD_MAX_BYTES
    if len(data) > limit:
        raise InvalidInput(
            "file_too_large", f"文件不能超过 {limit // (1024 * 1024)} MB，请分批导入。", "file"
        )
    if not filename.lower().endswith(".csv"):
        raise InvalidInput("not_csv", "请上传 .csv 文件。", "file")
    if not data.strip():
        raise InvalidInput("empty_file", "文件为空。", "file")
    zone = opendata.zone(tz.strip())  # bad_time_zone, field "tz"
    code = city_code.strip()
    if len(code) != 9 or not code.isascii() or not code.isdigit():
        raise InvalidInput(
            "bad_city_code", "城市区划代码应为 9 位街道级代码（前 6 位为已有区县）。", "city"
        )
    existing = Division.objects.filter(code=code).first()
    if existing is not None and existing.level != Division.Level.STREET:
        raise InvalidInput("bad_city_code", f"区划 {code} 不是街道级区划。", "city")
    if existing is None and not Division.objects.filter(code=code[:6]).exists():
        raise InvalidInput("bad_city_code", f"区县 {code[:6]} 不存在。", "city")
    name = city_name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput("bad_city_name", f"请填写城市名称（不超过 {MAX_NAME} 字）。", "name")
    opendata_actions._matter(fallback_type, "fallback")
    rows, _problems, _used = opendata.read_text(opendata_actions.decode(data), zone)
    return len(rows)


def request_import(
    user: User,
    data: bytes,
    filename: str,
    *,
    city_code: str,
    city_name: str,
    tz: str,
    fallback_type: str = opendata.FALLBACK_TYPE,
    every: int = 1,
    limit: int | None = None,
    now: datetime | None = None,
) -> OpenDataImportJob:
    """Check an uploaded 311 file and queue it for the worker to import as `user`."""
    from yiwang.intake import tasks

    require_admin(user, "导入 311 开放数据")
    if not 1 <= every <= MAX_EVERY:
        raise InvalidInput("bad_every", f"抽样间隔应在 1 到 {MAX_EVERY} 之间。", "every")
    if limit is not None and limit < 1:
        raise InvalidInput("bad_limit", "最多条数应为正整数。", "limit")
    rows = check_upload(
        data,
        filename,
        city_code=city_code,
        city_name=city_name,
        tz=tz,
        fallback_type=fallback_type,
    )
    total = len(range(0, rows, every))
    total = min(total, limit) if limit is not None else total
    with transaction.atomic():
        job = OpenDataImportJob.objects.create(
            user=user,
            filename=filename[:200],
            data=data,
            city_code=city_code.strip(),
            city_name=city_name.strip(),
            time_zone=tz.strip(),
            fallback_type=fallback_type,
            every=every,
            limit=limit,
            rows_total=total,
            created_at=now or timezone.now(),
        )
        # The database backend stores the task in this same transaction.
        result = tasks.run_opendata_import.enqueue(job.pk)
        job.task_id = str(result.id)[:64]
        job.save(update_fields=["task_id"])
        audit.record(
            user,
            "intake.opendata_import.queued",
            job,
            f"后台导入 311 数据 {job.filename}（{total} 条，{job.city_name}）",
        )
    return job


def _claim(job_id: int, now: datetime) -> OpenDataImportJob | None:
    with transaction.atomic():
        job = (
            OpenDataImportJob.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=job_id, state=OpenDataImportJob.State.QUEUED)
            .first()
        )
        if job is None:
            return None
        job.state, job.started_at = OpenDataImportJob.State.RUNNING, now
        job.save(update_fields=["state", "started_at"])
    return job


def _progress(job_id: int) -> opendata_actions.ProgressHook:
    def report(done: int, total: int) -> None:
        # Each request commits on its own: this small write is seen by the page at once.
        OpenDataImportJob.objects.filter(pk=job_id).update(done=done, rows_total=total)

    return report


def run_import(job_id: int) -> str:
    """Import a queued job's file as its uploader; return the job's final state."""
    job = _claim(job_id, timezone.now())
    if job is None:
        return "skipped"
    try:
        if not job.user.is_active:
            raise InvalidInput("import_user_inactive", "上传人已停用，导入取消。", "user")
        result = opendata_actions.import_data(
            job.user,
            bytes(job.data),
            job.filename,
            city_code=job.city_code,
            city_name=job.city_name,
            tz=job.time_zone,
            fallback_type=job.fallback_type,
            every=job.every,
            limit=job.limit,
            on_progress=_progress(job.pk),
        )
    except ActionError as exc:
        _finish(job, OpenDataImportJob.State.FAILED, message=exc.message)
        return job.state
    except Exception:
        logger.exception("311 import job %s failed", job.pk)
        _finish(
            job,
            OpenDataImportJob.State.FAILED,
            message=gettext("导入时出错；已导入的请求会保留，再次导入同一文件可继续。"),
        )
        return job.state
    job.batch = result.batch
    job.result = {
        "counts": result.batch.counts,
        "unmapped": dict(result.unmapped.most_common()),
        "problems": [[p.line, p.message] for p in result.problems[:200]],
        "problem_total": len(result.problems),
        "columns": result.batch.columns,
    }
    _finish(job, OpenDataImportJob.State.DONE)
    return job.state


def _finish(job: OpenDataImportJob, state: str, *, message: str = "") -> None:
    with transaction.atomic():
        job.state, job.message = state, message[:500]
        job.data = b""  # imported (or not): the file is not kept
        job.finished_at = timezone.now()
        job.save(update_fields=["state", "message", "data", "finished_at", "batch", "result"])
        audit.record(
            job.user,
            f"intake.opendata_import.{state}",
            job,
            f"后台导入 311 数据{job.get_state_display()}：{job.filename}",
            **({"counts": job.result["counts"]} if job.result else {}),
        )


def fail_interrupted(*, now: datetime | None = None) -> int:
    """Jobs 导入中 for longer than any import takes: their worker died. What was imported
    stays (one transaction per request); importing the file again finishes it."""
    now = now or timezone.now()
    limit = now - timedelta(minutes=settings.OPENDATA_IMPORT_STALE_MINUTES)
    stuck = list(
        OpenDataImportJob.objects.select_related("user").filter(
            state=OpenDataImportJob.State.RUNNING, started_at__lt=limit
        )
    )
    for job in stuck:
        _finish(
            job,
            OpenDataImportJob.State.FAILED,
            message=gettext("后台导入中断；已导入的请求会保留，再次导入同一文件可继续。"),
        )
    return len(stuck)


__all__ = ["check_upload", "fail_interrupted", "request_import", "run_import"]
