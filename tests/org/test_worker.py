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
