"""Scoped reads of issued bulletins: a user reads the bulletins of their division subtree."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.core.errors import NotFound
from yiwang.core.scope import scoped
from yiwang.org.models import User
from yiwang.org.permissions import require_role
from yiwang.org.roles import Role
from yiwang.reports.bulletins.content import BulletinContent
from yiwang.reports.models import Bulletin

# Bulletins rank named departments, streets and staff: leaders and the command centre read
# them; inspectors and handlers do not (the pages, the downloads and the API alike).
READER_ROLES = (Role.LEADER, Role.SHIFT_LEAD, Role.DISPATCHER, Role.OPERATOR, Role.ADMIN)


def require_reader(user: User) -> None:
    """403 `forbidden_role` for anyone who may not read bulletins."""
    require_role(user, READER_ROLES, "查看通报")


def visible_bulletins(user: User) -> QuerySet[Bulletin]:
    return scoped(Bulletin.objects.all(), user, "division_path")


def bulletin_for(user: User, pk: int) -> Bulletin:
    bulletin = visible_bulletins(user).filter(pk=pk).first()
    if bulletin is None:
        raise NotFound("not_found", "通报不存在或不在您的管辖范围内")
    return bulletin


def content_of(bulletin: Bulletin) -> BulletinContent:
    return BulletinContent.model_validate(bulletin.content)
