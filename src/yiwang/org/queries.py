"""Scoped reads of divisions, departments and staff."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.core.scope import scoped
from yiwang.org.models import ApiToken, Department, Division, User


def divisions(user: User) -> QuerySet[Division]:
    return scoped(Division.objects.all(), user, "path")


def departments(user: User) -> QuerySet[Department]:
    return scoped(Department.objects.select_related("division"), user, "division__path")


def staff(user: User) -> QuerySet[User]:
    return scoped(User.objects.select_related("division", "department"), user, "division__path")


def division_by_code(user: User, code: str) -> Division | None:
    return divisions(user).filter(code=code).first()


def own_tokens(user: User) -> QuerySet[ApiToken]:
    """The user's own API tokens, newest first (nobody lists another person's tokens here)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
