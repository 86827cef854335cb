"""Background jobs of the reports app, run by `yiwang worker`."""

from __future__ import annotations

from django_tasks import task

from yiwang.reports import actions


@task()
def generate_spot_checks() -> int:
    return actions.generate_checks()


@task()
def issue_due_bulletins() -> int:
    """日盘点、周分析、月通报: issue the scheduled bulletins that are due and missing."""
    # Imported here: the bulletin builders pull in the evaluation and hotspot code, which the
    # other jobs of this module do not need.
    from yiwang.reports.bulletins import actions as bulletin_actions

    return len(bulletin_actions.issue_due())


@task()
def refresh_dashboard_counts() -> int:
    """指挥大屏: take the open-case counts of every scope a screen watches, ahead of its polls."""
    from yiwang.reports import dashboard

    return dashboard.refresh_watched()
