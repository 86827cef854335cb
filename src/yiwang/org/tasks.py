"""Background jobs of the org app, run by `yiwang worker`."""

from __future__ import annotations

from django_tasks import task

from yiwang.org import actions


@task()
def prune_expired_tokens() -> int:
    return actions.prune_expired_tokens()


@task()
def prune_sign_in_logs() -> int:
    return actions.prune_sign_in_logs()
