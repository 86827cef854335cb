"""Video AI and drone alarms: the camera registry and the review queue (scoped to the user)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from yiwang.core.errors import NotFound
from yiwang.core.scope import scoped
from yiwang.intake.models import (
    Alarm,
    AlarmEventType,
    AlarmStatus,
    AlarmTrack,
    Camera,
)
from yiwang.org.models import User
from yiwang.org.permissions import has_role
from yiwang.org.roles import Role

# =============================================================================================
# Video AI and drone alarms: the camera registry and the review queue (scoped to the user).
# =============================================================================================

# Who reads the camera registry (the command centre and leaders) and who reviews alarms.
REGISTRY_READERS = (Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER, Role.LEADER, Role.ADMIN)
REVIEWERS = (Role.OPERATOR, Role.SHIFT_LEAD, Role.ADMIN)


@dataclass(frozen=True)
class CameraStats:
    alarms: int  # every alarm received (resends not counted)
    pending: int  # waiting for an operator
    rejected: int  # rejected as false alarms

    @property
    def decided(self) -> int:
        return self.alarms - self.pending

    @property
    def false_alarm_rate(self) -> float | None:
        """Rejected ÷ alarms whose fate is known (received − still pending); None if none."""
        return self.rejected / self.decided if self.decided else None


def cameras(
    user: User, *, q: str = "", status: str = "", street_code: str = ""
) -> QuerySet[Camera]:
    if not has_role(user, REGISTRY_READERS):
        return Camera.objects.none()
    qs = scoped(Camera.objects.select_related("grid"), user, "division_path")
    if q:
        qs = qs.filter(Q(device_id__startswith=q) | Q(name__icontains=q) | Q(address__icontains=q))
    if status:
        qs = qs.filter(status=status)
    if street_code:
        qs = qs.filter(division_path__contains=f"/{street_code}/")
    return qs.order_by("device_id")


def camera_stats(camera_ids: list[int]) -> dict[int, CameraStats]:
    """The alarm counts of these cameras, summed over their (camera, type) tracks."""
    rows = (
        AlarmTrack.objects.filter(camera_id__in=camera_ids)
        .values("camera_id")
        .annotate(a=Sum("alarm_count"), p=Sum("pending_count"), r=Sum("rejected_count"))
        .order_by()
    )
    stats = {r["camera_id"]: CameraStats(r["a"] or 0, r["p"] or 0, r["r"] or 0) for r in rows}
    return {pk: stats.get(pk, CameraStats(0, 0, 0)) for pk in camera_ids}


def camera_detail(user: User, device_id: str) -> Camera:
    camera = cameras(user).filter(device_id=device_id).first()
    if camera is None:
        raise NotFound("camera_not_found", f"摄像机 {device_id} 不存在或不在您的管辖范围内。")
    return camera


def review_queue(user: User, *, channel: str = "") -> QuerySet[Alarm]:
    """Pending review groups of the user's area, oldest first, with the group's size."""
    if not has_role(user, REVIEWERS):
        return Alarm.objects.none()
    qs = scoped(Alarm.objects.filter(status=AlarmStatus.PENDING, lead=None), user, "division_path")
    if channel:
        qs = qs.filter(channel=channel)
    return (
        qs.select_related("camera", "event_type__matter_type", "grid")
        .annotate(repeats=Count("group", filter=Q(group__status=AlarmStatus.PENDING)))
        .order_by("received_at", "pk")
    )


def alarm_in_scope(user: User, alarm_id: int) -> Alarm:
    """An alarm the user may look at (its snapshot): reviewers of its area."""
    alarm = None
    if has_role(user, REVIEWERS):
        alarm = scoped(Alarm.objects.filter(pk=alarm_id), user, "division_path").first()
    if alarm is None:
        raise NotFound("alarm_not_found", "告警不存在或不在您的管辖范围内。", "alarm_id")
    return alarm


def recent_decisions(user: User, limit: int = 20) -> list[Alarm]:
    """The latest reviewed groups of the user's area (the queue page's history)."""
    if not has_role(user, REVIEWERS):
        return []
    qs = scoped(
        Alarm.objects.filter(
            status__in=(AlarmStatus.ACCEPTED, AlarmStatus.REJECTED), lead=None
        ).exclude(decided_at=None),
        user,
        "division_path",
    )
    return list(
        qs.select_related("camera", "event_type", "case", "decided_by").order_by("-decided_at")[
            :limit
        ]
    )


def alarm_event_types() -> QuerySet[AlarmEventType]:
    return AlarmEventType.objects.select_related("matter_type").order_by("code")
