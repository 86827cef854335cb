"""Reviewing the public's photos before a public page shows them, and the tiles of the
report page (the types under them are `PublicService` rows: `open311.save_public_service`).

A photo the public sent may show faces or number plates: it stays private (staff who may
see its case see it on the case page) until a 受理员 or 值班长 whose scope holds the case
approves it. Every decision is audited; a decision may be changed later (an approval
withdrawn), audited again.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from yiwang.cases import scope
from yiwang.core import audit
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.textinput import text_problem
from yiwang.intake.models import PublicCategory, PublicPhotoReview, PublicService
from yiwang.org.models import User
from yiwang.org.permissions import require_admin, require_role
from yiwang.org.roles import Role

REVIEWER_ROLES = (Role.OPERATOR, Role.SHIFT_LEAD)
REASON_MAX_LENGTH = 200


def review_photo(
    actor: User,
    review_id: int,
    *,
    approve: bool,
    reason: str = "",
    now: datetime | None = None,
) -> PublicPhotoReview:
    """Approve a public photo for public pages, or keep it private with a reason."""
    require_role(actor, REVIEWER_ROLES, "审核公众上报的照片")
    reason = reason.strip()
    if not approve:
        problem = text_problem(reason)
        if problem is not None:
            raise InvalidInput(problem[0], f"理由{problem[1]}", "reason")
        if not reason:
            raise InvalidInput("required", "不公开时请填写理由（如：含人脸、含车牌）。", "reason")
        if len(reason) > REASON_MAX_LENGTH:
            raise InvalidInput("too_long", f"理由不能超过 {REASON_MAX_LENGTH} 字。", "reason")
    with transaction.atomic():
        review = (
            PublicPhotoReview.objects.select_for_update(of=("self",))
            .select_related("photo__case")
            .filter(pk=review_id)
            .first()
        )
        # Out of scope looks exactly like absent (as every case read does).
        if review is None or not scope.can_see(actor, review.photo.case):
            raise NotFound("photo_not_found", "照片不存在或不在您的管辖范围内。", "review")
        before = review.status
        review.status = (
            PublicPhotoReview.Status.APPROVED if approve else PublicPhotoReview.Status.REJECTED
        )
        review.reason = "" if approve else reason
        review.reviewed_by = actor
        review.reviewed_at = now or timezone.now()
        review.save(update_fields=["status", "reason", "reviewed_by", "reviewed_at"])
        verb = "公开" if approve else "不公开"
        audit.record(
            actor,
            f"intake.public_photo.{'approve' if approve else 'reject'}",
            review,
            f"公众照片 {review.photo_id}（案卷 {review.photo.case.number}）：{verb}",
            case=review.photo.case.number,
            photo=review.photo_id,
            before=before,
            reason=review.reason,
        )
    return review


# ---- the tiles of the report page (admin) ----------------------------------------------------


def save_category(actor: User, category: PublicCategory) -> PublicCategory:
    require_admin(actor, "修改公众上报大类")
    name = category.name.strip()
    if not name:
        raise InvalidInput("required", "请填写大类名称。", "name")
    problem = text_problem(name)
    if problem is not None:
        raise InvalidInput(problem[0], f"名称{problem[1]}", "name")
    if category.icon not in PublicCategory.Icon.values:
        raise InvalidInput("bad_icon", "请从列表中选择图标。", "icon")
    category.name = name
    created = category.pk is None
    with transaction.atomic():
        category.save()
        if not created:
            # The tile's name and switch are part of what the public service list shows
            # (Open311 discovery's `changeset` follows the services' last change).
            PublicService.objects.filter(category=category).update(updated_at=timezone.now())
        audit.record(
            actor,
            "intake.public_category.create" if created else "intake.public_category.update",
            category,
            f"公众上报大类：{category.name}",
            name=category.name,
            icon=category.icon,
            position=category.position,
            is_active=category.is_active,
        )
    return category
