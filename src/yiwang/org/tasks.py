"""Background jobs of the org app, run by `yiwang worker`."""

from __future__ import annotations

from django_tasks import task

from yiwang.org import actions


@task()
def prune_expired_tokens() -> int:
    return actions.prune_expired_tokens()
