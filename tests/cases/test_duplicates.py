"""Duplicates: candidates near in place and time, merge and unmerge through the workflow.

Distances are set with this file's own spherical geometry (a destination point on a
sphere of radius 6,371 km), never with the code under test; expected clocks are worked
out by hand on the wall clock (a 4-hour limit) so no calendar arithmetic is trusted.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any

import pytest
from case_steps import Loop, local, reload, snapshot
from django.test import Client

from case_support import POINT_A, POINT_B, City
from concurrency import run_together
from yiwang.cases import actions, duplicates, queries
from yiwang.cases.actions import reference
from yiwang.cases.models import Case, CaseEvent, CaseStageRecord, State
from yiwang.core.errors import ActionError, Conflict, InvalidInput, NotFound, PermissionDenied

R_EARTH = 6_371_000.0  # this file's own sphere


def moved(point: tuple[float, float], metres: float, bearing_deg: float) -> tuple[float, float]:
    """The point `metres` away from `point` (lon, lat) along `bearing_deg` (0 = north)."""
    lon1, lat1 = math.radians(point[0]), math.radians(point[1])
    d, b = metres / R_EARTH, math.radians(bearing_deg)
    lat2 = math.asin(math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(b))
    lon2 = lon1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(lat1), math.cos(d) - math.sin(lat1) * math.sin(lat2)
    )
    return math.degrees(lon2), math.degrees(lat2)


def haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * R_EARTH * math.asin(math.sqrt(h))


def numbers(user: Any, case: Case) -> list[str]:
    return [c.case.number for c in duplicates.candidates(user, case)]


def merge(
    loop: Loop, case: Case, into: Case, *, by: str = "operator", now: Any = None, **extra: Any
) -> Case:
    return actions.transition(
        loop.user(by),
        case.number,
        "merge",
        version=reload(case).version,
        inputs={"into": into.number, **extra},
        now=now,
    )


@pytest.fixture
def loop(city: City) -> Loop:
    return Loop(city)


# ---- candidates -----------------------------------------------------------------------------


def test_candidates_within_the_radius_by_great_circle_distance(city: City, loop: Loop) -> None:
    new = loop.report(source="public")
    inside = {b: loop.report(source="public", point=moved(POINT_A, 49, b)) for b in (0, 90, 225)}
    outside = {b: loop.report(source="public", point=moved(POINT_A, 51, b)) for b in (0, 90)}
    for case in (*inside.values(), *outside.values()):
        # The test's own geometry agrees with itself before the code is asked.
        d = haversine(POINT_A, (case.lon, case.lat))
        assert abs(d - (49 if case in inside.values() else 51)) < 0.01

    found = duplicates.candidates(city.users["operator"], new)
    assert sorted(c.case.number for c in found) == sorted(c.number for c in inside.values())
    for c in found:
        assert c.distance_m == pytest.approx(49, abs=0.05)
    # And from the far side: a 51 m case sees the new one (51 m) only if within its radius.
    assert new.number not in numbers(city.users["operator"], outside[0])
    assert new.number in numbers(city.users["operator"], inside[0])


def test_other_type_final_merged_and_old_cases_are_not_offered(city: City, loop: Loop) -> None:
    t0 = local(2026, 3, 10, 9)
    new = loop.report(source="public", now=t0)
    same = loop.report(source="public", now=t0 - timedelta(days=6, hours=23))
    loop.report(source="public", type_code="06002", now=t0)  # another type
    loop.report(source="public", now=t0 - timedelta(days=7, hours=1))  # outside the window
    loop.report(source="public", now=t0 + timedelta(days=7, hours=1))  # and after it
    voided = loop.report(source="public", now=t0)
    loop.step(voided, "void", note="重复")
    target = loop.report(source="public", now=t0)
    merged = loop.report(source="public", now=t0)
    merge(loop, merged, target)

    assert sorted(numbers(city.users["operator"], new)) == sorted([same.number, target.number])


def test_radius_and_window_per_type_from_the_rule_table(city: City, loop: Loop) -> None:
    t0 = local(2026, 3, 10, 9)
    new = loop.report(source="public", now=t0)
    at_80 = loop.report(source="public", point=moved(POINT_A, 80, 45), now=t0)
    at_120 = loop.report(source="public", point=moved(POINT_A, 120, 45), now=t0)
    three_days = loop.report(source="public", point=moved(POINT_A, 10, 0), now=t0 - timedelta(3))
    operator = city.users["operator"]
    assert numbers(operator, new) == [three_days.number]  # 50 m, 7 days by default

    # The whole 市容环境 class (kind + major 06): 100 m, but only 2 days.
    reference.set_duplicate_rule(
        city.root, kind="matter", major_code="06", radius_m=100, window_days=2
    )
    assert numbers(operator, new) == [at_80.number]
    # The type's own row wins over its class's.
    rule = reference.set_duplicate_rule(
        city.root, kind="matter", type_code="06001", radius_m=150, window_days=5
    )
    assert numbers(operator, new) == [three_days.number, at_80.number, at_120.number]
    assert duplicates.window_for(new.type) == duplicates.Window(150, 5)
    reference.delete_duplicate_rule(city.root, rule.pk)
    assert numbers(operator, new) == [at_80.number]

    # Only administrators edit the table, with sane bounds.
    with pytest.raises(PermissionDenied):
        reference.set_duplicate_rule(operator, radius_m=10, window_days=1)
    with pytest.raises(InvalidInput) as huge:
        reference.set_duplicate_rule(city.root, radius_m=50_000, window_days=1)
    assert huge.value.field == "radius_m"


def test_administrator_sets_a_rule_in_the_admin_and_it_is_audited(
    client: Client, city: City, loop: Loop, make_user: Any
) -> None:
    from yiwang.catalog.models import ObjectType
    from yiwang.core.models import AuditEntry

    new = loop.report(source="public")
    at_90 = loop.report(source="public", point=moved(POINT_A, 90, 10))
    admin = make_user("admin", "440304")
    client.force_login(admin)
    obj_type = ObjectType.objects.get(kind="matter", code="06001")
    form = {"kind": "", "major_code": "", "type": obj_type.pk, "_save": "保存"}
    refused = client.post(
        "/admin/cases/duplicaterule/add/", {**form, "radius_m": "0", "window_days": "3"}
    )
    assert refused.status_code == 200
    assert "查重半径应在 1 到 2000 米之间" in refused.content.decode()
    response = client.post(
        "/admin/cases/duplicaterule/add/", {**form, "radius_m": "100", "window_days": "3"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="cases.set_duplicate_rule")
    assert entry.actor == admin and entry.data["new"] == {"radius_m": 100, "window_days": 3}
    assert numbers(city.users["operator"], new) == [at_90.number]
    client.force_login(city.users["operator"])
    assert client.get("/admin/cases/duplicaterule/").status_code in (302, 403)


def test_candidates_follow_the_users_scope(city: City, loop: Loop, make_user: Any) -> None:
    reference.set_duplicate_rule(city.root, radius_m=2000, window_days=7)
    new = loop.report(source="public")
    across = loop.report(source="public", point=POINT_B)  # street B, about 1 km away
    assert numbers(city.users["operator"], new) == [across.number]
    street_a_operator = make_user("operator", "440304001")
    assert numbers(street_a_operator, new) == []


# ---- merge and unmerge ----------------------------------------------------------------------


def test_merge_and_unmerge_restore_state_and_clock(city: City, loop: Loop) -> None:
    # A 4-hour wall-clock limit for verification makes the clock easy to follow by hand.
    reference.set_time_limit(
        city.root, kind="matter", type_code="06001", stage="verify", urgency="normal",
        amount=4, unit="hours",
    )  # fmt: skip
    t0 = local(2026, 3, 2, 9)
    case = loop.report(source="public", now=t0)
    case = loop.step(case, "to_verify", now=t0)
    target = loop.report(source="public", now=t0)
    assert case.stage_due_at == local(2026, 3, 2, 13)
    target_version = target.version

    merged = merge(loop, case, target, now=t0 + timedelta(hours=1), note="同一处私搭乱建")
    stored = reload(merged)
    assert (stored.state, stored.merged_into_id, stored.resume_state) == (
        State.MERGED,
        target.pk,
        State.PENDING_VERIFY,
    )
    assert stored.stage_due_at is None  # the clock stands still
    record = CaseStageRecord.objects.get(case=case, finished_at__isnull=True)
    assert record.paused_at == t0 + timedelta(hours=1)
    # Both timelines say so; the target's state and version stay.
    move = CaseEvent.objects.filter(case=case).latest("id")
    assert (move.transition, move.data["into"], move.to_state) == ("merge", target.number, "merged")
    row = CaseEvent.objects.filter(case=target).latest("id")
    assert (row.transition, row.data, row.note) == (
        "merged_in",
        {"case": case.number},
        "同一处私搭乱建",
    )
    assert (row.from_state, row.to_state) == (State.REPORTED, State.REPORTED)
    assert reload(target).version == target_version
    assert queries.final_case(reload(case)).pk == target.pk
    assert queries.final_case(reload(target)).pk == target.pk

    # Undone five hours later: back where it was, with the 3 hours it had left.
    back = actions.transition(
        city.users["shift_lead"], case.number, "unmerge", version=stored.version,
        inputs={"note": "不是同一处"}, now=t0 + timedelta(hours=6),
    )  # fmt: skip
    stored = reload(back)
    assert (stored.state, stored.merged_into_id, stored.resume_state) == (
        State.PENDING_VERIFY,
        None,
        "",
    )
    assert stored.stage_due_at == local(2026, 3, 2, 18)
    record.refresh_from_db()
    assert (record.paused_at, record.due_at, record.suspended_seconds) == (
        None,
        local(2026, 3, 2, 18),
        5 * 3600,
    )
    row = CaseEvent.objects.filter(case=target).latest("id")
    assert (row.transition, row.data) == ("unmerged_out", {"case": case.number})
    assert queries.final_case(stored).pk == case.pk
    # Merged again later, as the same case: nothing of the first merge is in the way.
    merge(loop, stored, target)
    assert reload(case).state == State.MERGED


def test_chains_cycles_and_bad_targets_are_refused(city: City, loop: Loop) -> None:
    a, b, c = (loop.report(source="public") for _ in range(3))
    merge(loop, a, b)

    def refused(case: Case, into: str, **extra: Any) -> ActionError:
        before = snapshot(case.number)
        with pytest.raises(ActionError) as caught:
            actions.transition(
                city.users["operator"], case.number, "merge", version=reload(case).version,
                inputs={"into": into, **extra},
            )  # fmt: skip
        assert snapshot(case.number) == before
        return caught.value

    assert refused(c, a.number).code == "merge_target_merged"  # into a merged case: a chain
    assert refused(b, c.number).code == "merge_has_duplicates"  # b carries a: a chain
    assert refused(b, b.number).code == "merge_into_self"
    assert refused(b, "S0600120990101" + "00001").code == "merge_target_not_found"
    assert refused(b, "不是案卷号").code == "invalid"
    # The cycle b → a is refused both ways: a is merged, and b carries a.
    assert refused(b, a.number).code in ("merge_target_merged", "merge_has_duplicates")
    assert isinstance(refused(a, c.number), Conflict)  # a merged case only unmerges

    voided = loop.report(source="public")
    loop.step(voided, "void", note="无效")
    assert refused(c, voided.number).code == "merge_target_final"

    other_type = loop.report(source="public", type_code="06002")
    error = refused(c, other_type.number)
    assert (error.code, error.field) == ("merge_other_type", "into")
    # Explicitly allowed: the operator says it is the same problem reported under another type.
    merge(loop, c, other_type, other_type=True)
    assert reload(c).merged_into_id == other_type.pk
    assert CaseEvent.objects.filter(case=c).latest("id").data["other_type"] is True


def test_stale_version_role_and_scope_are_checked(city: City, loop: Loop, make_user: Any) -> None:
    a, b = loop.report(source="public"), loop.report(source="public")
    before, target_events = snapshot(a.number), CaseEvent.objects.filter(case=b).count()
    with pytest.raises(Conflict) as stale:
        actions.transition(
            city.users["operator"], a.number, "merge", version=a.version + 1,
            inputs={"into": b.number},
        )  # fmt: skip
    assert stale.value.code == "stale_version"
    for role in ("dispatcher", "leader", "inspector"):
        with pytest.raises(PermissionDenied):
            actions.transition(
                city.users[role], a.number, "merge", version=a.version, inputs={"into": b.number}
            )
    # Out of scope: the case itself, or the case to merge into.
    street_b = make_user("operator", "440304002")
    with pytest.raises(NotFound):
        actions.transition(street_b, a.number, "merge", version=1, inputs={"into": b.number})
    across = loop.report(source="public", point=POINT_B)
    with pytest.raises(InvalidInput) as hidden:
        actions.transition(street_b, across.number, "merge", version=1, inputs={"into": a.number})
    assert hidden.value.code == "merge_target_not_found"
    assert snapshot(a.number) == before
    assert CaseEvent.objects.filter(case=b).count() == target_events
    # A handler never sees a case before dispatch.
    with pytest.raises(NotFound):
        actions.transition(
            city.users["handler"], a.number, "merge", version=1, inputs={"into": b.number}
        )


def test_merge_from_the_early_states_only(city: City, loop: Loop) -> None:
    target = loop.report(source="public")
    for path in ("reported", "pending_verify", "pending_register"):
        case = loop.drive(path)
        merge(loop, case, target, by="shift_lead")
        assert reload(case).state == State.MERGED
    for path in ("verifying", "pending_dispatch", "handling", "void_requested", "closed"):
        case = loop.drive(path)
        with pytest.raises(Conflict) as late:
            merge(loop, case, target)
        assert late.value.code == "bad_state", path


def test_merged_cases_leave_every_worklist_and_come_back(city: City, loop: Loop) -> None:
    case = loop.drive("pending_verify")
    target = loop.report(source="public")
    operator, leader = city.users["operator"], city.users["leader"]

    def listed(user: Any, key: str) -> bool:
        return queries.worklist(user, key).filter(pk=case.pk).exists()

    assert listed(operator, "to_send_verify") and listed(leader, "open_cases")
    merged = merge(loop, case, target)
    for user in (operator, leader, city.users["shift_lead"], city.users["dispatcher"]):
        for wl in queries.worklists_for(user):
            assert not listed(user, wl.key), (user.role, wl.key)
    # Not offered as a duplicate of anything, but found by search with its target.
    assert case.number not in numbers(operator, loop.report(source="public"))
    found = queries.search(operator, queries.SearchFilters(number=case.number)).get()
    assert queries.merge_targets([found]) == {case.pk: target.number}
    actions.transition(
        operator, case.number, "unmerge", version=merged.version, inputs={"note": "误合并"}
    )
    assert listed(operator, "to_send_verify") and listed(leader, "open_cases")


def test_keep_separate_is_recorded_and_not_offered_again(city: City, loop: Loop) -> None:
    new, near, also = (loop.report(source="public") for _ in range(3))
    operator = city.users["operator"]
    assert sorted(numbers(operator, new)) == sorted([near.number, also.number])
    actions.keep_separate(operator, new.number, near.number)
    actions.keep_separate(operator, new.number, near.number)  # a second click: still one row
    assert numbers(operator, new) == [also.number]
    assert near.number not in numbers(operator, new) and new.number not in numbers(operator, near)
    rows = CaseEvent.objects.filter(transition="keep_separate")
    assert sorted((e.case_id, e.data["other"]) for e in rows) == sorted(
        [(new.pk, near.number), (near.pk, new.number)]
    )
    assert reload(new).version == new.version  # no move of either case
    with pytest.raises(PermissionDenied):
        actions.keep_separate(city.users["dispatcher"], new.number, also.number)


@pytest.mark.django_db(transaction=True)
def test_two_cases_merged_into_each_other_at_once(city: City) -> None:
    loop = Loop(city)
    for _ in range(3):
        a, b = loop.report(source="public"), loop.report(source="public")
        results = run_together(
            [lambda a=a, b=b: merge(loop, a, b), lambda a=a, b=b: merge(loop, b, a)]
        )
        wins = [r for r in results if isinstance(r, Case)]
        losses = [r for r in results if isinstance(r, ActionError)]
        assert (len(wins), len(losses)) == (1, 1), results
        assert losses[0].code in ("merge_target_merged", "merge_has_duplicates", "concurrent_merge")
        states = sorted(reload(c).state for c in (a, b))
        assert states == sorted([State.MERGED, State.REPORTED])
        merged = reload(wins[0])
        assert reload(Case.objects.get(pk=merged.merged_into_id)).merged_into_id is None


# ---- the page and the API -------------------------------------------------------------------


def test_page_shows_candidates_and_its_buttons_merge_keep_and_unmerge(
    client: Client, city: City, loop: Loop
) -> None:
    new = loop.drive("pending_verify")
    near = loop.report(source="public", point=moved(POINT_A, 30, 90))
    other = loop.report(source="public", point=moved(POINT_A, 12, 180))
    far = loop.report(source="public", point=moved(POINT_A, 70, 0))
    client.force_login(city.users["operator"])
    html = client.get(f"/cases/{new.number}/").content.decode()
    panel = html.split('id="duplicates"', 1)[1].split("</section>", 1)[0]
    # Nearest first, with distance, reported time and state.
    assert panel.index(other.number) < panel.index(near.number)
    assert far.number not in panel
    assert "相距 30 米" in panel and "相距 12 米" in panel
    assert f"{near.reported_at.astimezone(local(2026, 1, 1).tzinfo):%Y-%m-%d %H:%M}" in panel
    assert "待受理" in panel
    assert panel.count("合并到此案卷") == 2 and panel.count("保持独立") == 2
    assert 'id="dup-map"' in panel and "duplicates-map.js" in html
    assert "dup-map-data" in panel

    response = client.post(f"/cases/{new.number}/keep-separate/", {"other": other.number})
    assert response.status_code == 302
    panel = client.get(f"/cases/{new.number}/").content.decode().split('id="duplicates"', 1)[1]
    assert other.number not in panel.split("</section>", 1)[0]

    version = reload(new).version
    response = client.post(
        f"/cases/{new.number}/transition/merge/", {"version": version, "into": near.number}
    )
    assert response.status_code == 302
    assert reload(new).merged_into_id == near.pk
    html = client.get(f"/cases/{new.number}/").content.decode()
    assert 'id="merged-note"' in html and near.number in html
    assert 'data-transition="unmerge"' in html and "撤销合并" in html
    assert 'id="duplicates"' not in html
    target_html = client.get(f"/cases/{near.number}/").content.decode()
    merged_list = target_html.split('id="merged-cases"', 1)[1].split("</section>", 1)[0]
    assert new.number in merged_list
    assert "合并了重复案卷" in target_html  # the target's timeline row

    response = client.post(
        f"/cases/{new.number}/transition/unmerge/",
        {"version": reload(new).version, "note": "位置不同"},
    )
    assert response.status_code == 302
    assert reload(new).state == State.PENDING_VERIFY
    # Someone else's stale page: the merge button answers 409 and changes nothing.
    response = client.post(
        f"/cases/{new.number}/transition/merge/", {"version": version, "into": near.number}
    )
    assert response.status_code == 409
    assert reload(new).state == State.PENDING_VERIFY


def test_page_without_merge_rights_shows_no_buttons(client: Client, city: City, loop: Loop) -> None:
    new = loop.drive("pending_register")
    loop.report(source="public", point=moved(POINT_A, 20, 0))
    client.force_login(city.users["leader"])
    html = client.get(f"/cases/{new.number}/").content.decode()
    assert 'id="duplicates"' in html and "合并到此案卷" not in html
    response = client.post(f"/cases/{new.number}/keep-separate/", {"other": new.number})
    assert response.status_code == 403


def test_api_lists_candidates_and_merges_through_the_transition_endpoint(
    client: Client, city: City, loop: Loop
) -> None:
    new = loop.report(source="public")
    near = loop.report(source="public", point=moved(POINT_A, 40, 300))
    client.force_login(city.users["operator"])
    body = client.get(f"/api/cases/{new.number}/duplicates").json()
    assert (body["radius_m"], body["window_days"], body["mergeable"]) == (50, 7, True)
    [candidate] = body["candidates"]
    assert candidate["number"] == near.number
    assert candidate["distance_m"] == pytest.approx(40, abs=0.1)
    assert "merge" in client.get(f"/api/cases/{new.number}").json()["allowed_transitions"]

    bad = client.post(
        f"/api/cases/{new.number}/transitions/merge",
        {"version": 1, "into": new.number},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "merge_into_self"
    done = client.post(
        f"/api/cases/{new.number}/transitions/merge",
        {"version": 1, "into": near.number.lower()},
        content_type="application/json",
    )
    assert done.status_code == 200, done.json()
    assert (done.json()["state"], done.json()["merged_into"]) == ("merged", near.number)
    assert client.get(f"/api/cases/{near.number}").json()["merged_cases"] == [new.number]
    listed = client.get("/api/cases", {"number": new.number}).json()["items"]
    assert [(i["state"], i["merged_into"]) for i in listed] == [("merged", near.number)]
    assert client.get(f"/api/cases/{new.number}/duplicates").json()["mergeable"] is False
    missing = client.get("/api/cases/S060012099010100001/duplicates")
    assert missing.status_code == 404

    undone = client.post(
        f"/api/cases/{new.number}/transitions/unmerge",
        {"version": 2},
        content_type="application/json",
    )
    assert undone.status_code == 400 and undone.json()["field"] == "note"
    undone = client.post(
        f"/api/cases/{new.number}/transitions/unmerge",
        {"version": 2, "note": "不是同一处"},
        content_type="application/json",
    )
    assert undone.status_code == 200 and undone.json()["merged_into"] is None
    assert re.fullmatch(r"[A-Z][0-9]+", near.number)


RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_operator_merges_from_the_map_panel_in_a_browser(
    browser_page: Any, live_server: Any, city: City
) -> None:
    loop = Loop(city)
    new = loop.drive("pending_verify")
    near = loop.report(source="public", point=moved(POINT_A, 25, 60), title="同一处占道经营")
    loop.report(source="public", point=moved(POINT_A, 41, 200))
    page, base = browser_page, live_server.url
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{base}/login/")
    page.fill("#id_username", city.users["operator"].username)
    page.fill("#id_password", "test-pass-123")
    with page.expect_navigation(url=f"{base}/"):
        page.click("button[type=submit]:has-text('登录')")

    page.goto(f"{base}/cases/{new.number}/")
    page.wait_for_selector("#dup-map.leaflet-container")
    markers = page.locator("#dup-map .dup-marker")
    assert markers.count() == 2
    assert sorted(markers.all_inner_texts()) == ["1", "2"]
    page.wait_for_load_state("networkidle")
    page.screenshot(path="/tmp/yw-duplicates.png", full_page=True)
    assert page.evaluate("window.__csp") == [] and problems == []

    row = page.locator(f".dup-item[data-number='{near.number}']")
    assert "相距 25 米" in row.inner_text()
    with page.expect_navigation(url=f"{base}/cases/{new.number}/"):
        row.locator("button:has-text('合并到此案卷')").click()
    assert page.locator("#merged-note").is_visible()
    assert page.locator("#merged-into").inner_text() == near.number
    page.screenshot(path="/tmp/yw-merged.png", full_page=True)
    assert reload(new).merged_into_id == near.pk


def test_search_shows_merged_cases_with_their_target_without_a_query_per_row(
    client: Client, city: City, loop: Loop
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    target = loop.report(source="public", title="主案卷")
    client.force_login(city.users["operator"])

    def merged_page(count: int) -> tuple[str, int]:
        for _ in range(count):
            merge(loop, loop.report(source="public", title="重复上报"), target)
        with CaptureQueriesContext(connection) as queries_run:
            html = client.get("/cases/search/", {"q": "重复上报"}).content.decode()
        return html, len(queries_run.captured_queries)

    html, few = merged_page(2)
    assert html.count(f'→ <a href="/cases/{target.number}/"') == 2
    html, many = merged_page(4)
    assert html.count(f'→ <a href="/cases/{target.number}/"') == 6
    assert many == few
