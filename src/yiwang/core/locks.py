"""Named locks held to the end of the current transaction.

For a resource that has no row to lock (yet): a stored file that several rows may share.
On PostgreSQL an advisory transaction lock on the name's 64-bit hash; on SQLite nothing
is needed, as every transaction is IMMEDIATE (see settings): a writer holds the database's
write lock from its first statement, so writers already run one at a time.
"""

from __future__ import annotations

from django.db import connection


def hold(name: str) -> None:
    """Wait for and take the lock `name` until the current transaction ends."""
    if not connection.in_atomic_block:
        raise RuntimeError("locks.hold needs a transaction (transaction.atomic)")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
