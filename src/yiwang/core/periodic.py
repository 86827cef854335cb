"""Periodic jobs run by the one `yiwang worker` process.

django-tasks has no scheduler, so each periodic job is wrapped in `run_periodic`, which
runs it and then queues its own next run ``interval`` seconds later (``run_after``). The
worker queues a first, immediate run of each job at start-up (`schedule`), unless a run
is already waiting, so a restarted worker catches up once and never doubles the chain.
The jobs and their intervals are `settings.PERIODIC_TASKS` (dotted task path → seconds):
`core` names no domain app's task in code.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult


def _waiting(path: str) -> bool:
    """A run of ``path`` is already queued (due now or later)."""
    queued = DBTaskResult.objects.filter(
        task_path=run_periodic.module_path, status=TaskResultStatus.READY
    ).values_list("args_kwargs", flat=True)
    return any(args.get("args") == [path] for args in queued)


def _queue(path: str, at: datetime) -> None:
    if path not in settings.PERIODIC_TASKS:
        raise ValueError(f"{path} is not in settings.PERIODIC_TASKS")
    if not _waiting(path):
        run_periodic.using(run_after=at).enqueue(path)


def schedule(now: datetime | None = None) -> None:
    """Queue an immediate run of every periodic job that has none waiting."""
    now = now or timezone.now()
    for path in settings.PERIODIC_TASKS:
        _queue(path, now)


@task()
def run_periodic(path: str) -> Any:
    """Run the periodic job ``path``, then queue its next run."""
    try:
        return import_string(path).call()
    finally:
        _queue(path, timezone.now() + timedelta(seconds=settings.PERIODIC_TASKS[path]))


@task()
def prune_task_results() -> int:
    """Finished task results older than `settings.TASK_RESULT_RETENTION_DAYS` are deleted
    with django-tasks-db's own `prune_db_task_results` (the periodic jobs alone finish
    about 12,000 runs a day). Returns how many finished results are left."""
    call_command(
        "prune_db_task_results",
        "--queue-name=*",
        f"--min-age-days={settings.TASK_RESULT_RETENTION_DAYS}",
        verbosity=0,
    )
    return DBTaskResult.objects.finished().count()
