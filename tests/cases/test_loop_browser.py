"""In a real browser: one case from the inspector's report to 结案, through five roles.

Every step is done the way a person would do it: sign in, find the case in the
role's worklist on the workbench, fill the move's form on the detail page, and
see the new state. The timeline at the end names each step and who did it.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from case_support import POINT_A, City
from yiwang.org.models import User

PASSWORD = "test-pass-123"
WAIT_MS = 15_000


def sign_in(page: Any, base: str, user: User, path: str = "/cases/") -> None:
    page.goto(f"{base}/login/?next={path}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation(url=f"{base}{path}", timeout=WAIT_MS):
        page.click("button[type=submit]:has-text('登录')")
    # The header shows who is signed in: a wrong account would fail here, not three steps later.
    assert page.locator(".user-name").inner_text().strip() == user.username


def sign_out(page: Any, base: str) -> None:
    with page.expect_navigation(url=f"{base}/login/", timeout=WAIT_MS):
        page.click("button:has-text('退出登录')")


def open_from_worklist(page: Any, base: str, key: str, number: str) -> None:
    """On the workbench, open the worklist `key` and click the case's row."""
    page.goto(f"{base}/cases/")
    page.click(f"a.wl-card[data-worklist='{key}']")
    # HTMX swaps the list in and pushes the worklist's URL; a click on a row before that
    # push would have its navigation cancelled by it (a person clicks much later).
    page.wait_for_url(f"{base}/cases/worklist/{key}/", timeout=WAIT_MS)
    page.wait_for_function("!document.querySelector('.htmx-request')", timeout=WAIT_MS)
    row = page.locator(f"section.wl-list[data-current='{key}'] tr.wl-row[data-number='{number}']")
    row.wait_for(timeout=WAIT_MS)
    with page.expect_navigation(url=f"{base}/cases/{number}/", timeout=WAIT_MS):
        row.locator("a.case-link").click()


def state_label(page: Any) -> str:
    return str(page.locator(".case-head .state-pill").inner_text()).strip()


def act(
    page: Any,
    name: str,
    *,
    texts: dict[str, str] | None = None,
    selects: dict[str, str] | None = None,
) -> None:
    """Fill the form of the move `name` on the detail page and submit it."""
    form = page.locator(f"form.action-form[data-transition='{name}']")
    for field, value in (texts or {}).items():
        form.locator(f"[name='{field}']").fill(value)
    for field, value in (selects or {}).items():
        form.locator(f"select[name='{field}']").select_option(value)
    with page.expect_navigation(timeout=WAIT_MS):
        form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    # A refused move renders the page again with an error instead of redirecting.
    assert page.locator(".form-error, .field-error:not(:empty)").count() == 0, page.content()


def report_by_map(page: Any, title: str) -> str:
    """On /cases/new/: pick a matter type by name, click the spot on the map, submit."""
    page.fill("#new-type", "私搭")
    option = page.locator(".picker-option[data-code='06001'][data-kind='matter']")
    option.wait_for(timeout=WAIT_MS)
    option.click()
    assert page.input_value("input[name=type_code]") == "06001"
    page.fill("#id_title", title)

    page.wait_for_function("() => window.yiwangReportMap !== undefined", timeout=WAIT_MS)
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.yiwangReportMap.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [POINT_A[1], POINT_A[0]],
    )
    page.locator("#report-map").click(position={"x": x, "y": y})
    page.wait_for_function(
        "() => document.querySelector('#located').dataset.gridCode", timeout=WAIT_MS
    )
    assert page.locator("#located").get_attribute("data-grid-code") == "440304001001001"

    with page.expect_navigation(timeout=WAIT_MS):
        page.click("button[type=submit]:has-text('提交上报')")
    page.wait_for_load_state("load")
    return str(page.locator(".case-head .case-number").inner_text()).strip()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_case_walks_from_report_to_close_through_five_roles(
    browser_page: Any, live_server: Any, city: City, tmp_path: Any
) -> None:
    page = browser_page
    base = live_server.url
    u = city.users
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # 监督员 (street A) reports from the map.
    sign_in(page, base, u["inspector"], "/cases/new/")
    number = report_by_map(page, "人行道私搭雨棚")
    assert page.url == f"{base}/cases/{number}/"
    assert state_label(page) == "待受理"
    assert page.locator("h1").first.inner_text().strip() == "人行道私搭雨棚"
    sign_out(page, base)

    # 受理员: 待受理 → 受理.
    sign_in(page, base, u["operator"])
    open_from_worklist(page, base, "to_accept", number)
    assert state_label(page) == "待受理"
    act(page, "accept", texts={"note": "监督员上报，受理"})
    assert state_label(page) == "待立案"
    sign_out(page, base)

    # 值班长: 待立案 → 立案.
    sign_in(page, base, u["shift_lead"])
    open_from_worklist(page, base, "to_register", number)
    act(page, "register")
    assert state_label(page) == "待派遣"
    sign_out(page, base)

    # 派遣员: the suggestion (street A's 属地 office) is preselected; the dispatcher overrides it.
    sign_in(page, base, u["dispatcher"])
    open_from_worklist(page, base, "to_dispatch", number)
    department = page.locator("form[data-transition='dispatch'] select[name='department_id']")
    assert department.input_value() == str(city.office_a.pk)
    act(page, "dispatch", selects={"department_id": str(city.municipal.pk)})
    assert state_label(page) == "待接收"
    assert "已派遣至 福田区市政设施管理中心" in page.locator(".messages").inner_text()
    sign_out(page, base)

    # 处置人员 of the municipal department: accept the task, then report it done.
    sign_in(page, base, u["handler"])
    open_from_worklist(page, base, "to_handle", number)
    act(page, "accept_task")
    assert state_label(page) == "处置中"
    act(page, "finish", texts={"result": "雨棚已拆除，路面清理完毕"})
    assert state_label(page) == "待派发核查"
    assert page.locator("#case-result").inner_text().strip() == "雨棚已拆除，路面清理完毕"
    sign_out(page, base)

    # 受理员 sends the check to the inspector who reported it.
    sign_in(page, base, u["operator"])
    open_from_worklist(page, base, "to_send_check", number)
    act(page, "send_check", selects={"inspector_id": str(u["inspector"].pk)})
    assert state_label(page) == "核查中"
    sign_out(page, base)

    # 监督员 finds the check in their tasks and passes it.
    sign_in(page, base, u["inspector"])
    open_from_worklist(page, base, "check_tasks", number)
    act(page, "check_pass", texts={"note": "现场已恢复"})
    assert state_label(page) == "待结案"
    sign_out(page, base)

    # 值班长 closes the case.
    sign_in(page, base, u["shift_lead"])
    open_from_worklist(page, base, "to_close", number)
    act(page, "close")
    assert state_label(page) == "已结案"
    assert page.locator("#no-actions").is_visible()

    steps = page.locator("ol.timeline > li")
    seen = [
        (
            steps.nth(i).get_attribute("data-event"),
            steps.nth(i).locator(".tl-label").inner_text().strip(),
            steps.nth(i).locator(".tl-actor").inner_text().strip(),
        )
        for i in range(steps.count())
    ]
    inspector, operator = u["inspector"].username, u["operator"].username
    shift_lead, dispatcher = u["shift_lead"].username, u["dispatcher"].username
    handler = u["handler"].username
    assert seen == [
        ("report", "上报", f"{inspector}（监督员）"),
        ("accept", "受理", f"{operator}（受理员）"),
        ("register", "立案", f"{shift_lead}（值班长）"),
        ("dispatch", "派遣", f"{dispatcher}（派遣员）"),
        ("accept_task", "接收任务", f"{handler}（处置人员）"),
        ("finish", "处置完毕", f"{handler}（处置人员）"),
        ("send_check", "派发核查", f"{operator}（受理员）"),
        ("check_pass", "核查通过", f"{inspector}（监督员）"),
        ("close", "结案", f"{shift_lead}（值班长）"),
    ]
    dispatch_step = page.locator("ol.timeline > li[data-event='dispatch']").inner_text()
    assert "处置部门：福田区市政设施管理中心" in dispatch_step
    assert "（未采用建议部门）" in dispatch_step

    # Kept in the run's var dir (when set) so a person can look at the closed case.
    page.screenshot(
        path=os.path.join(os.environ.get("YIWANG_VAR_DIR") or tmp_path, "closed.png"),
        full_page=True,
    )
    assert errors == []
