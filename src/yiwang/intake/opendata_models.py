"""The 311 open-data importer's tables: the editable category mapping, imports, records."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# ---- 311 open data: public service-request exports of other cities --------------------------


class OpenDataCategory(models.Model):
    """The editable mapping of a 311 category (as the files spell it) to a matter type."""

    # `opendata.category_key` of the category: case and spacing do not matter.
    key = models.CharField(_("类别键"), max_length=200, unique=True)
    category = models.CharField(_("311 类别"), max_length=200)
    type = models.ForeignKey(
        "catalog.ObjectType",
        verbose_name=_("事件类型"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("311 类别映射")
        verbose_name_plural = _("311 类别映射")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.category} → {self.type_id}"


class OpenDataImport(models.Model):
    """One import of a 311 file into a foreign-city division: what came in, what was left."""

    division = models.ForeignKey(
        "org.Division", verbose_name=_("城市区划"), on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    time_zone = models.CharField(_("时区"), max_length=64)
    created_at = models.DateTimeField(_("导入时间"))
    # {"rows", "created", "closed", "skipped_existing", "no_coordinates", "problems"}
    counts = models.JSONField(_("计数"), default=dict)
    # category → number of requests that went to the fallback type
    unmapped = models.JSONField(_("未映射类别"), default=dict)
    columns = models.JSONField(_("列对应"), default=dict)

    class Meta:
        verbose_name = _("311 数据导入")
        verbose_name_plural = _("311 数据导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} #{self.pk}"


class OpenDataRecord(models.Model):
    """The case a 311 request became, with the file's own strings and times (UTC)."""

    batch = models.ForeignKey(
        OpenDataImport, verbose_name=_("导入批次"), on_delete=models.CASCADE, related_name="records"
    )
    division = models.ForeignKey(
        "org.Division", verbose_name=_("城市区划"), on_delete=models.PROTECT, related_name="+"
    )
    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("案卷"),
        on_delete=models.CASCADE,
        related_name="opendata_record",
    )
    external_id = models.CharField(_("原编号"), max_length=64)
    category = models.CharField(_("311 类别"), max_length=200)
    mapped = models.BooleanField(_("已映射"), default=True)
    status = models.CharField(_("原状态"), max_length=40, blank=True)
    opened_raw = models.CharField(_("原受理时间"), max_length=40)
    closed_raw = models.CharField(_("原结案时间"), max_length=40, blank=True)
    deadline_raw = models.CharField(_("原时限"), max_length=40, blank=True)
    opened_at = models.DateTimeField(_("受理时间"))
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    deadline_at = models.DateTimeField(_("处置时限"), null=True, blank=True)
    lat = models.FloatField(_("纬度"))
    lon = models.FloatField(_("经度"))

    class Meta:
        verbose_name = _("311 数据记录")
        verbose_name_plural = _("311 数据记录")
        ordering = ["opened_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["division", "external_id"], name="opendata_record_once_per_city"
            )
        ]

    def __str__(self) -> str:
        return f"{self.external_id} {self.category}"


class OpenDataImportJob(models.Model):
    """A 311 file uploaded on the web page (系统管理员), imported by the worker with the same
    `actions.opendata.import_data` as the command; the page polls its progress."""

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导入中")
        DONE = "done", _("已导入")
        FAILED = "failed", _("失败")

    user = models.ForeignKey(
        "org.User", verbose_name=_("上传人"), on_delete=models.CASCADE, related_name="+"
    )
    filename = models.CharField(_("文件名"), max_length=200)
    # The uploaded file until the worker has read it (then emptied): in the database, so the
    # job and its file are written in one transaction with the task.
    data = models.BinaryField(_("文件内容"), default=b"", blank=True)
    city_code = models.CharField(_("城市区划代码"), max_length=9)
    city_name = models.CharField(_("城市名称"), max_length=50)
    time_zone = models.CharField(_("时区"), max_length=64)
    fallback_type = models.CharField(_("兜底类型"), max_length=5)
    every = models.PositiveIntegerField(_("抽样间隔"), default=1)
    limit = models.PositiveIntegerField(_("最多条数"), null=True, blank=True)
    rows_total = models.PositiveIntegerField(_("请求数"), default=0)
    state = models.CharField(
        _("状态"), max_length=12, choices=State.choices, default=State.QUEUED, db_index=True
    )
    done = models.PositiveIntegerField(_("已处理"), default=0)
    # Done: {"counts": {...}, "unmapped": {category: n}, "problems": [[line, message], ...]}.
    result = models.JSONField(_("导入结果"), null=True, blank=True)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    batch = models.ForeignKey(
        OpenDataImport,
        verbose_name=_("导入批次"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    task_id = models.CharField(_("任务标识"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("上传时间"))
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("311 数据网页导入")
        verbose_name_plural = _("311 数据网页导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} #{self.pk}"

    @property
    def percent(self) -> int:
        if self.state in (self.State.DONE, self.State.FAILED):
            return 100
        if not self.rows_total:
            return 0
        return min(99, 100 * self.done // self.rows_total)
