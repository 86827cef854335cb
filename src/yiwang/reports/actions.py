"""Writes of the reports app: key supervision (重点监管) of a hotspot and its check tasks.

A spot is an H3 cell; while it is under supervision, `generate_checks` (a periodic job of the
worker, `reports.tasks.generate_spot_checks`) adds a check task for the inspectors every
`frequency_days` days until a leader releases it. Check tasks are a list here, not cases:
a check finds a problem or not, and a problem found is reported as a case by the inspector
through the usual case actions (nothing is created in `cases` on anyone's behalf).
`complete_check` records the inspector's finding (无问题 / 发现问题, a note, a photo) once.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import h3
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from yiwang.core import audit
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.images import ImageRefused, clean_image
from yiwang.core.scope import scope_path
from yiwang.core.textinput import text_problem
from yiwang.geo.locate import locate
from yiwang.org.models import User
from yiwang.org.permissions import require_role
from yiwang.org.roles import Role
from yiwang.reports.models import Bulletin, SpotCheck, SupervisedSpot

SUPERVISOR_ROLES = (Role.LEADER, Role.SHIFT_LEAD, Role.ADMIN)
CHECK_DAYS = 1  # a check task is due one day after it is given
# Who does a check task: the inspectors of the spot's community (and anyone above them
# who holds the inspector role).
CHECKER_ROLES = (Role.INSPECTOR,)
MAX_NOTE = 500
MAX_PHOTO_BYTES = 10 * 1024 * 1024


def supervise(
    actor: User,
    *,
    cell: str,
    frequency_days: int,
    reason: str,
    now: datetime | None = None,
) -> SupervisedSpot:
    require_role(actor, SUPERVISOR_ROLES, "设置重点监管")
    now = now or timezone.now()
    if not isinstance(cell, str) or not h3.is_valid_cell(cell):
        raise InvalidInput("bad_cell", "H3 单元编号不合法。", "cell")
    if not 1 <= frequency_days <= 90:
        raise InvalidInput("bad_frequency", "核查频次应在 1 到 90 天之间。", "frequency_days")
    reason = reason.strip()
    problem = text_problem(reason, multiline=False)
    if not reason or problem is not None or len(reason) > 200:
        raise InvalidInput("bad_reason", "请填写监管理由（不超过 200 字）。", "reason")
    lat, lon = h3.cell_to_latlng(cell)
    # The spot belongs to the community whose grid holds the cell's centre: its inspectors
    # and everyone above them see it and its checks.
    located = locate(lon, lat)
    if located is None or not located.division_path:
        raise InvalidInput("not_in_grid", "该单元中心不在任何单元网格内。", "cell")
    path = located.division_path
    prefix = scope_path(actor)
    if prefix is None or not path.startswith(prefix):
        raise PermissionDenied("out_of_scope", "该单元不在您的管辖范围内。", "cell")
    with transaction.atomic():
        if SupervisedSpot.objects.filter(
            cell=cell, division_path=path, status=SupervisedSpot.Status.ACTIVE
        ).exists():
            raise Conflict("already_supervised", "该单元已在重点监管中。", "cell")
        spot = SupervisedSpot.objects.create(
            cell=cell,
            resolution=h3.get_resolution(cell),
            lon=lon,
            lat=lat,
            division_path=path,
            reason=reason,
            frequency_days=frequency_days,
            started_by=actor,
            started_at=now,
        )
        audit.record(
            actor, "reports.supervise", spot, f"重点监管 {cell}", frequency_days=frequency_days
        )
    return spot


def release(actor: User, spot_id: int, *, now: datetime | None = None) -> SupervisedSpot:
    require_role(actor, SUPERVISOR_ROLES, "解除重点监管")
    now = now or timezone.now()
    prefix = scope_path(actor)
    with transaction.atomic():
        spot = (
            SupervisedSpot.objects.select_for_update()
            .filter(pk=spot_id, status=SupervisedSpot.Status.ACTIVE)
            .first()
        )
        if spot is None or prefix is None or not spot.division_path.startswith(prefix):
            raise NotFound("spot_not_found", "该重点监管点位不存在或已解除。", "spot_id")
        spot.status = SupervisedSpot.Status.RELEASED
        spot.released_by = actor
        spot.released_at = now
        spot.save(update_fields=["status", "released_by", "released_at"])
        audit.record(actor, "reports.release", spot, f"解除重点监管 {spot.cell}")
    return spot


def generate_checks(*, now: datetime | None = None) -> int:
    """Give a check task for every active spot whose last one is `frequency_days` old."""
    now = now or timezone.now()
    created = 0
    with transaction.atomic():
        # Few spots are ever active at once: the frequency is compared here, portably.
        active = SupervisedSpot.objects.select_for_update().filter(
            status=SupervisedSpot.Status.ACTIVE
        )
        for spot in active.order_by("id"):
            every = timedelta(days=spot.frequency_days)
            if spot.last_check_at is not None and now - spot.last_check_at < every:
                continue
            check = SpotCheck.objects.create(
                spot=spot, created_at=now, due_at=now + timedelta(days=CHECK_DAYS)
            )
            spot.last_check_at = now
            spot.save(update_fields=["last_check_at"])
            audit.record(None, "reports.spot_check", check, f"重点监管核查任务 {spot.cell}")
            created += 1
    return created


def record_bulletin_download(actor: User, bulletin: Bulletin, fmt: str) -> None:
    """Who took which bulletin file (it ranks named departments, streets and staff)."""
    with transaction.atomic():
        audit.record(
            actor,
            "reports.bulletin_downloaded",
            bulletin,
            f"下载通报 {fmt.upper()}：{bulletin.title}（第{bulletin.version}版）",
            format=fmt,
        )


def complete_check(
    actor: User,
    check_id: int,
    *,
    result: str,
    note: str = "",
    photo: bytes | None = None,
    now: datetime | None = None,
) -> SpotCheck:
    """Mark a check task done with its finding; a task is done once (`check_done`, 409)."""
    require_role(actor, CHECKER_ROLES, "完成重点监管核查")
    now = now or timezone.now()
    if result not in SpotCheck.Result.values:
        raise InvalidInput("bad_result", "请选择核查结果：无问题 或 发现问题。", "result")
    note = (note or "").strip()
    if len(note) > MAX_NOTE or text_problem(note, multiline=True) is not None:
        raise InvalidInput("bad_note", f"核查说明不超过 {MAX_NOTE} 字，且不能含控制字符。", "note")
    cleaned = None
    if photo:
        if len(photo) > MAX_PHOTO_BYTES:
            raise InvalidInput("file_too_large", "照片不能超过 10 MB。", "photo")
        try:
            cleaned = clean_image(photo)
        except ImageRefused as refused:
            raise InvalidInput(refused.code, refused.message, "photo") from None
    prefix = scope_path(actor)
    with transaction.atomic():
        check = (
            SpotCheck.objects.select_for_update(of=("self",))
            .select_related("spot")
            .filter(pk=check_id)
            .first()
        )
        if check is None or prefix is None or not check.spot.division_path.startswith(prefix):
            raise NotFound("check_not_found", "该核查任务不存在。", "check_id")
        if check.done_at is not None:
            raise Conflict("check_done", "该核查任务已完成，不能重复提交。", "check_id")
        if check.spot.status != SupervisedSpot.Status.ACTIVE:
            raise Conflict("spot_released", "该点位已解除重点监管，核查任务已取消。", "check_id")
        check.done_at, check.done_by, check.result, check.note = now, actor, result, note
        fields = ["done_at", "done_by", "result", "note"]
        if cleaned is not None:
            digest = hashlib.sha256(cleaned.content).hexdigest()
            check.photo.save(f"{digest}.{cleaned.extension}", ContentFile(cleaned.content), False)
            check.photo_type = cleaned.content_type
            fields += ["photo", "photo_type"]
        check.save(update_fields=fields)
        audit.record(
            actor,
            "reports.spot_check_done",
            check,
            f"完成重点监管核查 {check.spot.cell}：{check.get_result_display()}",
            result=result,
            photo=bool(cleaned),
        )
    return check
