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


# ---- Open311 GeoReport v2 ------------------------------------------------------------------
# The public interface other systems (FixMyStreet, SeeClickFix, a city app) file and follow
# requests through. See docs/intake.md, "Open311 GeoReport v2".


class PublicService(models.Model):
    """A problem type the city opens to the public: the one list every public channel reads.

    The public report page offers it under its tile (`category`), Open311 as one entry of
    `services`. Which types citizens may report is the city's choice, edited by
    administrators in one admin page (公众可报类型); an entry is open when it, its tile and
    its catalogue type are all enabled. `attributes` are the extra questions of the Open311
    service definition (GeoReport v2 `attributes`), checked by
    `intake.actions.open311.clean_attributes` whenever they are saved.
    """

    type = models.OneToOneField(
        "catalog.ObjectType",
        verbose_name=_("部件事件类型"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The tile of the public report page it is offered under (市政设施, 市容环境 …).
    category = models.ForeignKey(
        "PublicCategory", verbose_name=_("大类"), on_delete=models.PROTECT, related_name="services"
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

    @property
    def display_name(self) -> str:
        """What the public reads: the public name, else the catalogue's."""
        return self.name or self.type.name


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


# =============================================================================================
# 12345 hotline work orders (热线转办) — see docs/intake.md "12345 热线转办"


class HotlineSystem(models.Model):
    """A hotline platform that sends work orders here and hears back about them.

    Both directions are signed with HMAC-SHA256 over ``"<timestamp>.<body>"``: what it sends
    with `inbound_secret`, what we send to `callback_url` with `callback_secret`. The secrets
    must be stored in clear (a digest could not sign); only administrators see this table.
    """

    code = models.SlugField(_("系统编号"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    inbound_secret = models.CharField(_("接收签名密钥"), max_length=128)
    callback_url = models.URLField(_("回调地址"), max_length=500, blank=True)
    callback_secret = models.CharField(_("回调签名密钥"), max_length=128, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("热线系统")
        verbose_name_plural = _("热线系统")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class HotlineCategory(models.Model):
    """Which matter type a hotline category becomes (editable: DB44/T 2479 is not public)."""

    code = models.CharField(_("热线分类编码"), max_length=64, unique=True)
    name = models.CharField(_("热线分类名称"), max_length=100, blank=True)
    type = models.ForeignKey(
        "catalog.ObjectType",
        verbose_name=_("对应事项类型"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("热线分类对照")
        verbose_name_plural = _("热线分类对照")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} → {self.type_id}"


class HotlineOrder(models.Model):
    """One work order as the hotline sent it (latest revision), and what became of it.

    An order without coordinates cannot be a case yet (a case needs a point): it waits
    here as 待定位 until an operator places it on the map.
    """

    class Status(models.TextChoices):
        AWAITING_LOCATION = "awaiting_location", _("待定位")
        FILED = "filed", _("已转案卷")
        RETURNED = "returned", _("已退单")

    system = models.ForeignKey(
        HotlineSystem, verbose_name=_("热线系统"), on_delete=models.PROTECT, related_name="+"
    )
    order_id = models.CharField(_("工单编号"), max_length=64)
    # sha256 of the order's canonical JSON: a resend with the same hash is the same order.
    content_hash = models.CharField(max_length=64)
    revision = models.PositiveIntegerField(_("修订次数"), default=1)
    # When the hotline signed the revision we hold (the webhook's timestamp): a retry of an
    # older revision arriving late is refused instead of overwriting a newer one.
    signed_at = models.DateTimeField(_("签名时间"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices)
    # The validated order as received (the caller's phone included: never shown in lists).
    payload = models.JSONField(_("工单内容"))
    category_code = models.CharField(_("热线分类"), max_length=64)
    title = models.CharField(_("标题"), max_length=200)
    address = models.CharField(_("地址"), max_length=300)
    # Where the address text resolved to (province, city or district), if anywhere.
    resolved_division = models.ForeignKey(
        "org.Division",
        verbose_name=_("地址解析区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The division path the order belongs to (for scoping the queue): the resolved
    # division's, or the node's when the text named none.
    division_path = models.CharField(max_length=80, db_index=True)
    received_at = models.DateTimeField(_("受理时间"))
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("案卷"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    return_reason = models.TextField(_("退单理由"), blank=True)
    # The outcome messages already queued for the hotline (registered / returned / closed);
    # once the case is final and its outcome queued, the timeline watcher skips the order.
    reported_events = models.JSONField(default=list, blank=True)
    outcome_done = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("接收时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("热线工单")
        verbose_name_plural = _("热线工单")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["system", "order_id"], name="hotline_order_unique")
        ]
        indexes = [
            models.Index(fields=["status", "-received_at"], name="hotline_order_status"),
            models.Index(
                fields=["case"],
                condition=models.Q(outcome_done=False, case__isnull=False),
                name="hotline_order_watched",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system_id}:{self.order_id}"


class HotlineMessage(models.Model):
    """One outbound webhook call to a hotline system (the outbox), with its retry state."""

    class Event(models.TextChoices):
        REGISTERED = "registered", _("立案")
        RETURNED = "returned", _("退单")
        CLOSED = "closed", _("办结")

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("已放弃")

    system = models.ForeignKey(
        HotlineSystem, verbose_name=_("热线系统"), on_delete=models.PROTECT, related_name="+"
    )
    order = models.ForeignKey(
        HotlineOrder, verbose_name=_("热线工单"), on_delete=models.PROTECT, related_name="messages"
    )
    event = models.CharField(_("事件"), max_length=12, choices=Event.choices)
    # The timeline row it reports (none for a 退单 of an order that never became a case):
    # the order's own case's, or — once the case was merged — the case carrying the result,
    # whose row may then be reported to several orders (one message per order).
    case_event_id = models.BigIntegerField(null=True, blank=True)
    body = models.JSONField(_("内容"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("最后状态码"), null=True, blank=True)
    last_error = models.CharField(_("最后错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    # An administrator asked for it to be sent again: the next attempt is logged as a replay.
    replay_requested = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("热线回传消息")
        verbose_name_plural = _("热线回传消息")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case_event_id", "order"], name="hotline_message_event_per_order"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="hotline_message_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.event}"


class HotlineDelivery(models.Model):
    """One attempt at delivering a message: what the hotline answered, or why it failed."""

    message = models.ForeignKey(
        HotlineMessage, verbose_name=_("消息"), on_delete=models.CASCADE, related_name="deliveries"
    )
    at = models.DateTimeField(_("时间"))
    status_code = models.PositiveIntegerField(_("状态码"), null=True, blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), default=0)
    # Started by an administrator's 重发 rather than the schedule.
    replay = models.BooleanField(_("手动重发"), default=False)

    class Meta:
        verbose_name = _("热线回传记录")
        verbose_name_plural = _("热线回传记录")
        ordering = ["message", "at", "id"]

    def __str__(self) -> str:
        return f"{self.message_id} {self.status_code or self.error[:20]}"


# ---- public reporting (公众上报) ----------------------------------------------------------
# The tiles of the report page (editable reference data, seeded with the catalogue's matter
# majors; the types under them are `PublicService` rows) and the operator's review of every
# photo the public sent before it may appear on a public page.


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


# ---- 12345 hotline: large batch uploads imported in the background ---------------------------
# An operator's upload of more than HOTLINE_BATCH_IMMEDIATE_ROWS orders is imported by the
# worker (`intake.actions.hotline_jobs`); the page polls this row for its progress and shows
# its result or row-by-row error report when it is done.


class HotlineImportJob(models.Model):
    """One uploaded batch of work orders waiting for, or imported by, the worker."""

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导入中")
        DONE = "done", _("已导入")
        REJECTED = "rejected", _("未导入：有错误")
        FAILED = "failed", _("失败")

    class Phase(models.TextChoices):
        VALIDATE = "validate", _("检查工单")
        ADDRESSES = "addresses", _("解析地址")
        WRITE = "write", _("建档写入")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    system = models.ForeignKey(
        HotlineSystem, verbose_name=_("热线系统"), on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("文件名"), max_length=200)
    format = models.CharField(_("格式"), max_length=8)
    # The uploaded file until the worker has read it (then emptied): kept in the database so
    # that the job and its file are written in one transaction.
    data = models.BinaryField(_("文件内容"), default=b"", blank=True)
    rows_total = models.PositiveIntegerField(_("工单数"), default=0)
    state = models.CharField(
        _("状态"), max_length=12, choices=State.choices, default=State.QUEUED, db_index=True
    )
    phase = models.CharField(_("阶段"), max_length=12, choices=Phase.choices, blank=True)
    phase_done = models.PositiveIntegerField(default=0)
    phase_total = models.PositiveIntegerField(default=0)
    # Done: the batch result (counts and every order's outcome); rejected: the error report.
    result = models.JSONField(_("导入结果"), null=True, blank=True)
    errors = models.JSONField(_("错误清单"), default=list, blank=True)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    task_id = models.CharField(_("任务标识"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("上传时间"))
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("热线工单后台导入")
        verbose_name_plural = _("热线工单后台导入")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="hotline_import_user_recent")]

    def __str__(self) -> str:
        return f"{self.filename} #{self.pk} {self.state}"

    # Share of the bar each phase fills: resolving addresses is most of the work before the
    # one writing transaction, whose end is the job's end.
    PHASE_SPAN = {"validate": (0, 10), "addresses": (10, 70), "write": (70, 99)}

    @property
    def percent(self) -> int:
        if self.state in (self.State.DONE, self.State.REJECTED, self.State.FAILED):
            return 100
        low, high = self.PHASE_SPAN.get(self.phase, (0, 0))
        if not self.phase_total:
            return low
        return low + (high - low) * min(self.phase_done, self.phase_total) // self.phase_total


# 311 open data (导入公开数据): its models live in a module of their own, this one being at its
# size limit; imported here so Django registers them with the intake app.
from yiwang.intake.opendata_models import (  # noqa: E402, F401
    OpenDataCategory,
    OpenDataImport,
    OpenDataImportJob,
    OpenDataRecord,
)
