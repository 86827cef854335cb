"""The scope rule: every read is limited to the acting user's division subtree.

A staff user is bound to one division; they see rows whose division path starts
with theirs. A superuser without a division sees the whole installation. Anyone
else (anonymous, inactive, unbound) sees nothing.
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)

WHOLE_NODE = ""
# Core knows no domain app: the user is Django's (the installation's model is org.User), and
# its division binding is read by name.
RequestUser = AbstractBaseUser | AnonymousUser | None


def scope_path(user: RequestUser) -> str | None:
    """The division path prefix this user may read, ``""`` for everything, None for nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    division = getattr(user, "division", None)
    if division is not None:
        return str(division.path)
    if getattr(user, "is_superuser", False):
        return WHOLE_NODE
    return None


def scoped(qs: QuerySet[M], user: RequestUser, path_field: str) -> QuerySet[M]:
    """Limit ``qs`` to rows whose ``path_field`` (a division path) lies in the user's scope."""
    prefix = scope_path(user)
    if prefix is None:
        return qs.none()
    if prefix == WHOLE_NODE:
        return qs
    return qs.filter(**{f"{path_field}__startswith": prefix})


def path_in_scope(user: RequestUser, path: str) -> bool:
    prefix = scope_path(user)
    return prefix is not None and path.startswith(prefix)
