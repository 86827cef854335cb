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
