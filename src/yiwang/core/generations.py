"""Change generations: a cheap cross-process signal that derived caches are stale."""

from __future__ import annotations

from django.db.models import F

from yiwang.core.models import Generation


def bump(name: str) -> None:
    updated = Generation.objects.filter(name=name).update(value=F("value") + 1)
    if not updated:
        Generation.objects.get_or_create(name=name, defaults={"value": 1})


def current(name: str) -> int:
    value = Generation.objects.filter(name=name).values_list("value", flat=True).first()
    return int(value or 0)
