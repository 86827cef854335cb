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
