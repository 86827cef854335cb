"""Unit grids (单元网格)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.org.models import Division


class UnitGrid(models.Model):
    class RegionClass(models.IntegerChoices):
        CLASS_ONE = 1, _("一类区域")
        CLASS_TWO = 2, _("二类区域")

    code = models.CharField(_("网格编码"), max_length=15, unique=True)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    community = models.ForeignKey(
        Division, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="grids"
    )
    # Copied from the community so scope filters need no join.
    division_path = models.CharField(_("区划路径"), max_length=80, db_index=True, editable=False)
    # Polygon in WGS84 as GeoJSON geometry ({"type": "Polygon", "coordinates": ...}).
    geometry = models.JSONField(_("范围"))
    area_m2 = models.FloatField(_("面积（平方米）"))
    region_class = models.PositiveSmallIntegerField(
        _("区域类别"), choices=RegionClass.choices, default=RegionClass.CLASS_ONE
    )
    # Bounding box for bbox filters and the spatial index.
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("单元网格")
        verbose_name_plural = _("单元网格")
        ordering = ["code"]
        indexes = [models.Index(fields=["min_lon", "max_lon", "min_lat", "max_lat"])]

    def __str__(self) -> str:
        return self.code
