"""The Django admin of the case loop: reference edits go through the actions (audited,
generation bumped), refusals show on the form, cases are read-only."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from case_support import POINT_A, City
from yiwang.cases import actions
from yiwang.cases.actions import reference
from yiwang.cases.models import CalendarDay, Case, RoutingRule, TimeLimit, WorkPeriod
from yiwang.catalog.models import ObjectType
from yiwang.core.models import AuditEntry, Generation
from yiwang.org.models import User

SH = ZoneInfo("Asia/Shanghai")


def generation(name: str) -> int | None:
    return Generation.objects.filter(name=name).values_list("value", flat=True).first()


@pytest.fixture
def admin_user(make_user: Any) -> User:
    return make_user("admin", "440304")


def handle_row() -> TimeLimit:
    return TimeLimit.objects.get(kind="matter", major_code="06", stage="handle", urgency="normal")


def test_administrator_edits_a_time_limit_and_it_is_audited(client: Any, admin_user: User) -> None:
    row = handle_row()
    url = f"/admin/cases/timelimit/{row.pk}/change/"
    client.force_login(admin_user)
    page = client.get(url)
    assert page.status_code == 200
    assert "事项大类 06" in page.content.decode()
    g0 = generation("time_limits")

    response = client.post(url, {"amount": "6", "unit": "work_hours", "_save": "保存"})

    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.amount, row.unit) == (Decimal(6), "work_hours")
    entry = AuditEntry.objects.get(action="cases.set_time_limit", object_id=str(row.pk))
    assert entry.actor == admin_user
    assert entry.data["old"] == {"amount": "4.00", "unit": "work_hours"}
    assert generation("time_limits") != g0
    # The key of the row did not move.
    assert (row.kind, row.major_code, row.stage, row.urgency) == (
        "matter",
        "06",
        "handle",
        "normal",
    )


def test_a_refused_edit_shows_on_the_form_and_changes_nothing(
    client: Any, admin_user: User
) -> None:
    row = handle_row()
    client.force_login(admin_user)
    response = client.post(
        f"/admin/cases/timelimit/{row.pk}/change/",
        {"amount": "300", "unit": "work_days", "_save": "保存"},
    )
    assert response.status_code == 200
    assert "时限不能超过 250 工作日" in response.content.decode()
    row.refresh_from_db()
    assert (row.amount, row.unit) == (Decimal(4), "work_hours")
    assert not AuditEntry.objects.filter(action="cases.set_time_limit").exists()


def test_non_administrators_cannot_edit_time_limits(client: Any, make_user: Any) -> None:
    row = handle_row()
    url = f"/admin/cases/timelimit/{row.pk}/change/"
    for role in ("dispatcher", "leader"):
        client.force_login(make_user(role, "440304"))
        assert client.get(url).status_code == 302  # to the admin login
        client.post(url, {"amount": "9", "unit": "work_days", "_save": "保存"})
        row.refresh_from_db()
        assert (row.amount, row.unit) == (Decimal(4), "work_hours")
    assert not AuditEntry.objects.filter(action="cases.set_time_limit").exists()


def test_staff_without_the_admin_role_is_refused(client: Any, make_user: Any) -> None:
    # is_staff alone (e.g. set by a superuser in the user admin) does not open these tables.
    user = make_user("leader", "440304")
    User.objects.filter(pk=user.pk).update(is_staff=True)
    client.force_login(user)
    assert client.get("/admin/cases/timelimit/").status_code == 403


def test_adding_a_type_row_through_the_admin(client: Any, admin_user: User) -> None:
    obj_type = ObjectType.objects.get(kind="matter", code="06001")
    client.force_login(admin_user)
    response = client.post(
        "/admin/cases/timelimit/add/",
        {
            "kind": "",
            "major_code": "",
            "type": obj_type.pk,
            "urgency": "normal",
            "stage": "check",
            "amount": "1",
            "unit": "work_days",
            "_save": "保存",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    row = TimeLimit.objects.get(type=obj_type, stage="check", urgency="normal")
    assert (row.kind, row.major_code, row.amount, row.unit) == ("", "", Decimal(1), "work_days")
    assert AuditEntry.objects.filter(action="cases.set_time_limit", object_id=str(row.pk)).exists()


def test_global_rows_cannot_be_deleted_in_the_admin(client: Any, admin_user: User) -> None:
    glob = TimeLimit.objects.get(
        type=None, kind="", major_code="", stage="handle", urgency="normal"
    )
    client.force_login(admin_user)
    assert client.get(f"/admin/cases/timelimit/{glob.pk}/delete/").status_code == 403
    # A bulk delete that includes a global row is refused as a whole and names it.
    major = handle_row()
    response = client.post(
        "/admin/cases/timelimit/",
        {"action": "delete_selected", "_selected_action": [glob.pk, major.pk], "post": "yes"},
    )
    assert response.status_code == 200
    assert "默认时限，保证每个类型都有时限，不能删除" in response.content.decode()
    assert TimeLimit.objects.filter(pk__in=[glob.pk, major.pk]).count() == 2
    # Without it, the rows go one by one through the action.
    response = client.post(
        "/admin/cases/timelimit/",
        {"action": "delete_selected", "_selected_action": [major.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not TimeLimit.objects.filter(pk=major.pk).exists()
    assert AuditEntry.objects.filter(action="cases.delete_time_limit").count() == 1


def test_calendar_warning_on_the_holiday_changelist(client: Any, admin_user: User) -> None:
    this_year = datetime.now(SH).year
    # Seeded years (2004–2026) are complete; a later current year is marked by hand first,
    # as an administrator would once its holidays are entered.
    reference.mark_year_complete(admin_user, this_year)
    client.force_login(admin_user)
    page = client.get("/admin/cases/calendarday/").content.decode()
    assert f"{this_year} 年节假日数据尚未维护" not in page
    reference.unmark_year(admin_user, this_year)
    page = client.get("/admin/cases/calendarday/").content.decode()
    assert f"{this_year} 年节假日数据尚未维护" in page


def test_calendar_day_added_through_the_admin(client: Any, admin_user: User) -> None:
    client.force_login(admin_user)
    g0 = generation("calendar")
    response = client.post(
        "/admin/cases/calendarday/add/",
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦", "_save": "保存"},
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get(date=date(2027, 1, 1)).name == "元旦"
    assert AuditEntry.objects.filter(action="cases.set_calendar_day").count() == 1
    assert generation("calendar") != g0
    # Deleting goes through clear_calendar_day.
    row = CalendarDay.objects.get(date=date(2027, 1, 1))
    response = client.post(f"/admin/cases/calendarday/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="cases.clear_calendar_day").count() == 1


def test_overlapping_work_period_is_refused_on_the_form(client: Any, admin_user: User) -> None:
    client.force_login(admin_user)
    response = client.post(
        "/admin/cases/workperiod/add/", {"start": "11:00", "end": "13:00", "_save": "保存"}
    )
    assert response.status_code == 200
    assert "重叠" in response.content.decode()
    assert WorkPeriod.objects.count() == 2
    morning = WorkPeriod.objects.order_by("start").first()
    assert morning is not None
    response = client.post(
        f"/admin/cases/workperiod/{morning.pk}/change/",
        {"start": "08:30", "end": "12:00", "_save": "保存"},
    )
    assert response.status_code == 302
    assert [(p.start.hour, p.start.minute) for p in WorkPeriod.objects.order_by("start")] == [
        (8, 30),
        (14, 0),
    ]
    assert AuditEntry.objects.filter(action="cases.set_work_periods").count() == 1


def test_routing_rule_added_through_the_admin(client: Any, city: City) -> None:
    client.force_login(city.root)
    obj_type = ObjectType.objects.get(kind="matter", code="06001")
    form = {
        "priority": "100",
        "kind": "",
        "major_code": "",
        "type": obj_type.pk,
        "division": city.office_a.division_id,
        "department": city.municipal.pk,
        "is_active": "on",
        "_save": "保存",
    }
    response = client.post("/admin/cases/routingrule/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = RoutingRule.objects.get()
    assert rule.department == city.municipal
    assert AuditEntry.objects.filter(action="cases.add_routing_rule").count() == 1
    # A street office for the whole district is refused next to the department field.
    response = client.post(
        "/admin/cases/routingrule/add/",
        {**form, "department": city.office_a.pk, "division": city.municipal.division_id},
    )
    assert response.status_code == 200
    assert "不负责" in response.content.decode()
    # Switching the rule off is an update through the action.
    response = client.post(f"/admin/cases/routingrule/{rule.pk}/change/", {**form, "is_active": ""})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert not rule.is_active
    entry = AuditEntry.objects.get(action="cases.update_routing_rule")
    assert entry.data["changed"] == ["is_active"]


def test_cases_are_read_only_in_the_admin(client: Any, city: City) -> None:
    case = actions.report_case(
        city.users["inspector"], kind="matter", type_code="06001", title="占道经营",
        lon=POINT_A[0], lat=POINT_A[1],
    )  # fmt: skip
    client.force_login(city.root)
    listing = client.get("/admin/cases/case/?q=" + case.number[:6])
    assert listing.status_code == 200
    assert case.number in listing.content.decode()
    assert client.get("/admin/cases/case/add/").status_code == 403
    detail = client.get(f"/admin/cases/case/{case.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    response = client.post(f"/admin/cases/case/{case.pk}/change/", {"title": "改过的"})
    assert response.status_code == 403
    assert client.get(f"/admin/cases/case/{case.pk}/delete/").status_code == 403
    assert Case.objects.get(pk=case.pk).title == "占道经营"


@pytest.mark.parametrize(
    "model", ["case", "timelimit", "routingrule", "calendarday", "calendaryear", "workperiod"]
)
def test_every_page_opens_for_an_administrator(client: Any, admin_user: User, model: str) -> None:
    client.force_login(admin_user)
    assert client.get(f"/admin/cases/{model}/").status_code == 200
    add = client.get(f"/admin/cases/{model}/add/")
    assert add.status_code == (403 if model == "case" else 200)
    index = client.get("/admin/").content.decode()
    assert "处置时限" in index and "派遣规则" in index


def test_a_reporters_phone_is_masked_in_the_admin_for_an_administrator(
    client: Any, city: City, admin_user: User
) -> None:
    case = actions.report_case(
        city.users["operator"], kind="matter", type_code="06001", title="垃圾堆积",
        lon=POINT_A[0], lat=POINT_A[1], source="public",
        contact_name="张女士", contact_phone="13812345678",
    )  # fmt: skip
    client.force_login(admin_user)
    page = client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    assert "138****5678" in page
    assert "13812345678" not in page
    # The installation's superuser (who can see everything anyway) sees the number.
    client.force_login(city.root)
    page = client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    assert "13812345678" in page
