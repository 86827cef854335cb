"""The 311 web imports an administrator uploaded (their own; an administrator reads the
audit log for everyone's)."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.core.errors import NotFound
from yiwang.intake.models import OpenDataImportJob
from yiwang.org.models import User


def opendata_import_jobs(user: User) -> QuerySet[OpenDataImportJob]:
    return OpenDataImportJob.objects.filter(user=user).defer("data").order_by("-created_at", "-id")


def opendata_import_job(user: User, pk: int) -> OpenDataImportJob:
    found = OpenDataImportJob.objects.filter(user=user, pk=pk).defer("data").first()
    if found is None:
        raise NotFound("import_not_found", "该导入任务不存在。", None)
    return found
