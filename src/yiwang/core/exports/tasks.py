"""Export jobs in the worker (`yiwang worker`)."""

from __future__ import annotations

from django_tasks import task

from yiwang.core.exports import actions


@task()
def run_export(job_id: int) -> str:
    return actions.run_export(job_id)


@task()
def prune_expired_exports() -> int:
    """Periodic (see `PERIODIC_TASKS` in settings): expired files are deleted."""
    return actions.prune_expired_exports()
