"""Change generations: a cheap cross-process signal that derived caches are stale.

A bump stores a fresh random value rather than value + 1: if the bumping
transaction rolls back, its value is never seen again, so a cache built from
rolled-back data can never match a later committed generation.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from yiwang.core.models import Generation

# Inside `pinned()`: the generations already read, so a batch reads each one only once.
_pinned: ContextVar[dict[str, int] | None] = ContextVar("generations_pinned", default=None)


def bump(name: str) -> None:
    value = secrets.randbits(62)
    if not Generation.objects.filter(name=name).update(value=value):
        Generation.objects.update_or_create(name=name, defaults={"value": value})
    memo = _pinned.get()
    if memo is not None:
        memo[name] = value


def current(name: str) -> int:
    memo = _pinned.get()
    if memo is not None and name in memo:
        return memo[name]
    value = Generation.objects.filter(name=name).values_list("value", flat=True).first()
    result = int(value or 0)
    if memo is not None:
        memo[name] = result
    return result


@contextmanager
def pinned() -> Iterator[None]:
    """Read each generation at most once inside the block.

    For batch work (bulk reporting, imports, the demo loader) that would otherwise ask
    for the same generations once per row; changes made by other processes during the
    block are seen by the next block.
    """
    if _pinned.get() is not None:
        yield
        return
    token = _pinned.set({})
    try:
        yield
    finally:
        _pinned.reset(token)
