"""Background jobs of the reports app, run by `yiwang worker`."""

from __future__ import annotations

from django_tasks import task

from yiwang.reports import actions


@task()
def generate_spot_checks() -> int:
    return actions.generate_checks()
