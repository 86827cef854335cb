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


# ---- Open311 GeoReport v2 ------------------------------------------------------------------
# The public interface other systems (FixMyStreet, SeeClickFix, a city app) file and follow
# requests through. See docs/intake.md, "Open311 GeoReport v2".


class PublicService(models.Model):
    """A problem type the city opens to the public: one entry of Open311 `services`.

    Which types citizens may report is the city's choice, edited by administrators; a
    public reporting form can offer the same list. `attributes` are the extra questions of
    the service definition (GeoReport v2 `attributes`), checked by
    `intake.actions.open311.clean_attributes` whenever they are saved.
    """

    type = models.OneToOneField(
        "catalog.ObjectType",
        verbose_name=_("部件事件类型"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Shown instead of the type's own name when set (a plainer word for citizens).
    name = models.CharField(_("对外名称"), max_length=100, blank=True)
    description = models.CharField(_("说明"), max_length=500, blank=True)
    keywords = models.CharField(_("关键词"), max_length=200, blank=True)
    # Defaults to the type's major class (市容环境, 街面秩序 …).
    group = models.CharField(_("分组"), max_length=50, blank=True)
    attributes = models.JSONField(_("附加字段"), default=list, blank=True)
    order = models.PositiveIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("公众可报类型")
        verbose_name_plural = _("公众可报类型")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name or str(self.type_id)


class Open311Client(models.Model):
    """A registered Open311 client (an app, a partner platform) and its api_key.

    Only a SHA-256 hash of the key is stored: the key is shown once, when it is issued.
    Each client's submissions are limited to `rate` ("count/period", django-ratelimit).
    """

    name = models.CharField(_("名称"), max_length=100, unique=True)
    contact = models.CharField(_("联系方式"), max_length=200, blank=True)
    key_prefix = models.CharField(_("密钥前缀"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    rate = models.CharField(_("提交频率上限"), max_length=16, default="60/m")
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), editable=False)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 客户端")
        verbose_name_plural = _("Open311 客户端")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Open311Request(models.Model):
    """What an Open311 client posted besides the case itself.

    A request with a point becomes a case at once; one with only an address waits here
    (its submission has no case) until an operator places it on the map. The reporter's
    name, phone and e-mail are kept for the call back and never leave through Open311.
    """

    submission = models.OneToOneField(
        Submission, verbose_name=_("受理记录"), on_delete=models.CASCADE, related_name="open311"
    )
    client = models.ForeignKey(
        Open311Client, verbose_name=_("客户端"), on_delete=models.PROTECT, related_name="+"
    )
    service = models.ForeignKey(
        PublicService, verbose_name=_("类型"), on_delete=models.PROTECT, related_name="+"
    )
    address_string = models.CharField(_("地址"), max_length=300, blank=True)
    address_id = models.CharField(_("地址编码"), max_length=64, blank=True)
    description = models.TextField(_("问题描述"), blank=True)
    attributes = models.JSONField(_("附加字段"), default=dict, blank=True)
    media_url = models.URLField(_("媒体链接"), max_length=500, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    device_id = models.CharField(_("设备编号"), max_length=64, blank=True)
    account_id = models.CharField(_("账号"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("Open311 请求")
        verbose_name_plural = _("Open311 请求")

    def __str__(self) -> str:
        return str(self.submission_id)
