"""The case (案卷) and its history: stages with deadlines, timeline events, photos.

Also the editable reference tables the loop runs on: time limits, routing rules,
the holiday / 调休 calendar and the work periods.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.catalog.models import Component, Kind, ObjectType
from yiwang.geo.models import UnitGrid
from yiwang.org.models import Department, Division

# Limits of the free-text fields without a max_length in the database; the action, the
# form and the API schema all read them from here.
DESCRIPTION_MAX_LENGTH = 5000
NOTE_MAX_LENGTH = 2000  # a transition's note, reason or result


class State(models.TextChoices):
    REPORTED = "reported", _("待受理")
    PENDING_VERIFY = "pending_verify", _("待派发核实")
    VERIFYING = "verifying", _("核实中")
    PENDING_REGISTER = "pending_register", _("待立案")
    VOID_REQUESTED = "void_requested", _("作废待审批")
    VOIDED = "voided", _("已作废")
    PENDING_DISPATCH = "pending_dispatch", _("待派遣")
    DISPATCHED = "dispatched", _("待接收")
    HANDLING = "handling", _("处置中")
    RETURN_REQUESTED = "return_requested", _("回退待审批")
    EXTENSION_REQUESTED = "extension_requested", _("延期待审批")
    SUSPEND_REQUESTED = "suspend_requested", _("挂账待审批")
    SUSPENDED = "suspended", _("已挂账")
    HANDLED = "handled", _("待派发核查")
    CHECKING = "checking", _("核查中")
    PENDING_CLOSE = "pending_close", _("待结案")
    CLOSED = "closed", _("已结案")
    MERGED = "merged", _("已合并")


# States no worklist holds and no move but an undo leaves. A merged case (合并) is here too:
# its reporters follow the case it was merged into (`Case.merged_into`) until it is unmerged.
FINAL_STATES = frozenset({State.CLOSED, State.VOIDED, State.MERGED})
# The same as plain strings in a fixed order: index conditions and the queries that must
# match them word for word (SQLite uses a partial index only for the very same condition).
OPEN_EXCLUDED = ["closed", "voided", "merged"]


class Stage(models.TextChoices):
    """A stretch of the loop with its own time limit (受理, 核实, 立案, 派遣, 处置, 核查, 结案)."""

    ACCEPT = "accept", _("受理")
    VERIFY = "verify", _("核实")
    REGISTER = "register", _("立案")
    DISPATCH = "dispatch", _("派遣")
    HANDLE = "handle", _("处置")
    CHECK = "check", _("核查")
    CLOSE = "close", _("结案")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")


class Source(models.TextChoices):
    INSPECTOR = "inspector", _("监督员上报")
    PUBLIC = "public", _("公众上报")
    HOTLINE = "hotline", _("12345热线")
    VIDEO = "video", _("视频发现")
    DRONE = "drone", _("无人机巡查")
    SENSOR = "sensor", _("传感器告警")
    OTHER = "other", _("其他")


class TimeUnit(models.TextChoices):
    HOURS = "hours", _("小时")
    WORK_HOURS = "work_hours", _("工作时")
    WORK_DAYS = "work_days", _("工作日")


class Case(models.Model):
    number = models.CharField(_("案卷号"), max_length=32, unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    # FKs led by a composite index below need no index of their own (fewer indexes to
    # write on every report and move): type, grid, street, department, assignee.
    type = models.ForeignKey(
        ObjectType,
        verbose_name=_("部件事件类型"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    urgency = models.CharField(_("紧急程度"), max_length=8, choices=Urgency.choices)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("问题描述"), blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    grid = models.ForeignKey(
        UnitGrid,
        verbose_name=_("单元网格"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    community = models.ForeignKey(
        Division, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    street = models.ForeignKey(
        Division,
        verbose_name=_("街道"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    district_code = models.CharField(_("区县代码"), max_length=6)
    division_path = models.CharField(_("区划路径"), max_length=80, editable=False)
    component = models.ForeignKey(
        Component,
        verbose_name=_("部件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    # The case this one was merged into as a duplicate (state 已合并); that case carries the
    # result for both. Never a chain: the engine refuses to merge into a merged case and to
    # merge a case others were merged into (`steps.merge_into`).
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并到"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
    )

    state = models.CharField(_("状态"), max_length=24, choices=State.choices)
    version = models.PositiveIntegerField(_("版本"), default=1)
    # The state to go back to when a pending request (void, return, extension,
    # suspension) is denied.
    resume_state = models.CharField(max_length=24, blank=True)
    # The open request (extension amount, suspension reason …) awaiting approval.
    pending_request = models.JSONField(default=dict, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("处置部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # Whoever holds the case now: the inspector of a verify/check task, or the handler.
    # Routing's suggestion at report time; the dispatcher may override it.
    suggested_department = models.ForeignKey(
        Department,
        verbose_name=_("建议处置部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("当前承办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    stage = models.CharField(_("当前环节"), max_length=10, choices=Stage.choices, blank=True)
    stage_started_at = models.DateTimeField(_("环节开始"), null=True, blank=True)
    stage_due_at = models.DateTimeField(_("环节时限"), null=True, blank=True)
    stage_unit = models.CharField(
        _("时限单位"), max_length=10, choices=TimeUnit.choices, blank=True
    )
    # While suspended (挂账) the clock stops; the remaining allowance is kept here.
    stage_remaining_seconds = models.FloatField(null=True, blank=True)
    # Clock time (on the stage's unit) the deadline was moved by finished suspensions of
    # the running stage: the traffic light leaves it out of both used and allowed time.
    stage_suspended_seconds = models.FloatField(default=0)

    rework_count = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    return_count = models.PositiveSmallIntegerField(_("回退次数"), default=0)
    extension_count = models.PositiveSmallIntegerField(_("延期次数"), default=0)
    result = models.TextField(_("处置结果"), blank=True)

    reported_at = models.DateTimeField(_("上报时间"))
    registered_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    handled_at = models.DateTimeField(_("处置完毕时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    handle_due_at = models.DateTimeField(_("处置时限"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("案卷")
        verbose_name_plural = _("案卷")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["division_path", "-reported_at"], name="case_scope_recent"),
            models.Index(fields=["state", "division_path"], name="case_state_scope"),
            models.Index(fields=["department", "state", "stage_due_at"], name="case_dept_work"),
            models.Index(fields=["assignee", "state"], name="case_assignee_work"),
            models.Index(fields=["stage_due_at"], name="case_due"),
            models.Index(fields=["grid", "-reported_at"], name="case_grid_recent"),
            models.Index(fields=["type", "-reported_at"], name="case_type_recent"),
            # Search by street (and state) newest first; worklists of one state by deadline.
            # division_path is carried in the index (PostgreSQL) so the capped count of a
            # scoped search is answered from the index alone.
            models.Index(
                fields=["street", "state", "-reported_at"],
                include=["division_path"],
                name="case_street_state_recent",
            ),
            models.Index(fields=["state", "stage_due_at"], name="case_state_due"),
            # A handler's search, newest first: walked in order, each case probed against
            # the department's dispatch history (without it: every case of the department
            # sorted, 2.4 s instead of 30 ms for the first page at 1M cases).
            models.Index(fields=["-reported_at", "-id"], name="case_recent"),
            # Cases with a running clock are a few per cent of the table; two small partial
            # indexes serve the lists over them. A street's cases newest first, for "overdue
            # only" (the count reads the included columns alone):
            models.Index(
                fields=["street", "-reported_at", "-id"],
                include=["stage_due_at", "state", "division_path"],
                condition=models.Q(stage_due_at__isnull=False),
                name="case_street_running_recent",
            ),
            # A department's open cases by deadline, for its worklists (PostgreSQL proves
            # "state in (…open states…)" implies the condition; SQLite uses case_dept_work).
            models.Index(
                fields=["department", "stage_due_at", "id"],
                include=["state", "division_path"],
                condition=~models.Q(state__in=["closed", "voided"]),
                name="case_dept_open_due",
            ),
            # Changes since a moment (Open311 `updated_after`, a client syncing what moved).
            models.Index(fields=["updated_at", "id"], name="case_updated"),
            # Duplicate candidates: open cases of one type in a thin band of latitude (a
            # bounding box of tens of metres), read by `cases.duplicates`. Partial on the
            # open cases, which are a few per cent of the table.
            models.Index(
                fields=["type", "lat", "lon"],
                include=["reported_at"],
                condition=~models.Q(state__in=OPEN_EXCLUDED),
                name="case_open_type_place",
            ),
            # The command-centre dashboard (reports.dashboard) reads only the open cases,
            # ~6 % of the table but scattered over most of its pages. Its live cases, the
            # nearest deadlines first: walked in order and stopped after the map's cap, the
            # scope's path checked in the index before a row is fetched.
            models.Index(
                fields=["stage_due_at", "id"],
                include=["division_path"],
                condition=~models.Q(state__in=OPEN_EXCLUDED),
                name="case_open_due",
            ),
            # Its counts per grid, per type and per department, read from this index alone
            # (PostgreSQL, index-only scan; no heap page). The pattern opclass lets
            # "division_path LIKE 'prefix%'" (a street's scope) be a range of the index: the
            # database's collation is not "C", so the default opclass cannot. SQLite ignores
            # opclasses and included columns, and reads it as a plain partial index.
            models.Index(
                fields=["division_path"],
                opclasses=["varchar_pattern_ops"],
                include=["grid", "type", "department", "stage_due_at", "id"],
                condition=~models.Q(state__in=OPEN_EXCLUDED),
                name="case_open_scope_counts",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CaseStageRecord(models.Model):
    """One stretch of a stage: when it started, its limit, when it ended and whether on time."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="stages")
    stage = models.CharField(_("环节"), max_length=10, choices=Stage.choices)
    started_at = models.DateTimeField(_("开始"))
    due_at = models.DateTimeField(_("时限"))
    limit_amount = models.DecimalField(_("时限数值"), max_digits=8, decimal_places=2)
    limit_unit = models.CharField(_("时限单位"), max_length=10, choices=TimeUnit.choices)
    finished_at = models.DateTimeField(_("结束"), null=True, blank=True)
    suspended_seconds = models.FloatField(_("挂账时长（秒）"), default=0)
    # The same suspensions on the stage's own clock (working time for 工作时 / 工作日).
    suspended_clock_seconds = models.FloatField(default=0)
    paused_at = models.DateTimeField(_("挂账开始"), null=True, blank=True)

    class Meta:
        verbose_name = _("环节记录")
        verbose_name_plural = _("环节记录")
        ordering = ["case", "started_at", "id"]
        indexes = [models.Index(fields=["case", "finished_at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.stage}"

    @property
    def on_time(self) -> bool | None:
        if self.finished_at is None:
            return None
        return self.finished_at <= self.due_at


class CaseEvent(models.Model):
    """The case timeline; also the case's audit trail (one row per transition)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    transition = models.CharField(_("操作"), max_length=32)
    from_state = models.CharField(_("原状态"), max_length=24, blank=True)
    to_state = models.CharField(_("新状态"), max_length=24)
    note = models.TextField(_("意见"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("版本"))

    class Meta:
        verbose_name = _("案卷日志")
        verbose_name_plural = _("案卷日志")
        ordering = ["case", "at", "id"]
        # Every case's moves in a time window (Open311 `servicerequestupdates`, which
        # FixMyStreet polls for the last two hours).
        indexes = [models.Index(fields=["at", "id"], name="case_event_at")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.transition}"


def photo_file_name(instance: CasePhoto, filename: str) -> str:
    """Where a photo's content lives: named by its digest, so identical content is one file
    (``photos/ab/cd/<sha256>.jpg``) and no client-given name reaches the storage."""
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    digest = instance.sha256
    return f"photos/{digest[:2]}/{digest[2:4]}/{digest}.{extension}"


class CasePhoto(models.Model):
    """A photo of a case. Rows of several cases may share one stored file (same content);
    `cases.actions.photos` removes the file when its last row goes."""

    class Phase(models.TextChoices):
        BEFORE = "before", _("处置前")
        AFTER = "after", _("处置后")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    phase = models.CharField(_("阶段"), max_length=8, choices=Phase.choices)
    file = models.FileField(_("文件"), upload_to=photo_file_name, max_length=200)
    # sha256 of the stored (cleaned) content; indexed: "who else uses this file".
    sha256 = models.CharField(max_length=64, db_index=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("案卷照片")
        verbose_name_plural = _("案卷照片")
        ordering = ["case", "phase", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.phase} {self.sha256[:8]}"


class CaseDepartment(models.Model):
    """A department a case was dispatched to, now or before (派遣记录): the handlers' scope.

    The engine's dispatch effect writes it in the move's own transaction, once per
    (case, department); a department keeps the row after the case is returned or
    dispatched elsewhere, so its handlers can still read the case's history.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="department_history")
    # Led by the unique constraint below, which also answers "this department's cases".
    department = models.ForeignKey(
        Department,
        verbose_name=_("处置部门"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    first_dispatched_at = models.DateTimeField(_("首次派遣时间"))

    class Meta:
        verbose_name = _("派遣部门记录")
        verbose_name_plural = _("派遣部门记录")
        ordering = ["case", "first_dispatched_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["department", "case"], name="case_department_unique")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.department_id}"


class IdempotencyKey(models.Model):
    """A key a reporter sent with a new case (a form's hidden token, an Idempotency-Key
    header): a second request with the same key gets the same case instead of a new one.

    Stored in the transaction that creates the case; the unique (user, key) pair is what
    stops two concurrent submits from both creating. Pruned by a worker job after a day.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=255)
    # sha256 of the validated request: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("幂等键")
        verbose_name_plural = _("幂等键")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class CaseSequence(models.Model):
    """Per-day counters behind case numbers, so numbers are unique and never reused."""

    day = models.CharField(max_length=8, primary_key=True)  # yyyymmdd, Asia/Shanghai
    value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}:{self.value}"


class TimeLimit(models.Model):
    """Editable limit for one stage: the most specific row wins (type > major > kind > all)."""

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, blank=True)
    major_code = models.CharField(_("大类代码"), max_length=2, blank=True)
    type = models.ForeignKey(
        ObjectType,
        verbose_name=_("小类"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="time_limits",
    )
    urgency = models.CharField(_("紧急程度"), max_length=8, choices=Urgency.choices)
    stage = models.CharField(_("环节"), max_length=10, choices=Stage.choices)
    amount = models.DecimalField(_("时限"), max_digits=8, decimal_places=2)
    unit = models.CharField(_("单位"), max_length=10, choices=TimeUnit.choices)

    class Meta:
        verbose_name = _("处置时限")
        verbose_name_plural = _("处置时限")
        ordering = ["stage", "urgency", "kind", "major_code", "type__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["type", "urgency", "stage"],
                condition=models.Q(type__isnull=False),
                name="timelimit_unique_type",
            ),
            models.UniqueConstraint(
                fields=["kind", "major_code", "urgency", "stage"],
                condition=models.Q(type__isnull=True),
                name="timelimit_unique_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stage}/{self.urgency}: {self.amount} {self.unit}"


class RoutingRule(models.Model):
    """Which department handles which types in which area; lowest priority number wins."""

    priority = models.PositiveIntegerField(_("优先级"), default=100)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, blank=True)
    major_code = models.CharField(_("大类代码"), max_length=2, blank=True)
    type = models.ForeignKey(
        ObjectType,
        verbose_name=_("小类"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    division = models.ForeignKey(
        Division, verbose_name=_("适用区域"), on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("处置部门"), on_delete=models.CASCADE, related_name="+"
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("派遣规则")
        verbose_name_plural = _("派遣规则")
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return f"#{self.priority} → {self.department_id}"


class DuplicateRule(models.Model):
    """How near and how recent an open case of the same type must be to be offered as a
    duplicate (查重规则): the most specific row wins (type > major > kind > all); without a
    row, `cases.duplicates` uses its defaults (50 m, 7 days)."""

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, blank=True)
    major_code = models.CharField(_("大类代码"), max_length=2, blank=True)
    type = models.ForeignKey(
        ObjectType,
        verbose_name=_("小类"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    radius_m = models.PositiveIntegerField(_("查重半径（米）"))
    window_days = models.PositiveSmallIntegerField(_("查重时间窗（天）"))

    class Meta:
        verbose_name = _("查重规则")
        verbose_name_plural = _("查重规则")
        ordering = ["kind", "major_code", "type__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["type"], condition=models.Q(type__isnull=False), name="duprule_unique_type"
            ),
            models.UniqueConstraint(
                fields=["kind", "major_code"],
                condition=models.Q(type__isnull=True),
                name="duprule_unique_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.radius_m} m / {self.window_days} d"


class CalendarDay(models.Model):
    """A holiday (休) or a make-up working day (调休上班); other days follow the weekday."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("休息日")
        WORKDAY = "workday", _("调休上班")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class CalendarYear(models.Model):
    """A year whose holidays are known; a year without a row counts plain weekdays."""

    year = models.PositiveSmallIntegerField(_("年份"), primary_key=True)
    source = models.CharField(_("来源"), max_length=50, default="chinese-calendar")

    class Meta:
        verbose_name = _("已维护年份")
        verbose_name_plural = _("已维护年份")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class WorkPeriod(models.Model):
    """Daily working hours (default 08:00–12:00 and 14:00–18:00)."""

    start = models.TimeField(_("开始"))
    end = models.TimeField(_("结束"))

    class Meta:
        verbose_name = _("工作时段")
        verbose_name_plural = _("工作时段")
        ordering = ["start"]

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"
