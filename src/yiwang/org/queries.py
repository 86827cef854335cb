"""Scoped reads of divisions, departments and staff."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from yiwang.core.scope import scoped
from yiwang.org.models import ApiToken, Department, Division, User


def divisions(user: Any) -> QuerySet[Division]:
    return scoped(Division.objects.all(), user, "path")


def departments(user: Any) -> QuerySet[Department]:
    return scoped(Department.objects.select_related("division"), user, "division__path")


def staff(user: Any) -> QuerySet[User]:
    return scoped(User.objects.select_related("division", "department"), user, "division__path")


def division_by_code(user: Any, code: str) -> Division | None:
    return divisions(user).filter(code=code).first()


def own_tokens(user: User) -> QuerySet[ApiToken]:
    """The user's own API tokens, newest first (nobody lists another person's tokens here)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
