"""Scoped reads of divisions, departments and staff."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from yiwang.core.scope import scoped
from yiwang.org.models import Department, Division, User


def divisions(user: Any) -> QuerySet[Division]:
    return scoped(Division.objects.all(), user, "path")


def departments(user: Any) -> QuerySet[Department]:
    return scoped(Department.objects.select_related("division"), user, "division__path")


def staff(user: Any) -> QuerySet[User]:
    return scoped(User.objects.select_related("division", "department"), user, "division__path")


def division_by_code(user: Any, code: str) -> Division | None:
    return divisions(user).filter(code=code).first()
