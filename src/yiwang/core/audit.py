"""Explicit audit rows, written by actions inside their own transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models

from yiwang.core.models import AuditEntry


def record(
    actor: AbstractBaseUser | None,  # None: the system (bootstrap, housekeeping)
    action: str,
    obj: models.Model | tuple[str, str],
    summary: str = "",
    **data: Any,
) -> AuditEntry:
    if isinstance(obj, tuple):
        object_type, object_id = obj
    else:
        object_type, object_id = obj._meta.label_lower, str(obj.pk)
    return AuditEntry.objects.create(
        actor_id=actor.pk if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary[:500],
        data=data,
    )
