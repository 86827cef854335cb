"""Case exports that scale (issue 6, point 6): CSV streams the scoped search; a large XLSX
is built by the worker from the user's scope as it is when the job runs."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from case_steps import Loop, local
from django.test import Client
from openpyxl import load_workbook

from case_support import POINT_B, City
from yiwang.cases.models import Case
from yiwang.cli import main as yiwang
from yiwang.core.models import AuditEntry, ExportJob
from yiwang.org import actions as org_actions

URL = "/cases/search/export/"


def csv_rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))


def sheet_rows(content: bytes) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def newest_first(cases: list[Case]) -> list[str]:
    return [c.number for c in sorted(cases, key=lambda c: (c.reported_at, c.pk), reverse=True)]


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


def test_csv_streams_exactly_the_scoped_search(client: Client, city: City) -> None:
    loop = Loop(city)
    start = local(2026, 3, 2, 9, 0)
    # Street A: three manhole reports and one other; street B: one manhole report.
    wanted = [
        loop.report(title=f"井盖缺失{i}", address=f"南园路 {i} 号", now=start + timedelta(hours=i))
        for i in (3, 1, 2)
    ]
    loop.report(title="占道经营", now=start)
    elsewhere = loop.report(source="public", point=POINT_B, title="井盖破损", now=start)
    client.force_login(city.users["inspector"])  # bound to street A

    response = client.get(URL, {"format": "csv", "q": "井盖"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.getvalue()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == newest_first(wanted)
    header = rows[0]
    by_number = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    for case in wanted:
        assert by_number[case.number]["标题"] == case.title
        assert by_number[case.number]["地址"] == case.address
    assert elsewhere.number.encode() not in body

    # The district's operator sees both streets, in the order asked for.
    client.force_login(city.users["operator"])
    everything = csv_rows(client.get(URL, {"format": "csv", "sort": "number"}))
    assert [r[0] for r in everything[1:]] == sorted(c.number for c in Case.objects.all())


@pytest.mark.django_db(transaction=True)
def test_large_xlsx_is_built_by_the_worker_with_the_scope_of_its_run(
    client: Client, city: City, media: Path, settings: Any
) -> None:
    settings.EXPORT_IMMEDIATE_ROWS = 2
    loop = Loop(city)
    in_a = [loop.report(title=f"南园{i}") for i in range(3)]
    for i in range(2):
        loop.report(source="public", point=POINT_B, title=f"园岭{i}")
    legacy = in_a[0]
    Case.objects.filter(pk=legacy.pk).update(title="旧数据\x1b\x0b标题")  # stored long ago
    operator = city.users["operator"]
    client.force_login(operator)

    # Asking (GET) starts nothing; it offers the background job for the 5 rows.
    offer = client.get(URL, {"format": "xlsx"})
    assert offer.status_code == 200
    assert "共 5 条记录" in offer.content.decode()
    assert not ExportJob.objects.exists()

    started = client.post(f"{URL}?format=xlsx")
    job = ExportJob.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/exports/{job.pk}/"
    assert (job.user_id, job.state, job.rows_total) == (operator.pk, "queued", 5)
    listed = client.get("/exports/").content.decode()
    assert "案卷查询：全部案卷" in listed and "排队中" in listed

    # Before the worker runs, the operator is moved to street A: the job sees street A only.
    org_actions.update_staff(
        city.root,
        operator.pk,
        display_name=operator.display_name,
        role=operator.role,
        division_code="440304001",
        department_id=None,
    )
    yiwang(["worker", "--batch"])

    job.refresh_from_db()
    assert (job.state, job.rows_total, job.rows_done) == ("done", 3, 3)
    rows = sheet_rows(client.get(f"/exports/{job.pk}/download/").getvalue())
    header = rows[0]
    assert sorted(r[0] for r in rows[1:]) == sorted(c.number for c in in_a)
    titles = {r[0]: r[header.index("标题")] for r in rows[1:]}
    assert titles[legacy.number] == "旧数据\ufffd\ufffd标题"
    assert AuditEntry.objects.filter(action="core.export_finished", actor=operator).count() == 1


def test_small_xlsx_stays_immediate_and_a_job_is_labelled_by_its_filters(
    client: Client, city: City, media: Path, settings: Any
) -> None:
    Loop(city).report(title="南园的问题")
    client.force_login(city.users["operator"])
    response = client.get(URL, {"format": "xlsx", "street": "440304001"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert len(sheet_rows(response.content)) == 2
    assert not ExportJob.objects.exists()
    page = client.get("/cases/search/", {"street": "440304001"}).content.decode()
    assert 'href="/exports/"' in page  # the way to one's exports

    settings.EXPORT_IMMEDIATE_ROWS = 0
    client.post(f"{URL}?format=xlsx&street=440304001&overdue=&page=3")
    job = ExportJob.objects.get()
    assert job.label == "案卷查询：街道：南园街道"
    # Only the search's own fields are kept (not the page, the format or empty ones).
    assert job.filters == {"street": "440304001"}
