"""Role checks shared by actions of every app."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from yiwang.core.errors import PermissionDenied
from yiwang.core.scope import path_in_scope
from yiwang.org.roles import Role


def has_role(user: Any, roles: Iterable[str]) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or user.role in set(roles))


def require_role(user: Any, roles: Iterable[str], what: str) -> None:
    roles = list(roles)
    if not has_role(user, roles):
        names = "、".join(str(Role(r).label) for r in roles)
        raise PermissionDenied("forbidden_role", f"只有{names}可以{what}。")


def require_admin(user: Any, what: str) -> None:
    require_role(user, [Role.ADMIN], what)


def require_in_scope(user: Any, path: str, what: str) -> None:
    if not path_in_scope(user, path):
        raise PermissionDenied("out_of_scope", f"{what}不在您的管辖范围内。")
