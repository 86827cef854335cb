"""Downloading an issued bulletin as DOCX or XLSX: scope, names, audit, the files."""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from urllib.parse import quote

import pytest
from bulletin_sample import monthly_content
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from yiwang.core.models import AuditEntry
from yiwang.org.models import Division, User
from yiwang.reports.bulletins.content import BulletinContent, Chart, Table
from yiwang.reports.models import Bulletin

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def content() -> BulletinContent:
    return monthly_content(ranking_rows=200)


def issue(division: Division, content: BulletinContent, version: int = 1) -> Bulletin:
    # Written directly: the builder and its action are another part of the issue.
    return Bulletin.objects.create(
        kind="monthly",
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        division_path=division.path,
        version=version,
        trigger="on_demand",
        issued_at=timezone.now(),
        title=content.title,
        content=content.model_dump(mode="json"),
    )


@pytest.fixture
def street_bulletin(org_tree: dict[str, Division], content: BulletinContent) -> Bulletin:
    return issue(org_tree["street_a"], content, version=2)


@pytest.fixture
def leader_a(make_user: Any, org_tree: dict[str, Division]) -> User:
    return make_user("leader", "440304001")


def test_docx_download(
    client: Client, leader_a: User, street_bulletin: Bulletin, content: BulletinContent
) -> None:
    client.force_login(leader_a)
    url = reverse("reports:bulletin_docx", args=[street_bulletin.pk])
    assert url == f"/reports/bulletins/{street_bulletin.pk}/docx/"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX
    name = "2026年11月城市管理问题月度通报（第2版）.docx"
    assert response["Content-Disposition"] == (
        f'attachment; filename="bulletin-{street_bulletin.pk}-v2.docx"; '
        f"filename*=UTF-8''{quote(name)}"
    )
    assert "%E9%80%9A%E6%8A%A5" in response["Content-Disposition"]  # 通报, UTF-8
    assert response["Cache-Control"] == "private, no-store"
    document = Document(io.BytesIO(response.content))
    assert document.paragraphs[0].text == content.title
    charts = sum(isinstance(b, Chart) for s in content.sections for b in s.blocks)
    tables = sum(isinstance(b, Table) for s in content.sections for b in s.blocks)
    assert (len(document.inline_shapes), len(document.tables)) == (charts, tables) == (10, 10)
    audit = AuditEntry.objects.get(action="reports.bulletin_downloaded")
    assert (audit.actor_id, audit.object_id) == (leader_a.pk, str(street_bulletin.pk))
    assert audit.data == {"format": "docx"}


def test_xlsx_download(client: Client, leader_a: User, street_bulletin: Bulletin) -> None:
    client.force_login(leader_a)
    response = client.get(reverse("reports:bulletin_xlsx", args=[street_bulletin.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].endswith(
        quote("2026年11月城市管理问题月度通报（第2版）.xlsx")
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0] == "综述"
    assert len(book.sheetnames) == 7
    assert sum(len(sheet._images) for sheet in book.worksheets) == 10
    assert (
        AuditEntry.objects.filter(action="reports.bulletin_downloaded", data__format="xlsx").count()
        == 1
    )


def test_a_leader_of_the_district_reads_a_streets_bulletin(
    client: Client, make_user: Any, street_bulletin: Bulletin
) -> None:
    client.force_login(make_user("leader", "440304"))
    response = client.get(reverse("reports:bulletin_xlsx", args=[street_bulletin.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_another_divisions_bulletin_is_not_found(
    client: Client, make_user: Any, street_bulletin: Bulletin, fmt: str
) -> None:
    client.force_login(make_user("leader", "440304002"))  # the other street
    response = client.get(reverse(f"reports:bulletin_{fmt}", args=[street_bulletin.pk]))
    assert response.status_code == 404
    missing = client.get(reverse(f"reports:bulletin_{fmt}", args=[street_bulletin.pk + 999]))
    assert missing.status_code == 404
    assert not AuditEntry.objects.filter(action="reports.bulletin_downloaded").exists()


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_anonymous_is_sent_to_login(client: Client, street_bulletin: Bulletin, fmt: str) -> None:
    url = reverse(f"reports:bulletin_{fmt}", args=[street_bulletin.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:login')}?next={url}"


def test_a_title_with_path_characters_makes_a_safe_name(
    client: Client, leader_a: User, org_tree: dict[str, Division]
) -> None:
    small = monthly_content(streets=3, departments=3, ranking_rows=3, inspectors=2)
    bulletin = issue(org_tree["street_a"], small.model_copy(update={"title": 'a/b\\c:"通报"'}))
    Bulletin.objects.filter(pk=bulletin.pk).update(title='a/b\\c:"通报"\r\n')
    client.force_login(leader_a)
    response = client.get(reverse("reports:bulletin_docx", args=[bulletin.pk]))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    # Each run of unsafe characters (/, \\, :", "\r\n) becomes one "_".
    assert disposition.endswith(quote("a_b_c_通报_（第1版）.docx"))
