"""Shared tables: the audit log and change generations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One row per business operation, written in the operation's own transaction."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象标识"), max_length=64)
    summary = models.CharField(_("摘要"), max_length=500, blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"


class Generation(models.Model):
    """A counter bumped whenever a cached derived structure must be rebuilt.

    In-process caches (the grid spatial index) compare their generation with this
    row, so a change made by any process (web or worker) reaches all of them.
    """

    name = models.CharField(max_length=64, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("变更代次")
        verbose_name_plural = _("变更代次")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class ExportJob(models.Model):
    """A spreadsheet built in the background for one user (see `yiwang.core.exports`).

    The job knows no domain: ``kind`` names an exporter that a domain app registered,
    ``filters`` are that exporter's parameters, re-applied with the user's scope when the
    job runs.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        EXPIRED = "expired", _("已过期")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("导出类别"), max_length=64)
    label = models.CharField(_("说明"), max_length=300)
    format = models.CharField(_("格式"), max_length=8, default="xlsx")
    filters = models.JSONField(_("条件"), default=dict, blank=True)
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.QUEUED, db_index=True
    )
    rows_total = models.PositiveIntegerField(_("总行数"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("已完成行数"), default=0)
    truncated = models.BooleanField(_("超出上限被截断"), default=False)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    file = models.FileField(_("文件"), upload_to="exports/", max_length=200, blank=True)
    filename = models.CharField(_("下载文件名"), max_length=200, blank=True)
    task_id = models.CharField(_("任务标识"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("申请时间"))
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="core_export_user_recent"),
            models.Index(fields=["state", "expires_at"], name="core_export_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.state}"

    @property
    def percent(self) -> int:
        """Progress for the bar, 0–100."""
        if self.state == self.State.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)
