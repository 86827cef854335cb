"""The scope rule: every read is limited to the acting user's division subtree.

A staff user is bound to one division; they see rows whose division path starts
with theirs. A superuser without a division sees the whole installation. Anyone
else (anonymous, inactive, unbound) sees nothing.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)

WHOLE_NODE = ""


def scope_path(user: Any) -> str | None:
    """The division path prefix this user may read, ``""`` for everything, None for nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.division_id:
        return str(user.division.path)
    if user.is_superuser:
        return WHOLE_NODE
    return None


def scoped(qs: QuerySet[M], user: Any, path_field: str) -> QuerySet[M]:
    """Limit ``qs`` to rows whose ``path_field`` (a division path) lies in the user's scope."""
    prefix = scope_path(user)
    if prefix is None:
        return qs.none()
    if prefix == WHOLE_NODE:
        return qs
    return qs.filter(**{f"{path_field}__startswith": prefix})


def path_in_scope(user: Any, path: str) -> bool:
    prefix = scope_path(user)
    return prefix is not None and path.startswith(prefix)
