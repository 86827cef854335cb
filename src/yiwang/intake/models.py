"""What arrived by which channel, and the case it became or joined."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    PUBLIC = "public", _("公众上报")
    INSPECTOR = "inspector", _("监督员移动端")
    OPEN311 = "open311", _("Open311 接口")
    HOTLINE = "hotline", _("12345 热线")
    VIDEO = "video", _("视频智能识别")
    DRONE = "drone", _("无人机巡查")


class Submission(models.Model):
    """One report as a channel received it: who may follow it, and the case it is in.

    Several submissions may point at one case (the same problem reported twice, alarms
    repeating, duplicates merged): every reporter follows that case and is counted in it.
    """

    channel = models.CharField(_("渠道"), max_length=12, choices=Channel.choices)
    # Who sent it within the channel: an Open311 client, a hotline system, a camera id,
    # an inspector's user id. Together with `external_id` it identifies a resend.
    sender = models.CharField(_("发送方"), max_length=64, blank=True)
    # The sender's own id for it (a client-generated id, a hotline order id, an event id).
    external_id = models.CharField(_("外部编号"), max_length=64, blank=True)
    # What the reporter is given to follow it; shows nothing personal.
    tracking_code = models.CharField(_("查询码"), max_length=16, unique=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("案卷"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # For a call back; never shown on public pages or in Open311 answers.
    contact_phone = models.CharField(_("回访电话"), max_length=20, blank=True)
    received_at = models.DateTimeField(_("接收时间"), db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("受理记录")
        verbose_name_plural = _("受理记录")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "sender", "external_id"],
                condition=~models.Q(external_id=""),
                name="submission_unique_external_id",
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_code


# ---- public reporting (公众上报) ----------------------------------------------------------
# What the public may report (editable reference data, seeded from the catalogue's matter
# majors) and the operator's review of every photo the public sent before it may appear on
# a public page.


class PublicCategory(models.Model):
    """A tile of the public report page: a picture and a name over a group of types."""

    class Icon(models.TextChoices):
        # The pictures shipped in static/intake/public/icons/<value>.svg.
        UTILITY = "utility", _("市政设施（井盖）")
        TRAFFIC = "traffic", _("交通设施（信号灯）")
        SANITATION = "sanitation", _("环卫设施（垃圾桶）")
        GREENERY = "greenery", _("园林绿化（树木）")
        ENVIRONMENT = "environment", _("市容环境（垃圾）")
        ADVERTISING = "advertising", _("宣传广告（广告牌）")
        CONSTRUCTION = "construction", _("施工管理（路障）")
        STREET = "street", _("街面秩序（摊点）")
        OTHER = "other", _("其他（问号）")

    name = models.CharField(_("名称"), max_length=20)
    icon = models.CharField(_("图标"), max_length=16, choices=Icon.choices, default=Icon.OTHER)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("公众上报大类")
        verbose_name_plural = _("公众上报大类")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class PublicType(models.Model):
    """A catalogue type the public may report, under one tile, with a plain name."""

    category = models.ForeignKey(
        PublicCategory, verbose_name=_("大类"), on_delete=models.PROTECT, related_name="types"
    )
    object_type = models.OneToOneField(
        "catalog.ObjectType",
        verbose_name=_("部件事件类型"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Blank: the catalogue's name ("供水井盖异常"); a plainer one may read better to the public.
    name = models.CharField(_("公众看到的名称"), max_length=40, blank=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("公众可上报类型")
        verbose_name_plural = _("公众可上报类型")
        ordering = ["category", "position", "id"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.object_type.name


class PublicPhotoReview(models.Model):
    """An operator's decision on one photo the public sent (faces, number plates).

    Until approved the photo is seen only by staff who may see its case; a public page
    serves it only through a view that checks this row.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已公开")
        REJECTED = "rejected", _("不公开")

    photo = models.OneToOneField(
        "cases.CasePhoto", verbose_name=_("照片"), on_delete=models.CASCADE, related_name="+"
    )
    submission = models.ForeignKey(
        Submission, verbose_name=_("受理记录"), on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        _("审核状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(_("不公开理由"), max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("公众照片审核")
        verbose_name_plural = _("公众照片审核")
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "id"], name="public_photo_status")]

    def __str__(self) -> str:
        return f"{self.photo_id} {self.status}"
