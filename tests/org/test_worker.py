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
