"""Catalogue pages: type browsing and search, the scoped component list, exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from yiwang.cli import main as yiwang
from yiwang.core.models import ExportJob
from yiwang.org.models import User


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def rows_of(html: str, attr: str) -> list[str]:
    """Values of ``data-<attr>="..."`` on the result table rows, in page order."""
    marker = f'<tr data-{attr}="'
    return [part.split('"', 1)[0] for part in html.split(marker)[1:]]


def test_type_search_finds_manhole_covers_of_the_chosen_kind(
    client: Client, make_user: Callable[..., User], org_tree: Any
) -> None:
    signed_in(client, make_user("operator", "440304001"))
    html = client.get("/catalog/types/", {"kind": "component", "q": "井盖"}).content.decode()
    codes = rows_of(html, "code")
    # 供水井盖 01001 … 燃气井盖 01011 are all component types of major class 01.
    assert "01001" in codes and "01011" in codes
    assert all(code.startswith("01") for code in codes)
    assert "供水井盖" in html

    assert "供水井盖异常" not in html  # a matter type, not a component type

    matters = client.get("/catalog/types/", {"kind": "matter", "q": "井盖"}).content.decode()
    assert "<td>供水井盖异常</td>" in matters
    assert "<td>供水井盖</td>" not in matters


def test_type_search_by_code_prefix_and_major(
    client: Client, make_user: Callable[..., User], org_tree: Any
) -> None:
    signed_in(client, make_user("operator", "440304001"))
    codes = rows_of(
        client.get("/catalog/types/", {"kind": "component", "q": "0100"}).content.decode(), "code"
    )
    assert codes == [f"0100{i}" for i in range(1, 10)]
    html = client.get("/catalog/types/", {"kind": "component", "major": "02"}).content.decode()
    assert rows_of(html, "code") and all(c.startswith("02") for c in rows_of(html, "code"))


def test_type_list_is_paginated_and_sortable(
    client: Client, make_user: Callable[..., User], org_tree: Any
) -> None:
    signed_in(client, make_user("operator", "440304001"))
    first = rows_of(client.get("/catalog/types/", {"kind": "matter"}).content.decode(), "code")
    second = rows_of(
        client.get("/catalog/types/", {"kind": "matter", "page": 2}).content.decode(), "code"
    )
    assert len(first) == 50 and second and not set(first) & set(second)
    assert first == sorted(first)
    desc = rows_of(
        client.get("/catalog/types/", {"kind": "matter", "sort": "-code"}).content.decode(), "code"
    )
    assert desc == sorted(desc, reverse=True) and desc[0] > first[-1]


def test_htmx_search_returns_only_the_results(
    client: Client, make_user: Callable[..., User], org_tree: Any
) -> None:
    signed_in(client, make_user("operator", "440304001"))
    fragment = client.get(
        "/catalog/types/", {"kind": "component", "q": "燃气井盖"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in fragment
    assert rows_of(fragment, "code") == ["01011"]


def test_type_export_csv_follows_the_filter(
    client: Client, make_user: Callable[..., User], org_tree: Any
) -> None:
    signed_in(client, make_user("operator", "440304001"))
    response = client.get("/catalog/types/", {"kind": "component", "q": "井盖", "export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    text = response.getvalue().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["类型", "代码"]
    assert {"01001", "01011"} <= {row[1] for row in rows[1:]}
    assert all("井盖" in row[4] for row in rows[1:])

    xlsx = client.get("/catalog/types/", {"kind": "component", "q": "井盖", "export": "xlsx"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.max_row == len(rows)


def test_component_list_is_scoped_to_the_users_street(
    client: Client, make_user: Callable[..., User], demo: dict[str, Any]
) -> None:
    signed_in(client, make_user("inspector", "440304001"))
    html = client.get("/catalog/components/").content.decode()
    assert rows_of(html, "ident") == ["44030401001000001"]
    assert "园东污水井盖" not in html
    # The other street's component has no page for this user either.
    assert client.get("/catalog/components/44030401002000001/").status_code == 404

    detail = client.get("/catalog/components/44030401001000001/").content.decode()
    assert "南华供水井盖" in detail and "440304001001001" in detail and "破损" in detail


def test_component_filters(
    client: Client, make_user: Callable[..., User], demo: dict[str, Any]
) -> None:
    signed_in(client, make_user("admin", "440304"))
    everything = rows_of(client.get("/catalog/components/").content.decode(), "ident")
    assert everything == ["44030401001000001", "44030401002000001"]

    def idents(**params: str) -> list[str]:
        return rows_of(client.get("/catalog/components/", params).content.decode(), "ident")

    assert idents(street="440304002") == ["44030401002000001"]
    assert idents(state="damaged") == ["44030401001000001"]
    assert idents(type="01002") == ["44030401002000001"]
    assert idents(q="南华") == ["44030401001000001"]
    assert idents(q="4403040100200") == ["44030401002000001"]
    assert idents(sort="-ident") == ["44030401002000001", "44030401001000001"]
    # Nonsense filter values are ignored rather than answered with an error page.
    assert idents(state="broken") == everything


def test_component_list_queries_do_not_grow_with_rows(
    client: Client,
    make_user: Callable[..., User],
    demo: dict[str, Any],
    django_assert_max_num_queries: Any,
) -> None:
    signed_in(client, make_user("admin", "440304"))
    with django_assert_max_num_queries(12):
        client.get("/catalog/components/")


@pytest.mark.django_db(transaction=True)
def test_a_large_component_export_is_built_by_the_worker_within_the_users_scope(
    client: Client,
    make_user: Callable[..., User],
    demo: dict[str, Any],
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXPORT_IMMEDIATE_ROWS = 0
    signed_in(client, make_user("inspector", "440304001"))
    url = "/catalog/components/"

    # Asking (GET) starts nothing: it offers the background job.
    offer = client.get(url, {"export": "xlsx", "state": "damaged"})
    assert offer.status_code == 200
    assert "共 1 条记录" in offer.content.decode()
    assert not ExportJob.objects.exists()

    started = client.post(f"{url}?export=xlsx&state=damaged&page=2")
    job = ExportJob.objects.get()
    assert started["Location"] == f"/exports/{job.pk}/"
    assert job.filters == {"state": "damaged"}
    assert "部件清单" in client.get("/exports/").content.decode()
    yiwang(["worker", "--batch"])

    job.refresh_from_db()
    assert (job.state, job.rows_done) == ("done", 1)
    book = load_workbook(io.BytesIO(client.get(f"/exports/{job.pk}/download/").getvalue()))
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    assert rows[0][:5] == ["标识码", "名称", "类型代码", "类型名称", "状态"]
    # Only street A's component, the other street's never.
    assert [r[:5] for r in rows[1:]] == [
        ["44030401001000001", "南华供水井盖", "01001", "供水井盖", "破损"]
    ]

    # CSV still streams at once, whatever the size.
    csv_response = client.get(url, {"export": "csv"})
    assert csv_response.streaming
    assert ExportJob.objects.count() == 1
