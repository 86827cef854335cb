"""Independent read-only builds of a bulletin, run side by side on PostgreSQL.

The monthly bulletin evaluates every subject kind for three months (this one, the one before
and the same month a year earlier): 21 aggregates that do not depend on each other. On
PostgreSQL each runs in its own server process, so a few threads (each with its own
connection, closed when it is done) finish them in a fraction of the time; measured by
`bench/bench_bulletins.py --people`. Elsewhere — SQLite, or inside a transaction, whose
uncommitted rows another connection could not see — they run one after the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.conf import settings
from django.db import connection, connections

T = TypeVar("T")
R = TypeVar("R")


def side_by_side(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[fn(item) for item in items]``, in up to `settings.BULLETIN_BUILD_THREADS` threads
    when the database allows it; results in the items' order."""
    work = list(items)
    threads = min(settings.BULLETIN_BUILD_THREADS, len(work))
    if threads <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return [fn(item) for item in work]

    def run(item: T) -> R:
        try:
            return fn(item)
        finally:
            connections.close_all()  # this thread's own connections

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bulletin") as pool:
        return list(pool.map(run, work))
