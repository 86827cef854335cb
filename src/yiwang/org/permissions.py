"""Role checks shared by actions of every app."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from yiwang.core.errors import PermissionDenied
from yiwang.core.scope import path_in_scope
from yiwang.org.models import User
from yiwang.org.roles import Role


def acting_user(request: HttpRequest) -> User:
    """The signed-in staff member behind a request: a page behind ``login_required``, an
    API route behind authentication, an admin page. Anyone else is refused."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied("unauthenticated", "请先登录。")
    return user


def has_role(user: User | AnonymousUser | None, roles: Iterable[str]) -> bool:
    # Also asked about visitors (menus, the admin's permission checks): they have no role.
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or user.role in set(roles))


def require_role(user: User, roles: Iterable[str], what: str) -> None:
    roles = list(roles)
    if not has_role(user, roles):
        names = "、".join(str(Role(r).label) for r in roles)
        raise PermissionDenied("forbidden_role", f"只有{names}可以{what}。")


def require_admin(user: User, what: str) -> None:
    require_role(user, [Role.ADMIN], what)


def require_in_scope(user: User, path: str, what: str) -> None:
    if not path_in_scope(user, path):
        raise PermissionDenied("out_of_scope", f"{what}不在您的管辖范围内。")
