"""In a real browser under the Content-Security-Policy: the main pages load with no violation
and still work (HTMX swaps, maps, pickers, the API docs)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from case_support import City
from yiwang.cases.models import Case

PASSWORD = "test-pass-123"
SHOTS = "/tmp/yw-csp"
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_main_pages_work_with_no_csp_violation(
    browser_page: Any, live_server: Any, city: City, hotline_case: Case
) -> None:
    operator, case = city.users["operator"], hotline_case
    page, base = browser_page, live_server.url
    os.makedirs(SHOTS, exist_ok=True)
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {page.url} {m.text} {m.location}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    page.add_init_script(RECORD_VIOLATIONS)
    violations: list[str] = []

    def settle(name: str) -> None:
        page.wait_for_load_state("networkidle")
        violations.extend(f"{name}: {v}" for v in page.evaluate("window.__csp || []"))
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)

    # Login page, then sign in (a form post under form-action 'self').
    answer = page.goto(f"{base}/login/")
    # The browser is held to the policy (without it, "no violation" would prove nothing).
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    settle("login")
    page.fill("#id_username", operator.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation(url=f"{base}/"):
        page.click("button[type=submit]:has-text('登录')")
    settle("home")
    assert page.locator(".user-name").inner_text().strip() == operator.username

    # Workbench → a worklist swapped in by HTMX → the case's detail with its map.
    page.goto(f"{base}/cases/")
    page.click("a.wl-card[data-worklist='to_accept']")
    page.wait_for_url(f"{base}/cases/worklist/to_accept/")
    page.wait_for_function("!document.querySelector('.htmx-request')")
    row = page.locator(f"tr.wl-row[data-number='{case.number}']")
    row.wait_for()
    settle("worklist")
    with page.expect_navigation(url=f"{base}/cases/{case.number}/"):
        row.locator("a.case-link").click()
    page.wait_for_selector(".leaflet-container")
    settle("case-detail")
    assert case.title in page.content()

    # New case: the type picker answers as one types.
    page.goto(f"{base}/cases/new/")
    page.fill("#new-type", "井盖")
    page.wait_for_selector(".picker-option[data-code='01001']")
    page.wait_for_selector("#report-map.leaflet-container")
    settle("new-case")

    # Map: the district's grids drawn by the map script.
    page.goto(f"{base}/map/")
    page.wait_for_selector(".grid-label:has-text('440304001001001')")
    settle("map")

    # Search: typing refreshes the results through HTMX.
    page.goto(f"{base}/cases/search/")
    page.fill(".search-text >> nth=0", case.number)
    page.wait_for_selector(f"tr[data-number='{case.number}']")
    settle("search")

    # The API docs: Swagger UI renders from local files under the same policy.
    page.goto(f"{base}/api/docs")
    page.wait_for_selector(".swagger-ui .opblock")
    settle("api-docs")

    # My tokens, then sign out; the Django admin as the installation's administrator.
    page.goto(f"{base}/account/tokens/")
    settle("tokens")
    with page.expect_navigation(url=f"{base}/login/"):
        page.click(".sign-out-panel button[type=submit]")
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "root-pass-123")
    with page.expect_navigation(url=f"{base}/admin/"):
        page.click("input[type=submit]")
    settle("admin")
    page.goto(f"{base}/admin/org/user/")
    page.wait_for_selector("#result_list")
    settle("admin-users")
    page.goto(f"{base}/account/lockouts/")
    settle("lockouts")

    refused = [c for c in console if "Content Security Policy" in c or "Refused to" in c]
    assert violations == [] and refused == [], violations + refused
    assert not [c for c in console if c.startswith("pageerror")], console
