from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from yiwang.org import actions
from yiwang.org.models import ApiToken
from yiwang.org.tasks import prune_expired_tokens


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_queued_jobs(make_user: Any, org_tree: Any) -> None:
    make_user("operator", "440304001")
    _key, old = actions.issue_token(
        RequestFactory().post("/api/auth/token"), username="operator1", password="test-pass-123"
    )
    _key, fresh = actions.issue_token(
        RequestFactory().post("/api/auth/token"), username="operator1", password="test-pass-123"
    )
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))

    result = prune_expired_tokens.enqueue()
    # Queued, not run: the database backend waits for a worker.
    assert ApiToken.objects.filter(pk=old.pk).exists()

    call_command("db_worker", "--batch", verbosity=0)

    assert list(ApiToken.objects.values_list("pk", flat=True)) == [fresh.pk]
    result.refresh()
    assert result.return_value == 1


@pytest.mark.django_db(transaction=True)
def test_sign_in_logs_are_kept_six_months_then_pruned_by_the_worker(root: Any) -> None:
    from axes.models import AccessFailureLog, AccessLog

    from yiwang.core.models import AuditEntry
    from yiwang.org.tasks import prune_sign_in_logs

    now = timezone.now()
    # The Cybersecurity Law asks for at least six months: 181 days go, 179 days stay.
    for days in (181, 179):
        at = now - timedelta(days=days)
        log = AccessLog.objects.create(username=f"u{days}", ip_address="10.0.0.1", user_agent="t")
        AccessLog.objects.filter(pk=log.pk).update(attempt_time=at)
        failure = AccessFailureLog.objects.create(
            username=f"u{days}", ip_address="10.0.0.1", user_agent="t", locked_out=False
        )
        AccessFailureLog.objects.filter(pk=failure.pk).update(attempt_time=at)

    result = prune_sign_in_logs.enqueue()
    call_command("db_worker", "--batch", verbosity=0)

    assert list(AccessLog.objects.values_list("username", flat=True)) == ["u179"]
    assert list(AccessFailureLog.objects.values_list("username", flat=True)) == ["u179"]
    result.refresh()
    assert result.return_value == 2
    assert AuditEntry.objects.filter(action="org.prune_sign_in_logs").count() == 1


@pytest.mark.django_db(transaction=True)
def test_finished_task_results_are_pruned_after_a_week(settings: Any) -> None:
    """The worker's own log of runs does not grow for ever: finished results older than
    TASK_RESULT_RETENTION_DAYS go, newer ones and queued ones stay."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from yiwang.core.periodic import prune_task_results

    assert settings.TASK_RESULT_RETENTION_DAYS == 7
    now = timezone.now()
    for days in (8, 6):
        result = prune_expired_tokens.enqueue()
        DBTaskResult.objects.filter(pk=result.id).update(
            status=TaskResultStatus.SUCCESSFUL, finished_at=now - timedelta(days=days)
        )
    waiting = prune_expired_tokens.enqueue()
    prune = prune_task_results.enqueue()
    call_command("db_worker", "--batch", verbosity=0)

    left = DBTaskResult.objects.exclude(pk__in=[waiting.id, prune.id])
    assert [r.finished_at.date() for r in left] == [(now - timedelta(days=6)).date()]
    prune.refresh()
    # The 6-day-old result and the queued job (run by the same batch) are left finished.
    assert prune.return_value >= 1
    assert DBTaskResult.objects.filter(pk=waiting.id).exists()
