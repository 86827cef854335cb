"""Background jobs of intake, run by `yiwang worker` (settings.PERIODIC_TASKS)."""

from __future__ import annotations

from django_tasks import task

from yiwang.intake.actions import hotline_jobs, opendata_jobs
from yiwang.intake.actions import hotline_outbound as hotline_outbound_actions


@task()
def hotline_outbound() -> dict[str, int]:
    """Queue what hotline cases' timelines say (立案 / 退单 / 办结), then send what is due."""
    queued = hotline_outbound_actions.collect_outcomes()
    attempted = hotline_outbound_actions.deliver_due()
    return {"queued": queued, "attempted": attempted}


@task()
def run_hotline_import(job_id: int) -> str:
    """Import a large batch uploaded on the operators' page (`hotline_jobs.run_import`)."""
    return hotline_jobs.run_import(job_id)


@task()
def fail_interrupted_imports() -> int:
    return hotline_jobs.fail_interrupted_imports() + opendata_jobs.fail_interrupted()


@task()
def run_opendata_import(job_id: int) -> str:
    """Import a 311 file uploaded on the web page (`opendata_jobs.run_import`)."""
    return opendata_jobs.run_import(job_id)
