"""The generic export job: queued by a user, built by `yiwang worker`, downloaded by that
user alone, pruned when it expires. A probe exporter stands in for a domain app's."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from yiwang.cli import main as yiwang
from yiwang.core import periodic
from yiwang.core.errors import InvalidInput
from yiwang.core.exports import actions, registry
from yiwang.core.exports.registry import Prepared
from yiwang.core.models import AuditEntry, ExportJob
from yiwang.org.models import User

PROBE = "test.probe"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


class Probe:
    """An exporter of ``rows`` numbered rows that, before yielding each row, looks at its
    job as another process would (the row count the page can show)."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int | None]] = []
        self.pages: dict[int, str] = {}
        self.client: Client | None = None

    def __call__(self, user: User, filters: Any) -> Prepared:
        if filters.get("fail") == "refused":
            raise InvalidInput("probe_refused", "探针拒绝导出。", "fail")
        count = int(filters["rows"])

        def rows() -> Iterator[list[Any]]:
            for i in range(count):
                job = ExportJob.objects.get(user=user, state=ExportJob.State.RUNNING)
                self.seen.append((job.rows_done, job.rows_total))
                if self.client is not None:
                    page = self.client.get(f"/exports/{job.pk}/", HTTP_HX_REQUEST="true")
                    self.pages[i] = page.content.decode()
                if filters.get("fail") == "midway" and i == 2:
                    raise RuntimeError("disk full")
                yield [i, f"第{i}行\x1b"]

        return Prepared(
            basename="probe",
            label="探针导出",
            headers=["序号", "内容"],
            total=count,
            truncated=False,
            rows=rows(),
        )


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> Probe:
    found = Probe()
    monkeypatch.setitem(registry._EXPORTERS, PROBE, found)
    return found


@pytest.fixture
def people(make_user: Callable[..., User], org_tree: Any) -> tuple[User, User]:
    return make_user("operator", "440304"), make_user("admin", "440304")


def sheet(content: bytes) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def audited(job: ExportJob) -> list[tuple[str, int | None]]:
    entries = AuditEntry.objects.filter(object_type="core.exportjob", object_id=str(job.pk))
    return list(entries.order_by("id").values_list("action", "actor_id"))


@pytest.mark.django_db(transaction=True)
def test_the_worker_builds_the_file_with_progress_for_its_owner_only(
    client: Client,
    media: Path,
    probe: Probe,
    people: tuple[User, User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner, other = people
    monkeypatch.setattr(actions, "PROGRESS_EVERY", 2)
    job = actions.request_export(owner, kind=PROBE, filters={"rows": "5"}, label="探针导出")
    client.force_login(owner)
    probe.client = client
    url = f"/exports/{job.pk}/"

    queued = client.get(url).content.decode()
    assert "排队中" in queued and 'hx-trigger="every 1s"' in queued
    assert client.get(f"{url}download/").status_code == 404  # not built yet

    yiwang(["worker", "--batch"])

    # Before row i the page could read the rows written so far, in steps of two.
    assert probe.seen == [((i // 2) * 2, 5) for i in range(5)]
    assert "已完成 2 / 5 行（40%）" in probe.pages[3]
    assert 'value="40"' in probe.pages[3] and "hx-trigger" in probe.pages[3]
    job.refresh_from_db()
    assert (job.state, job.rows_done, job.rows_total) == ("done", 5, 5)
    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done  # the page stops asking
    assert f"/exports/{job.pk}/download/" in done

    response = client.get(f"{url}download/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "probe-" in response["Content-Disposition"]
    body = response.getvalue()
    assert sheet(body) == [["序号", "内容"]] + [[i, f"第{i}行\ufffd"] for i in range(5)]

    # Anybody else, an administrator included, is told there is no such export.
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.get(f"{url}download/").status_code == 404
    assert f"/exports/{job.pk}/" not in client.get("/exports/").content.decode()
    client.logout()
    assert client.get(f"{url}download/").status_code == 302  # to the login page

    assert audited(job) == [
        ("core.export_requested", owner.pk),
        ("core.export_finished", owner.pk),
        ("core.export_downloaded", owner.pk),
    ]


@pytest.mark.django_db
def test_failures_are_shown_and_audited(
    client: Client, media: Path, probe: Probe, people: tuple[User, User]
) -> None:
    owner, _other = people
    refused = actions.request_export(owner, kind=PROBE, filters={"fail": "refused"}, label="a")
    midway = actions.request_export(
        owner, kind=PROBE, filters={"rows": "5", "fail": "midway"}, label="b"
    )
    assert actions.run_export(refused.pk) == "failed"
    assert actions.run_export(midway.pk) == "failed"
    assert actions.run_export(midway.pk) == "skipped"  # a job runs once

    client.force_login(owner)
    assert "探针拒绝导出。" in client.get(f"/exports/{refused.pk}/").content.decode()
    page = client.get(f"/exports/{midway.pk}/").content.decode()
    assert "生成文件时出错" in page and "disk full" not in page
    assert not (media / "exports").exists() or not any((media / "exports").iterdir())
    assert audited(midway)[-1] == ("core.export_failed", owner.pk)
    # An id past any integer column is simply not found (no overflow error).
    assert client.get("/exports/99999999999999999999999/").status_code == 404


@pytest.mark.django_db
def test_unknown_kinds_and_inactive_requesters_are_refused(
    media: Path, probe: Probe, people: tuple[User, User]
) -> None:
    owner, _other = people
    with pytest.raises(InvalidInput):
        actions.request_export(owner, kind="no.such.export", filters={}, label="x")
    job = actions.request_export(owner, kind=PROBE, filters={"rows": "1"}, label="x")
    User.objects.filter(pk=owner.pk).update(is_active=False)  # left before the job ran
    assert actions.run_export(job.pk) == "failed"
    job.refresh_from_db()
    assert job.error == "申请人已停用，导出取消。"


@pytest.mark.django_db
def test_expired_files_are_deleted_and_no_longer_downloadable(
    client: Client, settings: Any, media: Path, probe: Probe, people: tuple[User, User]
) -> None:
    owner, _other = people
    settings.EXPORT_RETENTION_HOURS = 2
    old = actions.request_export(owner, kind=PROBE, filters={"rows": "1"}, label="旧")
    actions.run_export(old.pk)
    old.refresh_from_db()
    assert old.finished_at is not None and old.expires_at is not None
    assert old.expires_at - old.finished_at == timedelta(hours=2)
    stored = old.file.name
    assert default_storage.exists(stored)

    assert actions.prune_expired_exports(now=old.expires_at - timedelta(seconds=1)) == 0
    assert default_storage.exists(stored)
    later = old.expires_at + timedelta(seconds=1)
    fresh = actions.request_export(owner, kind=PROBE, filters={"rows": "1"}, label="新")
    actions.run_export(fresh.pk)
    fresh.refresh_from_db()
    fresh_file = fresh.file.name
    ExportJob.objects.filter(pk=fresh.pk).update(expires_at=later + timedelta(hours=1))

    assert actions.prune_expired_exports(now=later) == 1

    assert not default_storage.exists(stored)
    assert default_storage.exists(fresh_file)
    old.refresh_from_db()
    assert (old.state, old.file.name) == ("expired", "")
    client.force_login(owner)
    assert client.get(f"/exports/{old.pk}/download/").status_code == 404
    assert "文件已过期删除" in client.get(f"/exports/{old.pk}/").content.decode()
    assert client.get(f"/exports/{fresh.pk}/download/").status_code == 200
    assert AuditEntry.objects.filter(action="core.exports_pruned").count() == 1


@pytest.mark.django_db
def test_a_job_whose_worker_died_is_failed_by_the_pruner(
    media: Path, probe: Probe, people: tuple[User, User]
) -> None:
    owner, _other = people
    job = actions.request_export(owner, kind=PROBE, filters={"rows": "1"}, label="x")
    started = timezone.now() - timedelta(hours=7)
    # As a worker killed mid-job leaves it.
    ExportJob.objects.filter(pk=job.pk).update(state="running", started_at=started)
    actions.prune_expired_exports()
    job.refresh_from_db()
    assert job.state == "failed" and "中断" in job.error


@pytest.mark.django_db(transaction=True)
def test_the_worker_prunes_on_its_own_and_plans_the_next_run(
    settings: Any, media: Path, probe: Probe, people: tuple[User, User]
) -> None:
    owner, _other = people
    settings.EXPORT_RETENTION_HOURS = 0  # expired as soon as built
    job = actions.request_export(owner, kind=PROBE, filters={"rows": "1"}, label="x")
    actions.run_export(job.pk)
    job.refresh_from_db()
    stored = job.file.name
    periodic.schedule()
    periodic.schedule()  # a second worker start does not double the chain
    waiting = DBTaskResult.objects.filter(
        task_path=periodic.run_periodic.module_path, status=TaskResultStatus.READY
    )
    assert sorted(r.args_kwargs["args"][0] for r in waiting) == sorted(settings.PERIODIC_TASKS)

    before = timezone.now()
    yiwang(["worker", "--batch"])

    assert not default_storage.exists(stored)
    job.refresh_from_db()
    assert job.state == "expired"
    # Each periodic job ran once and queued its next run an interval later.
    next_runs = {r.args_kwargs["args"][0]: r.run_after for r in waiting.all()}
    assert set(next_runs) == set(settings.PERIODIC_TASKS)
    for path, seconds in settings.PERIODIC_TASKS.items():
        assert next_runs[path] >= before + timedelta(seconds=seconds)
        assert next_runs[path] <= timezone.now() + timedelta(seconds=seconds)
