"""导入 311 开放数据 on the web (系统管理员): upload a CSV, the worker imports it with the
command's code path, the page shows progress and then the counts. The expected counts are
computed here with pandas from the uploaded slice (and the mapping table's rows)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.core.management import call_command
from django.test import Client

from yiwang.cases.models import Case
from yiwang.core.models import AuditEntry
from yiwang.intake.models import OpenDataCategory, OpenDataImportJob
from yiwang.org.models import User

CORPUS = Path("/work/shared/corpora/311")
SF = CORPUS / "sf-311-cases-sample.csv"
BOSTON = CORPUS / "boston-311.csv"
PAGE = "/intake/opendata/"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_file(content: bytes, name: str = "slice.csv") -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def sf_slice(every: int) -> tuple[bytes, pd.DataFrame]:
    """Every n-th SF request as a CSV file of its own (pandas writes it), and its rows."""
    raw = pd.read_csv(SF, dtype=str, keep_default_na=False)
    part = raw.iloc[::every]
    return part.to_csv(index=False).encode(), part


def form(content: bytes, filename: str = "slice.csv", **fields: Any) -> dict[str, Any]:
    return {
        "file": csv_file(content, filename),
        "city": "440304901",
        "name": "旧金山",
        "tz": "America/Los_Angeles",
        "fallback": "06036",
        "every": "1",
        **fields,
    }


def mapped_keys() -> set[str]:
    return {
        " ".join(c.split()).casefold()
        for c in OpenDataCategory.objects.values_list("category", flat=True)
    }


def expected_counts(part: pd.DataFrame) -> tuple[int, dict[str, int]]:
    """Requests with coordinates (the others are not imported), and the unmapped ones per
    category, as the import rules say (docs/intake.md)."""
    missing = {"", "na", "n/a", "null", "none", "nan"}
    has_point = ~part["Lat"].str.strip().str.casefold().isin(missing) & ~part[
        "Long"
    ].str.strip().str.casefold().isin(missing)
    placed = part[has_point].drop_duplicates("CaseID")
    category = placed["Category"].str.split().str.join(" ")
    unmapped = category[~category.str.casefold().isin(mapped_keys())]
    return len(placed), {k: int(v) for k, v in unmapped.value_counts().items()}


@pytest.mark.django_db(transaction=True)
def test_an_upload_is_imported_by_the_worker_with_the_files_counts(root: User) -> None:
    content, part = sf_slice(50)
    client = signed_in(root)
    assert 'name="tz"' in client.get(PAGE).content.decode()

    started = client.post(PAGE, form(content, "sf-slice.csv"))

    job = OpenDataImportJob.objects.get()
    assert started.status_code == 302 and started["Location"] == f"{PAGE}{job.pk}/"
    assert (job.state, job.rows_total, job.filename) == ("queued", len(part), "sf-slice.csv")
    waiting = client.get(f"{PAGE}{job.pk}/").content.decode()
    assert "排队中" in waiting and "<progress" in waiting and 'hx-trigger="every' in waiting
    assert not Case.objects.exists()  # nothing is imported by the request itself

    call_command("db_worker", "--batch", verbosity=0)

    job.refresh_from_db()
    created, unmapped = expected_counts(part)
    assert job.state == "done" and bytes(job.data) == b""
    assert job.done == job.rows_total == len(part)
    assert job.result["counts"]["created"] == created
    assert job.result["counts"]["skipped_existing"] == 0
    assert job.result["unmapped"] == unmapped
    assert Case.objects.filter(opendata_record__division__code="440304901").count() == created
    fragment = client.get(f"{PAGE}{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment  # done: the page stops asking
    assert f'<td data-count="created">{created}</td>' in fragment
    for category, n in unmapped.items():
        assert f'<td data-unmapped="{category}">{n}</td>' in fragment
    assert AuditEntry.objects.filter(
        action="intake.opendata_import.done", object_id=str(job.pk)
    ).exists()

    # The same file again: every request is skipped, nothing is created twice.
    client.post(PAGE, form(content, "sf-slice.csv"))
    call_command("db_worker", "--batch", verbosity=0)
    again = OpenDataImportJob.objects.latest("id")
    assert again.result["counts"]["created"] == 0
    assert again.result["counts"]["skipped_existing"] == created
    assert Case.objects.filter(opendata_record__division__code="440304901").count() == created


@pytest.mark.django_db(transaction=True)
def test_the_sampling_options_are_those_of_the_command(root: User) -> None:
    raw = pd.read_csv(BOSTON, dtype=str, keep_default_na=False)
    client = signed_in(root)
    response = client.post(
        PAGE,
        form(
            BOSTON.read_bytes(),
            "boston-311.csv",
            city="440304902",
            name="波士顿",
            tz="America/New_York",
            every="40",
            limit="50",
        ),
    )
    assert response.status_code == 302
    call_command("db_worker", "--batch", verbosity=0)
    job = OpenDataImportJob.objects.get()
    part = raw.iloc[::40][:50]
    with_point = part[(part["latitude"] != "") & (part["longitude"] != "")]
    assert job.result["counts"]["rows"] == len(part)
    assert job.result["counts"]["created"] == len(with_point)
    assert job.result["counts"]["no_coordinates"] == len(part) - len(with_point)


@pytest.mark.parametrize(
    ("fields", "name", "content", "field", "message"),
    [
        ({"tz": "Mars/Olympus_Mons"}, "a.csv", None, "tz", "未知的时区"),
        ({"tz": "../../etc/passwd"}, "a.csv", None, "tz", "未知的时区"),
        ({}, "a.xlsx", None, "file", "请上传 .csv 文件"),
        ({}, "a.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "file", "不是 CSV"),
        ({}, "a.csv", "编号,时间\n1,2\n".encode("gb18030"), "file", "UTF-8"),
        ({}, "a.csv", b"id,foo\n1,2\n", "file", "缺少必需的列"),
        ({"city": "4403049"}, "a.csv", None, "city", "9 位"),
        ({"city": "999999901"}, "a.csv", None, "city", "不存在"),
        ({"name": ""}, "a.csv", None, "name", "城市名称"),
        ({"every": "0"}, "a.csv", None, "every", ""),
        ({"fallback": "99999"}, "a.csv", None, "fallback", "未知的事件类型"),
    ],
)
def test_refusals_are_shown_next_to_their_field_in_chinese(
    root: User, fields: dict[str, str], name: str, content: bytes | None, field: str, message: str
) -> None:
    content = content if content is not None else sf_slice(500)[0]
    response = signed_in(root).post(PAGE, form(content, name, **fields))
    assert response.status_code == 400
    html = response.content.decode()
    error = html[html.index(f'id="error-{field}"') :].split("</span>")[0]
    assert message in error
    assert not OpenDataImportJob.objects.exists()


def test_a_file_over_the_limit_is_refused(root: User, settings: Any) -> None:
    settings.OPENDATA_UPLOAD_MAX_BYTES = 1024 * 1024
    content = sf_slice(1)[0]
    assert len(content) > 1024 * 1024
    response = signed_in(root).post(PAGE, form(content))
    assert response.status_code == 400
    html = response.content.decode()
    assert "文件不能超过 1 MB" in html[html.index('id="error-file"') :].split("</span>")[0]


def test_only_administrators_upload(city: Any) -> None:
    for role in ("operator", "leader"):
        response = signed_in(city.users[role]).get(PAGE)
        assert response.status_code == 403 and "只有系统管理员" in response.content.decode()
    response = signed_in(city.users["operator"]).post(PAGE, form(sf_slice(500)[0]))
    assert response.status_code == 403
    assert not OpenDataImportJob.objects.exists()
