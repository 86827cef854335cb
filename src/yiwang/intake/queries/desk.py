"""The read side of the 多渠道受理 desk (`/intake/`): which channel cards a user sees, and
the counts on them.

A card is shown to the roles that could open its channel's pages before the desk existed
(the menu entries it replaces): 公众上报 to the photo reviewers, 12345 热线 to the queue's
roles, 视频/无人机告警 to the camera registry's readers (its review count to reviewers),
Open311 to the roles that receive its requests, 城管通 to inspectors. Superusers see every
card. Every count is read through the channel's scoped query with the acting user, so a
street's operator counts their street; the whole desk costs a fixed number of queries
(one grouped count of recent submissions, then one or two per card), however much data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from yiwang.cases import queries as case_queries
from yiwang.intake.actions.hotline import QUEUE_ROLES
from yiwang.intake.actions.public_review import REVIEWER_ROLES
from yiwang.intake.models import (
    CameraStatus,
    Channel,
    HotlineOrder,
    Open311Client,
    PublicService,
    Submission,
)
from yiwang.intake.queries.hotline import hotline_orders
from yiwang.intake.queries.open311 import OPEN_SERVICE
from yiwang.intake.queries.public import photo_reviews
from yiwang.intake.queries.video import REGISTRY_READERS, REVIEWERS, cameras, review_queue
from yiwang.org.models import User
from yiwang.org.permissions import has_role
from yiwang.org.roles import Role

RECENT_DAYS = 7

PUBLIC_ROLES = tuple(REVIEWER_ROLES)
HOTLINE_ROLES = tuple(QUEUE_ROLES)
VIDEO_ROLES = tuple(REGISTRY_READERS)
# Open311 requests enter like public reports (受理员, 值班长); administrators keep its clients.
OPEN311_ROLES = (Role.OPERATOR, Role.SHIFT_LEAD, Role.ADMIN)
# Who places the requests sent with an address only (`actions.open311.place_request`).
OPEN311_PLACERS = (Role.OPERATOR, Role.SHIFT_LEAD)
PHONE_ROLES = (Role.INSPECTOR,)
# Every role with at least one card (the menu entry 多渠道受理 names the same; inspectors
# reach their one card, 城管通, by its own menu entry).
DESK_ROLES = frozenset({*PUBLIC_ROLES, *HOTLINE_ROLES, *VIDEO_ROLES, *OPEN311_ROLES})


@dataclass(frozen=True)
class PublicCard:
    recent: int  # reports of the last days whose case is in the user's scope
    pending_photos: int  # photos waiting for 公众照片审核


@dataclass(frozen=True)
class HotlineCard:
    awaiting_location: int  # 待定位
    recent: int  # orders received in the last days


@dataclass(frozen=True)
class VideoCard:
    cameras: int
    online: int
    recent: int  # alarms that filed or joined a case in the last days
    pending_review: int | None  # review groups waiting; None: not a reviewer


@dataclass(frozen=True)
class Open311Card:
    recent: int  # requests of the last days whose case is in the user's scope
    services: int  # types opened to Open311 clients
    clients: int | None  # active clients; None: not an administrator
    places: bool  # may place the requests sent with an address only (/intake/open311/)


@dataclass(frozen=True)
class PhoneCard:
    tasks: int  # the inspector's 核实 and 核查 tasks
    recent: int  # the inspector's own phone reports of the last days


@dataclass(frozen=True)
class Desk:
    since: datetime
    public: PublicCard | None = None
    hotline: HotlineCard | None = None
    video: VideoCard | None = None
    open311: Open311Card | None = None
    phone: PhoneCard | None = None

    @property
    def empty(self) -> bool:
        return not any((self.public, self.hotline, self.video, self.open311, self.phone))


def _recent_by_channel(user: User, channels: Sequence[str], since: datetime) -> dict[str, int]:
    """Submissions of the last days per channel whose case the user may see: one query."""
    if not channels:
        return {}
    rows = (
        Submission.objects.filter(
            channel__in=channels,
            received_at__gte=since,
            case_id__in=case_queries.cases(user).values("pk"),
        )
        .values("channel")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["channel"]: row["n"] for row in rows}


def desk(user: User, *, now: datetime | None = None) -> Desk:
    """The cards `user` may see on the desk, with their counts."""
    since = (now or timezone.now()) - timedelta(days=RECENT_DAYS)
    shows = {
        "public": has_role(user, PUBLIC_ROLES),
        "hotline": has_role(user, HOTLINE_ROLES),
        "video": has_role(user, VIDEO_ROLES),
        "open311": has_role(user, OPEN311_ROLES),
        "phone": has_role(user, PHONE_ROLES),
    }
    wanted = [
        *([Channel.PUBLIC] if shows["public"] else []),
        *([Channel.VIDEO, Channel.DRONE] if shows["video"] else []),
        *([Channel.OPEN311] if shows["open311"] else []),
    ]
    recent = _recent_by_channel(user, wanted, since)

    public = None
    if shows["public"]:
        pending = photo_reviews(user, "pending").select_related(None).order_by().count()
        public = PublicCard(recent=recent.get(Channel.PUBLIC, 0), pending_photos=pending)

    hotline = None
    if shows["hotline"]:
        counts = (
            hotline_orders(user)
            .select_related(None)
            .order_by()
            .aggregate(
                awaiting=Count("pk", filter=Q(status=HotlineOrder.Status.AWAITING_LOCATION)),
                recent=Count("pk", filter=Q(received_at__gte=since)),
            )
        )
        hotline = HotlineCard(awaiting_location=counts["awaiting"], recent=counts["recent"])

    video = None
    if shows["video"]:
        registry = (
            cameras(user)
            .select_related(None)
            .order_by()
            .aggregate(total=Count("pk"), online=Count("pk", filter=Q(status=CameraStatus.ONLINE)))
        )
        groups = review_queue(user).count() if has_role(user, REVIEWERS) else None
        video = VideoCard(
            cameras=registry["total"],
            online=registry["online"],
            recent=recent.get(Channel.VIDEO, 0) + recent.get(Channel.DRONE, 0),
            pending_review=groups,
        )

    open311 = None
    if shows["open311"]:
        services = PublicService.objects.filter(OPEN_SERVICE).count()
        clients = (
            Open311Client.objects.filter(is_active=True).count()
            if has_role(user, [Role.ADMIN])
            else None
        )
        open311 = Open311Card(
            recent=recent.get(Channel.OPEN311, 0),
            services=services,
            clients=clients,
            places=has_role(user, OPEN311_PLACERS),
        )

    phone = None
    if shows["phone"]:
        tasks = sum(
            case_queries.capped_count(case_queries.worklist(user, key))
            for key in ("verify_tasks", "check_tasks")
        )
        mine = Submission.objects.filter(
            channel=Channel.INSPECTOR, sender=str(user.pk), received_at__gte=since
        ).count()
        phone = PhoneCard(tasks=tasks, recent=mine)

    return Desk(
        since=since, public=public, hotline=hotline, video=video, open311=open311, phone=phone
    )
