"""The GB/T 47678.5-2026 type catalogue and the component inventory (部件)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.geo.models import UnitGrid
from yiwang.org.models import Division


class Kind(models.TextChoices):
    COMPONENT = "component", _("部件")
    MATTER = "matter", _("事项")


class ObjectType(models.Model):
    """A component type or a matter type, keyed by (kind, 5-digit code)."""

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    code = models.CharField(_("代码"), max_length=5)
    major_code = models.CharField(_("大类代码"), max_length=2)
    major_name = models.CharField(_("大类名称"), max_length=50)
    name = models.CharField(_("名称"), max_length=100)
    is_local = models.BooleanField(_("本地扩展"), default=False)
    # Inspectors may close cases of this type on the spot (自处理结案).
    self_handle = models.BooleanField(_("可自处理"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("部件事件类型")
        verbose_name_plural = _("部件事件类型")
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="objecttype_unique_kind_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Component(models.Model):
    """One managed component (管理部件), identified by a 17-digit id."""

    class State(models.TextChoices):
        INTACT = "intact", _("完好")
        DAMAGED = "damaged", _("破损")
        LOST = "lost", _("丢失")
        ABANDONED = "abandoned", _("废弃")
        REMOVED = "removed", _("移除")

    ident = models.CharField(_("标识码"), max_length=17, unique=True)
    type = models.ForeignKey(
        ObjectType, verbose_name=_("部件类型"), on_delete=models.PROTECT, related_name="components"
    )
    name = models.CharField(_("名称"), max_length=100)
    authority_code = models.CharField(_("主管部门代码"), max_length=30, blank=True)
    authority_name = models.CharField(_("主管部门名称"), max_length=100, blank=True)
    owner = models.CharField(_("权属单位"), max_length=100, blank=True)
    maintainer = models.CharField(_("养护单位"), max_length=100, blank=True)
    grid = models.ForeignKey(
        UnitGrid, verbose_name=_("单元网格"), on_delete=models.PROTECT, related_name="components"
    )
    street = models.ForeignKey(
        Division, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        Division, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    division_path = models.CharField(_("区划路径"), max_length=80, db_index=True, editable=False)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.INTACT)
    initial_date = models.DateField(_("初始日期"), null=True, blank=True)
    change_date = models.DateField(_("变更日期"), null=True, blank=True)
    data_source = models.CharField(_("数据来源"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("部件")
        verbose_name_plural = _("部件")
        ordering = ["ident"]
        indexes = [models.Index(fields=["lon", "lat"])]

    def __str__(self) -> str:
        return f"{self.ident} {self.name}"
