"""Responsibility lists (责任清单): membership, urgency order, counts per street and per
department, scope and the XLSX export, against the fixtures counted by hand.

Open problems of `march` + `public_march` (registered, not closed / voided / merged):
a3 (street A, dispatched to the municipal centre on 3 March), p1, i1, p4 (street A, waiting
for dispatch) and p6 (street B). Every one of them is long past its stage deadline. The
tests add `fresh` (dispatched now: in time) and `parked` (挂账: no running clock), both
street A, municipal centre.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from case_steps import Loop, local
from django.utils import timezone
from openpyxl import load_workbook

from case_support import City
from yiwang.cases.models import Case, State

MAIN = ("accept", "register", "dispatch", "accept_task")


@pytest.fixture
def lists(city: City, public_march: dict[str, Case]) -> dict[str, Case]:
    loop = Loop(city)
    fresh = loop.report()
    for name in MAIN[:3]:
        fresh = loop.step(fresh, name)
    parked = loop.report()
    for name in (*MAIN, "request_suspend", "approve_suspend"):
        parked = loop.step(parked, name)
    assert parked.state == State.SUSPENDED
    return {**public_march, "fresh": fresh, "parked": parked}


def _numbers(page: str, table_id: str = "responsibility-table") -> list[str]:
    table = page[page.index(f'id="{table_id}"') :]
    table = table[: table.index("</table>")]
    return [part.split('"')[0] for part in table.split('data-number="')[1:]]


def _summary(page: str, table_id: str) -> dict[str, tuple[int, int, int]]:
    table = page[page.index(f'id="{table_id}"') :]
    table = table[: table.index("</table>")]
    rows = {}
    for chunk in table.split("<tr data-key=")[1:]:
        cells = [c.split("</td>")[0] for c in chunk.split("<td")[1:]]
        cells = [c.split(">", 1)[1] for c in cells]
        name = re.sub(r"<[^>]+>", "", cells[0])  # the name links to its list
        rows[name] = (int(cells[1]), int(cells[2]), int(cells[3]))
    return rows


def test_lists_and_counts(client: Any, city: City, march: dict[str, Case], lists: Any) -> None:
    client.force_login(city.users["leader"])
    page = client.get("/evaluation/responsibility/").content.decode()
    n = {key: case.number for key, case in {**march, **lists}.items()}
    # Most urgent first: by the running stage's deadline (a3's 处置 was due 3 March, p1's
    # 派遣 11 March, i1's 13th, p4's 16th, p6's 17th), `fresh` in time, `parked` (no clock)
    # last. Closed, voided, merged and unregistered cases are not problems on a list.
    assert _numbers(page) == [
        n["a3"], n["p1"], n["i1"], n["p4"], n["p6"], n["fresh"], n["parked"]
    ]  # fmt: skip
    # (open, overdue, 挂账) per street and per department.
    assert _summary(page, "summary-streets") == {"南园街道": (6, 4, 1), "园岭街道": (1, 1, 0)}
    assert _summary(page, "summary-departments") == {"福田区市政设施管理中心": (3, 1, 1)}
    assert "light-red" in page and "light-green" in page
    # Each summary row opens its own list.
    assert 'href="?street=440304001"' in page
    assert f'href="?department={city.municipal.pk}"' in page

    street_a = client.get("/evaluation/responsibility/", {"street": "440304001"})
    assert _numbers(street_a.content.decode()) == [
        n["a3"], n["p1"], n["i1"], n["p4"], n["fresh"], n["parked"]
    ]  # fmt: skip
    municipal = client.get(
        "/evaluation/responsibility/", {"department": str(city.municipal.pk)}
    ).content.decode()
    assert _numbers(municipal) == [n["a3"], n["fresh"], n["parked"]]
    # Days open: whole days since the report.
    a3_row = municipal[municipal.index(f'data-number="{n["a3"]}"') :]
    a3_row = a3_row[: a3_row.index("</tr>")]
    days = (timezone.now() - local(2026, 3, 3, 9)).days
    assert f'<td class="num">{days}</td>' in a3_row


def test_scope(client: Any, city: City, lists: Any, make_user: Any) -> None:
    leader_b = make_user("leader", "440304002")
    client.force_login(leader_b)
    page = client.get("/evaluation/responsibility/").content.decode()
    assert _numbers(page) == [lists["p6"].number]
    assert _summary(page, "summary-streets") == {"园岭街道": (1, 1, 0)}
    assert _summary(page, "summary-departments") == {}
    assert "南园街道" not in page  # not even in the street picker
    # Another street is refused exactly like a street that does not exist (its existence
    # does not leak), in the list and in the export.
    for code in ("440304001", "440304999"):
        refused = client.get("/evaluation/responsibility/", {"street": code})
        assert refused.status_code == 400 and "南园街道" not in refused.content.decode()
        export = client.get("/evaluation/responsibility/export/", {"street": code})
        assert export.status_code == 400
    # A handler reads their department's worklist, not the command centre's lists.
    client.force_login(city.users["handler"])
    assert client.get("/evaluation/responsibility/").status_code == 403
    assert client.get("/evaluation/responsibility/export/").status_code == 403


def test_export(client: Any, city: City, march: dict[str, Case], lists: Any) -> None:
    client.force_login(city.users["leader"])
    response = client.get(
        "/evaluation/responsibility/export/", {"department": str(city.municipal.pk)}
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    (sheet,) = book.worksheets
    assert sheet.title == "责任清单-福田区市政设施管理中心"
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header == [
        "序号", "案卷号", "小类", "标题", "地址", "街道", "处置部门", "状态", "当前环节",
        "环节时限", "红绿灯", "已用天数", "上报时间",
    ]  # fmt: skip
    a3, fresh, parked = march["a3"], lists["fresh"], lists["parked"]
    assert [r[1] for r in rows] == [a3.number, fresh.number, parked.number]
    first = rows[0]
    assert first[0] == 1 and first[5] == "南园街道" and first[6] == "福田区市政设施管理中心"
    assert first[7] == "待接收" and first[8] == "处置" and first[10] == "超期"
    # 处置 of 06xxx: 4 工作时 from 10:00 on Tue 3 March → 12:00, then 14:00–16:00.
    assert first[9].strftime("%Y-%m-%d %H:%M") == "2026-03-03 16:00"
    assert first[12].strftime("%Y-%m-%d %H:%M") == "2026-03-03 09:00"
    assert rows[2][7] == "已挂账" and rows[2][9] is None and rows[2][10] is None


def test_one_sheet_per_street(
    client: Any, city: City, march: dict[str, Case], lists: Any, make_user: Any
) -> None:
    client.force_login(city.users["leader"])
    response = client.get("/evaluation/responsibility/export/", {"by": "street"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["汇总", "南园街道", "园岭街道"]
    overview = [list(r) for r in book["汇总"].iter_rows(values_only=True)]
    assert overview == [
        ["街道", "在办", "超期", "挂账"],
        ["南园街道", 6, 4, 1],
        ["园岭街道", 1, 1, 0],
    ]
    n = {key: case.number for key, case in {**march, **lists}.items()}
    street_a = [r[1] for r in book["南园街道"].iter_rows(min_row=2, values_only=True)]
    assert street_a == [n["a3"], n["p1"], n["i1"], n["p4"], n["fresh"], n["parked"]]
    street_b = [r[1] for r in book["园岭街道"].iter_rows(min_row=2, values_only=True)]
    assert street_b == [n["p6"]]

    by_department = client.get("/evaluation/responsibility/export/", {"by": "department"})
    book = load_workbook(io.BytesIO(by_department.content))
    assert book.sheetnames == ["汇总", "福田区市政设施管理中心"]
    rows = [r[1] for r in book["福田区市政设施管理中心"].iter_rows(min_row=2, values_only=True)]
    assert rows == [n["a3"], n["fresh"], n["parked"]]
    assert client.get("/evaluation/responsibility/export/", {"by": "x"}).status_code == 400

    # A street-B leader's workbook holds street B only.
    client.force_login(make_user("leader", "440304002"))
    book = load_workbook(
        io.BytesIO(client.get("/evaluation/responsibility/export/", {"by": "street"}).content)
    )
    assert book.sheetnames == ["汇总", "园岭街道"]


def test_hostile_input_is_refused_never_500(client: Any, city: City, lists: Any) -> None:
    client.force_login(city.users["leader"])
    for params in (
        {"department": "abc"},
        {"department": "99999999999999999999"},
        {"street": "'; drop table cases_case; --"},
        {"street": "440304001", "department": str(city.municipal.pk)},
    ):
        assert client.get("/evaluation/responsibility/", params).status_code == 400, params
        assert client.get("/evaluation/responsibility/export/", params).status_code == 400
    assert client.get("/evaluation/responsibility/", {"page": "x"}).status_code == 200
    assert client.get("/evaluation/responsibility/", {"page": "x\x00"}).status_code == 400
    for params in (
        {"subject": "nobody", "period": "month", "day": "2026-03-15"},
        {"subject": "inspector", "period": "month", "day": "2026-13-45"},
        {"subject": "inspector", "period": "custom", "day": "2026-03-15", "end": "2026-03-01"},
    ):
        assert client.get("/evaluation/export/", params).status_code == 400, params
    api = client.get("/api/evaluation/nobody/xlsx")
    assert api.status_code in (400, 404, 422) and api.json()["code"]


def test_long_list_is_built_by_the_export_job(
    client: Any, city: City, march: dict[str, Case], lists: Any, settings: Any, tmp_path: Any
) -> None:
    """Beyond `EXPORT_IMMEDIATE_ROWS` the page offers a background job; the job (run here as
    the worker runs it) writes the same rows as the immediate download."""
    from yiwang.core.exports.actions import run_export
    from yiwang.core.models import ExportJob

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXPORT_IMMEDIATE_ROWS = 2
    client.force_login(city.users["leader"])
    url = "/evaluation/responsibility/export/"
    offer = client.get(url, {"street": "440304001"})
    assert offer.status_code == 200 and not ExportJob.objects.exists()
    started = client.post(f"{url}?street=440304001")
    job = ExportJob.objects.get()
    assert started.status_code == 302 and job.rows_total == 6
    assert job.label == "责任清单：南园街道"
    assert run_export(job.pk) == "done"
    book = load_workbook(io.BytesIO(client.get(f"/exports/{job.pk}/download/").getvalue()))
    rows = [r[1] for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    n = {key: case.number for key, case in {**march, **lists}.items()}
    assert rows == [n["a3"], n["p1"], n["i1"], n["p4"], n["fresh"], n["parked"]]


def test_pages_follow_the_urgency_order(
    client: Any, city: City, march: dict[str, Case], lists: Any, monkeypatch: Any
) -> None:
    from yiwang.evaluation import views

    monkeypatch.setattr(views, "RESPONSIBILITY_PAGE_SIZE", 3)
    client.force_login(city.users["leader"])
    n = {key: case.number for key, case in {**march, **lists}.items()}
    pages = [
        _numbers(client.get("/evaluation/responsibility/", {"page": p}).content.decode())
        for p in (1, 2, 3)
    ]
    assert pages == [
        [n["a3"], n["p1"], n["i1"]],
        [n["p4"], n["p6"], n["fresh"]],
        [n["parked"]],
    ]
    last = client.get("/evaluation/responsibility/", {"page": 3}).content.decode()
    assert "第 3 / 3 页" in last and "7 个在办问题" in last
    # The street filter is kept in the page links.
    street = client.get("/evaluation/responsibility/", {"street": "440304001"}).content.decode()
    assert "?street=440304001&amp;page=2" in street
