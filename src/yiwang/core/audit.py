"""Explicit audit rows, written by actions inside their own transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from yiwang.core.models import AuditEntry


def record(
    actor: Any,
    action: str,
    obj: models.Model | tuple[str, str],
    summary: str = "",
    **data: Any,
) -> AuditEntry:
    if isinstance(obj, tuple):
        object_type, object_id = obj
    else:
        object_type, object_id = obj._meta.label_lower, str(obj.pk)
    user = actor if actor is not None and getattr(actor, "pk", None) else None
    return AuditEntry.objects.create(
        actor=user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary[:500],
        data=data,
    )
