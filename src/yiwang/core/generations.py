"""Change generations: a cheap cross-process signal that derived caches are stale.

A bump stores a fresh random value rather than value + 1: if the bumping
transaction rolls back, its value is never seen again, so a cache built from
rolled-back data can never match a later committed generation.
"""

from __future__ import annotations

import secrets

from yiwang.core.models import Generation


def bump(name: str) -> None:
    value = secrets.randbits(62)
    if not Generation.objects.filter(name=name).update(value=value):
        Generation.objects.update_or_create(name=name, defaults={"value": value})


def current(name: str) -> int:
    value = Generation.objects.filter(name=name).values_list("value", flat=True).first()
    return int(value or 0)
