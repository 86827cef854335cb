"""Background jobs of the case loop, run by `yiwang worker`."""

from __future__ import annotations

from django_tasks import task

from yiwang.cases.actions import idempotency, photos


@task()
def prune_idempotency_keys() -> int:
    return idempotency.prune_idempotency_keys()


@task()
def sweep_photo_files() -> int:
    return photos.sweep_orphan_files()
