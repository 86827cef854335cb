"""Evaluation schemes (考核方案), stored as immutable versions.

A scheme row never changes once written: revising a scheme writes the next version
(`evaluation.actions.revise_scheme`), so every result that names a version can be
recomputed exactly. One version is current (`is_current`): the one evaluations use
unless another is asked for.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scheme(models.Model):
    code = models.SlugField(_("方案代码"), max_length=40)
    version = models.PositiveIntegerField(_("版本"))
    name = models.CharField(_("方案名称"), max_length=100)
    definition = models.JSONField(_("方案内容"))
    note = models.CharField(_("修订说明"), max_length=300, blank=True)
    is_current = models.BooleanField(_("当前使用"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="scheme_code_version"),
            models.UniqueConstraint(
                fields=["is_current"],
                condition=models.Q(is_current=True),
                name="scheme_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def label(self) -> str:
        """What a result records: code@version."""
        return f"{self.code}@{self.version}"
