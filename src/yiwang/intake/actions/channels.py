"""The system account each channel acts as when it files a case.

The case actions always name an acting user: a machine channel (the public form, an
Open311 client, the hotline, a camera) acts as its own account, a 受理员 of the node's
division that cannot sign in. Its reports are audited under that name on the timeline.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from yiwang.core.errors import InvalidInput
from yiwang.intake.models import Channel
from yiwang.org.models import Division, User
from yiwang.org.roles import Role

USERNAME_PREFIX = "channel."


def node_division() -> Division:
    """The division this node serves: settings.NODE_DIVISION_CODE, else the root division."""
    code = settings.NODE_DIVISION_CODE
    if code:
        division = Division.objects.filter(code=code).first()
        if division is None:
            raise InvalidInput("node_not_configured", f"本节点的区划代码 {code} 不存在。", None)
        return division
    roots = list(Division.objects.filter(parent=None).order_by("code")[:2])
    if len(roots) != 1:
        raise InvalidInput(
            "node_not_configured",
            "尚未配置本节点的区划（YIWANG_NODE_DIVISION），且顶级区划不唯一。",
            None,
        )
    return roots[0]


def channel_actor(channel: str) -> User:
    """The account `channel` files its cases as; created on first use."""
    label = Channel(channel).label
    username = f"{USERNAME_PREFIX}{channel}"
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "display_name": f"{label}（系统）",
                "role": Role.OPERATOR,
                "division": node_division(),
            },
        )
        if created:
            # A channel files cases; nobody signs in as it.
            user.set_unusable_password()
            user.save(update_fields=["password"])
    return user
