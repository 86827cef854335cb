"""What arrived by which channel, and the case it became or joined."""

from __future__ import annotations

from decimal import Decimal

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


# =============================================================================================
# Video AI and drone alarms (issue 7 point 5): the camera registry, the event-type table, the
# alarm sources' keys, the alarms themselves and one dedup track per camera/flight and type.
# =============================================================================================

# What the event-type table starts with (`AlarmEventType` defaults, docs/intake.md).
DEFAULT_MIN_CONFIDENCE = Decimal("0.80")
DEFAULT_WINDOW_MINUTES = 30
DEFAULT_RADIUS_M = 50


class CameraStatus(models.TextChoices):
    ONLINE = "online", _("在线")
    OFFLINE = "offline", _("离线")
    FAULT = "fault", _("故障")


class Camera(models.Model):
    """A registered camera or video channel (GB/T 28181 id), placed in its unit grid."""

    device_id = models.CharField(_("国标编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("安装地址"), max_length=200, blank=True)
    # WGS84, converted at the edge from the CRS the administrator named.
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    grid = models.ForeignKey(
        "geo.UnitGrid", verbose_name=_("单元网格"), on_delete=models.PROTECT, related_name="+"
    )
    # The grid's division path: the registry and the alarms are read by it (scope).
    division_path = models.CharField(_("区划路径"), max_length=80, db_index=True, editable=False)
    status = models.CharField(
        _("状态"), max_length=8, choices=CameraStatus.choices, default=CameraStatus.ONLINE
    )
    # Where to get the picture: a stream URL (rtsp://, https:// …) or a reference on a
    # media platform (e.g. the lower platform's id and channel); at least one of them.
    stream_url = models.CharField(_("视频流地址"), max_length=500, blank=True)
    platform_ref = models.CharField(_("媒体平台引用"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("摄像机")
        verbose_name_plural = _("摄像机")
        ordering = ["device_id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.device_id}）"


class AlarmEventType(models.Model):
    """What an AI platform's event type means here: the matter type its case gets, the
    confidence below which an operator looks first, and the dedup window and radius."""

    code = models.CharField(_("事件类型代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    matter_type = models.ForeignKey(
        "catalog.ObjectType",
        verbose_name=_("对应事件类型"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    min_confidence = models.DecimalField(
        _("自动立案置信度"), max_digits=3, decimal_places=2, default=DEFAULT_MIN_CONFIDENCE
    )
    window_minutes = models.PositiveIntegerField(
        _("合并时间窗（分钟）"), default=DEFAULT_WINDOW_MINUTES
    )
    radius_m = models.PositiveIntegerField(_("无人机合并半径（米）"), default=DEFAULT_RADIUS_M)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("告警事件类型")
        verbose_name_plural = _("告警事件类型")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class AlarmSource(models.Model):
    """A system allowed to post alarms (a video AI platform, a drone platform) with its key.

    Only the key's SHA-256 is stored; the key is shown once when the source is created.
    Its cameras and drone points must lie in its division.
    """

    name = models.CharField(_("名称"), max_length=100, unique=True)
    division = models.ForeignKey(
        "org.Division", verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("密钥前缀"), max_length=8, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("告警接入方")
        verbose_name_plural = _("告警接入方")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AlarmStatus(models.TextChoices):
    FILED = "filed", _("已立案")  # at/above the confidence: a new case
    # A repeat added to the open case: answered with this status, but kept as its
    # Submission and in the case's timeline note rather than as an Alarm row.
    MERGED = "merged", _("已并入案卷")
    PENDING = "pending", _("待审核")  # below the confidence: in the review queue
    ACCEPTED = "accepted", _("审核通过")
    REJECTED = "rejected", _("已驳回")


class Alarm(models.Model):
    """An alarm that filed a case or waits for / got an operator's decision.

    (channel, sender, event_id) makes a resend the same alarm. A repeat merged into an
    open case has no row here: its Submission (same key) and the case's note record it.
    """

    source = models.ForeignKey(
        AlarmSource, verbose_name=_("接入方"), on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("渠道"), max_length=12, choices=Channel.choices)
    # The camera's device id, or the drone's flight id.
    sender = models.CharField(_("发送方"), max_length=64)
    event_id = models.CharField(_("事件编号"), max_length=64)
    camera = models.ForeignKey(
        Camera,
        verbose_name=_("摄像机"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # led by the track's (camera) rows; alarms are found by track
    )
    event_type = models.ForeignKey(
        AlarmEventType, verbose_name=_("事件类型"), on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField(_("发生时间"))
    received_at = models.DateTimeField(_("接收时间"))
    confidence = models.FloatField(_("置信度"))
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    grid = models.ForeignKey(
        "geo.UnitGrid",
        verbose_name=_("单元网格"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    division_path = models.CharField(_("区划路径"), max_length=80, editable=False)
    # Kept for an alarm an operator must look at (the lead of a review group); a filed
    # alarm's snapshot becomes the case's before photo, a repeat's is only fingerprinted.
    snapshot = models.FileField(_("快照"), upload_to="alarm-snapshots/%Y/%m/", blank=True)
    snapshot_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=AlarmStatus.choices)
    # A low-confidence repeat waits with the first pending alarm of its camera and type
    # (the group's lead) and is decided with it.
    lead = models.ForeignKey(
        "self",
        verbose_name=_("审核组首条"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="group",
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("案卷"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reason = models.CharField(_("驳回原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("视频/无人机告警")
        verbose_name_plural = _("视频/无人机告警")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "sender", "event_id"], name="alarm_unique_event"
            ),
        ]
        indexes = [
            # The review queue: pending leads of an area, oldest first.
            models.Index(
                fields=["division_path", "received_at"],
                condition=models.Q(status="pending", lead=None),
                name="alarm_review_queue",
            ),
            # A drone's open cases and pending leads near a new point (flight + type).
            models.Index(fields=["channel", "sender", "event_type", "status"], name="alarm_track"),
        ]

    def __str__(self) -> str:
        return f"{self.sender}/{self.event_id}"


class AlarmTrack(models.Model):
    """The dedup state of one camera (or drone flight) and event type.

    Every alarm locks its track row, so two alarms of the same camera and type are decided
    one after the other (one case, however many arrive at once); the row also holds the
    open case the camera's repeats join, the pending review group, and the per-camera
    counts behind the false-alarm rate.
    """

    channel = models.CharField(max_length=12, choices=Channel.choices)
    sender = models.CharField(max_length=64)
    event_type = models.ForeignKey(AlarmEventType, on_delete=models.PROTECT, related_name="+")
    camera = models.ForeignKey(
        Camera, null=True, blank=True, on_delete=models.CASCADE, related_name="tracks"
    )
    # A camera's open case and the time of the latest alarm added to it (the window slides).
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_at = models.DateTimeField(null=True, blank=True)
    pending_lead = models.ForeignKey(
        Alarm, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pending_last_at = models.DateTimeField(null=True, blank=True)
    alarm_count = models.PositiveIntegerField(default=0)  # every alarm but resends
    pending_count = models.PositiveIntegerField(default=0)  # waiting for an operator
    rejected_count = models.PositiveIntegerField(default=0)  # rejected as false alarms

    class Meta:
        verbose_name = _("告警合并轨迹")
        verbose_name_plural = _("告警合并轨迹")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "sender", "event_type"], name="alarm_track_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.sender}:{self.event_type_id}"
