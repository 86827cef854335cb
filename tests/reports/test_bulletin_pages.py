"""The bulletin pages: the archive with its filters and the issue form, one bulletin as
issued (Chinese, charts as data for ECharts), and the scope rule (out of scope is 404)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bulletin_support import local, march_day
from django.test import Client

from case_support import City
from yiwang.org.models import Division
from yiwang.reports.bulletins import actions


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_archive_detail_and_versions(city: City) -> None:
    march_day(city)
    actions.issue_due(local(2026, 3, 10, 9))
    leader = city.users["leader"]
    mine = actions.issue_on_demand(leader, "monthly", date(2026, 3, 2), now=local(2026, 4, 1, 9))
    client = _client(leader)
    page = client.get("/reports/bulletins/")
    assert page.status_code == 200
    html = page.content.decode()
    # 福田区's leader sees 福田区's bulletin, not the city's (深圳市 is above the district).
    assert "福田区2026年3月城市管理问题月度通报" in html
    assert "深圳市" not in html
    assert 'data-menu="analysis"' in html and "分析研判" in html

    detail = client.get(f"/reports/bulletins/{mine.pk}/")
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "本月福田区共受理问题5件，环比上升400.0%" in text
    assert "街道综合评价排名" in text and "重点监管点位" in text
    assert "第1版" in text and "手动生成" in text
    charts = json.loads(
        text.split('id="bulletin-charts" type="application/json">')[1].split("</script>")[0]
    )
    assert charts and all(c["id"].startswith("chart-") for c in charts)
    assert 'id="chart-0"' in text and "reports/bulletin.js" in text

    # The schedule's bulletins (福田区 holds every grid) are in the list too.
    assert "福田区2026年第10周（3月2日—3月8日）城市管理问题周分析" in html and "定时生成" in html
    # A city bulletin is out of 福田区's scope: not found.
    shenzhen = Division.objects.get(code="440300")
    city_bulletin = actions.issue("daily", date(2026, 3, 2), shenzhen, now=local(2026, 3, 3, 9))
    assert city_bulletin is not None
    assert client.get(f"/reports/bulletins/{city_bulletin.pk}/").status_code == 404
    assert "深圳市" not in client.get("/reports/bulletins/").content.decode()


def test_street_leader_does_not_see_other_divisions(city: City, make_user: Any) -> None:
    march_day(city)
    district = actions.issue_on_demand(
        city.users["leader"], "daily", date(2026, 3, 2), now=local(2026, 3, 3, 9)
    )
    street_b_leader = make_user("leader", "440304002")
    own = actions.issue_on_demand(
        street_b_leader, "daily", date(2026, 3, 2), now=local(2026, 3, 3, 9)
    )
    client = _client(street_b_leader)
    listing = client.get("/reports/bulletins/").content.decode()
    assert "园岭街道2026年3月2日城市管理问题日盘点" in listing
    assert "福田区2026年3月2日" not in listing
    assert client.get(f"/reports/bulletins/{district.pk}/").status_code == 404
    assert client.get(f"/reports/bulletins/{own.pk}/").status_code == 200
    assert client.get("/reports/bulletins/999999/").status_code == 404
    # Inspectors do not read bulletins.
    assert _client(city.users["inspector"]).get("/reports/bulletins/").status_code == 403


def test_filters_and_the_issue_form(city: City) -> None:
    march_day(city)
    leader = city.users["leader"]
    actions.issue_on_demand(leader, "daily", date(2026, 3, 2), now=local(2026, 3, 3, 9))
    actions.issue_on_demand(leader, "weekly", date(2026, 3, 2), now=local(2026, 3, 9, 9))
    client = _client(leader)
    weekly = client.get("/reports/bulletins/?kind=weekly").content.decode()
    assert "周分析" in weekly and "3月2日城市管理问题日盘点" not in weekly
    on_day = client.get("/reports/bulletins/?day=2026-03-05").content.decode()
    assert "第10周" in on_day and "3月2日城市管理问题日盘点" not in on_day
    fragment = client.get(
        "/reports/bulletins/?kind=daily", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="bulletin-list"
    )
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()

    bad = client.post("/reports/bulletins/issue/", {"kind": "daily", "day": "2026-13-01"})
    assert bad.status_code == 400 and "有效的日期" in bad.content.decode()
    future = client.post("/reports/bulletins/issue/", {"kind": "daily", "day": "2999-01-01"})
    assert future.status_code == 400
    assert "2000 年至 2100 年" in future.content.decode()
    hostile = client.post("/reports/bulletins/issue/", {"kind": "<script>", "day": "2026-03-02"})
    assert hostile.status_code == 400
    made = client.post("/reports/bulletins/issue/", {"kind": "daily", "day": "2026-03-02"})
    assert made.status_code == 302 and made["Location"].startswith("/reports/bulletins/")
    assert client.get(made["Location"]).status_code == 200


def test_a_leader_downloads_this_months_bulletin_as_docx_from_its_page(city: City) -> None:
    """The issue's finish line: the bulletin page links a DOCX whose charts are pictures."""
    import io
    import re

    from docx import Document

    march_day(city)
    leader = city.users["leader"]
    mine = actions.issue_on_demand(leader, "monthly", date(2026, 3, 2), now=local(2026, 4, 1, 9))
    client = _client(leader)
    page = client.get(f"/reports/bulletins/{mine.pk}/").content.decode()
    links = re.findall(r'href="([^"]+/docx/)"', page)
    assert links == [f"/reports/bulletins/{mine.pk}/docx/"]
    assert f'href="/reports/bulletins/{mine.pk}/xlsx/"' in page
    answer = client.get(links[0])
    assert answer.status_code == 200
    document = Document(io.BytesIO(answer.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "福田区2026年3月城市管理问题月度通报" in text
    assert "本月福田区共受理问题5件" in text
    # Every chart of the frozen content is a picture in the file.
    charts = sum(1 for s in mine.content["sections"] for b in s["blocks"] if b["type"] == "chart")
    assert charts > 0 and len(document.inline_shapes) == charts
