"""Large 12345 uploads on the operators' page: imported by the worker (`yiwang worker`), with
a progress page that turns into the result or the row-by-row report."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from hotline_support import (  # noqa: F401  (fixtures)
    OUTSIDE_EVERY_GRID,
    hotline_fixture,
    jsonl,
    many_orders,
    order,
)
from openpyxl import Workbook

from case_support import City
from yiwang.cases.models import Case
from yiwang.cli import main as yiwang
from yiwang.core.models import AuditEntry
from yiwang.intake.models import HotlineImportJob, HotlineOrder, HotlineSystem, Submission

PAGE = "/intake/hotline/import/"


def upload(client: Client, system: HotlineSystem, content: bytes, name: str) -> Any:
    return client.post(PAGE, {"system": system.pk, "file": _file(content, name)})


def _file(content: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def job_page(client: Client, job: HotlineImportJob, *, fragment: bool = False) -> str:
    headers = {"HX-Request": "true"} if fragment else {}
    response = client.get(f"{PAGE}{job.pk}/", headers=headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_600_order_upload_is_imported_by_the_worker_and_its_page_shows_the_result(
    city: City, hotline: HotlineSystem
) -> None:
    operator = city.users["operator"]
    client = Client()
    client.force_login(operator)

    started = upload(client, hotline, jsonl(*many_orders(600)), "today.jsonl")

    job = HotlineImportJob.objects.get()
    assert started.status_code == 302 and started["Location"] == f"{PAGE}{job.pk}/"
    assert (job.user, job.state, job.rows_total, job.filename) == (
        operator,
        "queued",
        600,
        "today.jsonl",
    )
    waiting = job_page(client, job)
    assert "排队中" in waiting and "<progress" in waiting and 'hx-trigger="every' in waiting
    assert not HotlineOrder.objects.exists()  # nothing is imported by the request itself
    assert "today.jsonl" in client.get(PAGE).content.decode()  # listed under 后台导入

    yiwang(["worker", "--batch"])

    job.refresh_from_db()
    assert job.state == "done" and job.finished_at is not None
    assert bytes(job.data) == b""  # the uploaded file (callers' numbers) is not kept
    # The import reported its phases as it went: the last was the writing of all 600.
    assert (job.phase, job.phase_total) == ("write", 600)
    assert HotlineOrder.objects.count() == 600 and Case.objects.count() == 600
    assert Submission.objects.filter(channel="hotline").count() == 600
    fragment = job_page(client, job, fragment=True)
    assert "hx-trigger" not in fragment  # done: the page stops asking
    assert "共 600 张工单，新建 600、更新 0、未变 0；其中 0 张待定位。" in fragment
    assert "下表列出前 500 张工单" in fragment
    assert fragment.count("/cases/") == 500  # one case link per listed order
    actions = set(AuditEntry.objects.filter(actor=operator).values_list("action", flat=True))
    assert {"intake.hotline_batch.queued", "intake.hotline_batch.import"} <= actions


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_large_upload_with_a_bad_row_is_refused_whole_and_its_page_names_the_row(
    city: City, hotline: HotlineSystem
) -> None:
    orders = many_orders(600)
    orders[299] = {**orders[299], **OUTSIDE_EVERY_GRID}  # line 300
    orders[450] = {**orders[450], "category": "没有这个分类"}  # line 451
    client = Client()
    client.force_login(city.users["operator"])
    upload(client, hotline, jsonl(*orders), "bad.jsonl")

    yiwang(["worker", "--batch"])

    job = HotlineImportJob.objects.get()
    assert job.state == "rejected"
    assert [(e["index"], e["code"]) for e in job.errors] == [
        (300, "not_in_grid"),
        (451, "unknown_category"),
    ]
    page = job_page(client, job)
    assert "导入未执行：2 条工单有错误" in page
    assert 'data-row="300"' in page and 'data-row="451"' in page
    assert not HotlineOrder.objects.exists() and not Case.objects.exists()
    assert not Submission.objects.exists()


def _workbook(rows: int) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["工单编号 order_id", "受理时间", "诉求分类编码", "标题", "诉求地址"])
    for i in range(rows):
        sheet.append([f"W-{i}", "2026-12-01 09:30", "暴露垃圾", "路口垃圾", "深圳市福田区"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
def test_small_uploads_stay_immediate_and_oversized_ones_are_refused_at_once(
    city: City, hotline: HotlineSystem, settings: Any
) -> None:
    settings.HOTLINE_BATCH_IMMEDIATE_ROWS = 5
    settings.HOTLINE_BATCH_MAX_ROWS = 10
    client = Client()
    client.force_login(city.users["operator"])

    small = upload(client, hotline, jsonl(*many_orders(5, prefix="S")), "small.jsonl")
    assert small.status_code == 200
    assert "共 5 张工单，新建 5" in small.content.decode()
    assert not HotlineImportJob.objects.exists()

    # Six rows of a spreadsheet are more than 5: the worker's.
    workbook = upload(client, hotline, _workbook(6), "orders.xlsx")
    job = HotlineImportJob.objects.get()
    assert workbook.status_code == 302 and (job.format, job.rows_total) == ("xlsx", 6)

    too_many = upload(client, hotline, jsonl(*many_orders(11, prefix="T")), "big.jsonl")
    assert too_many.status_code == 400
    assert "一批最多 10 条工单，请分批导入。" in too_many.content.decode()
    assert HotlineImportJob.objects.count() == 1


@pytest.mark.django_db
def test_an_import_job_is_seen_by_its_uploader_alone(
    city: City, hotline: HotlineSystem, settings: Any, make_user: Any
) -> None:
    settings.HOTLINE_BATCH_IMMEDIATE_ROWS = 1
    owner = Client()
    owner.force_login(city.users["operator"])
    upload(owner, hotline, jsonl(order("O-1"), order("O-2")), "two.jsonl")
    job = HotlineImportJob.objects.get()
    assert "two.jsonl" in job_page(owner, job)

    colleague = make_user("operator", "440304")
    other = Client()
    other.force_login(colleague)
    assert other.get(f"{PAGE}{job.pk}/").status_code == 404
    assert "two.jsonl" not in other.get(PAGE).content.decode()
    inspector = Client()
    inspector.force_login(city.users["inspector"])
    assert inspector.get(f"{PAGE}{job.pk}/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_an_import_whose_worker_died_is_marked_failed_and_nothing_was_imported(
    city: City, hotline: HotlineSystem, settings: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from yiwang.intake.actions import hotline_jobs

    settings.HOTLINE_BATCH_IMMEDIATE_ROWS = 1
    client = Client()
    client.force_login(city.users["operator"])
    upload(client, hotline, jsonl(*many_orders(3)), "stuck.jsonl")
    job = HotlineImportJob.objects.get()
    # A worker took the job two hours ago and died before writing anything.
    hotline_jobs._claim(job.pk, timezone.now() - timedelta(hours=2))
    fresh_upload = upload(client, hotline, jsonl(*many_orders(2)), "fresh.jsonl")
    assert fresh_upload.status_code == 302
    fresh = HotlineImportJob.objects.exclude(pk=job.pk).get()
    hotline_jobs._claim(fresh.pk, timezone.now())  # started a minute ago: still running

    assert hotline_jobs.fail_interrupted_imports() == 1

    job.refresh_from_db()
    fresh.refresh_from_db()
    assert job.state == "failed" and "重新上传" in job.message and bytes(job.data) == b""
    assert fresh.state == "running"
    assert not HotlineOrder.objects.exists() and not Case.objects.exists()
    assert "重新上传" in job_page(client, job)
    assert AuditEntry.objects.filter(action="intake.hotline_batch.interrupted").count() == 1
