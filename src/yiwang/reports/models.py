"""Tables of the reports app: hotspots under key supervision (重点监管) and their checks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SupervisedSpot(models.Model):
    """An H3 cell put under key supervision: inspectors get a check task every
    `frequency_days` days until it is released."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("监管中")
        RELEASED = "released", _("已解除")

    cell = models.CharField(_("H3 单元"), max_length=16)
    resolution = models.PositiveSmallIntegerField(_("分辨率"))
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    # The community of the grid holding the cell's centre: who may see the spot and its checks.
    division_path = models.CharField(_("区划路径"), max_length=80, db_index=True)
    reason = models.CharField(_("监管理由"), max_length=200)
    frequency_days = models.PositiveSmallIntegerField(_("核查频次（天）"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("开始时间"))
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    last_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("重点监管点位")
        constraints = [
            models.UniqueConstraint(
                fields=["cell", "division_path"],
                condition=Q(status="active"),
                name="spot_one_active_per_cell",
            )
        ]

    def __str__(self) -> str:
        return self.cell


class SpotCheck(models.Model):
    """A check task (核查任务) for the inspectors of a supervised spot."""

    class Result(models.TextChoices):
        NO_PROBLEM = "ok", _("无问题")
        PROBLEM = "problem", _("发现问题")

    spot = models.ForeignKey(SupervisedSpot, on_delete=models.CASCADE, related_name="checks")
    created_at = models.DateTimeField(_("下达时间"))
    due_at = models.DateTimeField(_("核查时限"))
    # Done (`reports.actions.complete_check`): who, when, what was found. A problem found is
    # reported by the inspector as an ordinary case; the check only records the finding.
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    result = models.CharField(_("核查结果"), max_length=10, choices=Result.choices, blank=True)
    note = models.CharField(_("核查说明"), max_length=500, blank=True)
    # Re-encoded without metadata (`core.images`), named by its sha256: never a client name.
    photo = models.FileField(_("现场照片"), upload_to="spot-checks/", max_length=200, blank=True)
    photo_type = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("重点监管核查任务")
        indexes = [
            models.Index(fields=["spot", "-created_at"], name="spot_check_recent"),
            models.Index(fields=["done_at", "due_at"], name="spot_check_open_due"),
        ]

    def __str__(self) -> str:
        return f"{self.spot.cell} {self.created_at:%Y-%m-%d}"


class Bulletin(models.Model):
    """One issued version of a bulletin (日盘点 / 周分析 / 月通报) for a division and period.

    The content (`reports.bulletins.content.BulletinContent` as JSON) is frozen when the row
    is written: a row is never updated. Re-running a period issues a new version beside the
    old ones, so what a leader signed stays readable as it was.
    """

    class Kind(models.TextChoices):
        DAILY = "daily", _("日盘点")
        WEEKLY = "weekly", _("周分析")
        MONTHLY = "monthly", _("月通报")

    class Trigger(models.TextChoices):
        SCHEDULED = "scheduled", _("定时生成")
        ON_DEMAND = "on_demand", _("手动生成")

    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    period_start = models.DateField(_("起始日期"))
    period_end = models.DateField(_("截止日期"))  # included
    # The division it covers (its subtree): who may read it, by the scope rule.
    division_path = models.CharField(_("区划路径"), max_length=80, db_index=True)
    version = models.PositiveIntegerField(_("版本"))
    trigger = models.CharField(_("生成方式"), max_length=10, choices=Trigger.choices)
    issued_at = models.DateTimeField(_("发布时间"))
    # None: issued by the worker's schedule.
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("标题"), max_length=200)
    content = models.JSONField(_("内容"))

    class Meta:
        verbose_name = _("通报")
        verbose_name_plural = _("通报")
        ordering = ["-period_start", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "period_start", "division_path", "version"],
                name="bulletin_one_row_per_version",
            ),
            # The worker's schedule issues a period once: a second scheduled run (a restart,
            # two workers) finds the row and stops; only people add further versions.
            models.UniqueConstraint(
                fields=["kind", "period_start", "division_path"],
                condition=Q(trigger="scheduled"),
                name="bulletin_one_scheduled_per_period",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "-period_start"], name="bulletin_kind_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（第{self.version}版）"

    def save(self, *args: object, **kwargs: object) -> None:
        # Frozen as issued: an existing row is never rewritten (a new version is a new row).
        if self.pk is not None:
            raise ValueError("a bulletin is frozen as issued; issue a new version instead")
        super().save(*args, **kwargs)  # type: ignore[arg-type]
