"""Routing: which department a case is suggested to; the dispatcher may override it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from case_support import POINT_A, POINT_B, City
from yiwang.cases import actions
from yiwang.cases.actions import reference
from yiwang.cases.models import CaseEvent, RoutingRule
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.core.models import AuditEntry, Generation
from yiwang.org import actions as org_actions
from yiwang.org.models import Department


@dataclass
class Depts:
    sanitation: Department  # 专业部门, district
    parks: Department  # 专业部门, district
    office_b: Department  # 属地 office of street B


@pytest.fixture
def depts(city: City) -> Depts:
    make = org_actions.create_department
    return Depts(
        sanitation=make(
            city.root, name="福田区环卫中心", kind="professional", division_code="440304"
        ),
        parks=make(city.root, name="福田区园林中心", kind="professional", division_code="440304"),
        office_b=make(
            city.root, name="园岭街道办事处", kind="territorial", division_code="440304002"
        ),
    )


def suggested(city: City, code: str, point: tuple[float, float] = POINT_A) -> int | None:
    case = actions.report_case(
        city.users["inspector"] if point == POINT_A else city.inspector_b,
        kind="matter",
        type_code=code,
        title="测试案卷",
        lon=point[0],
        lat=point[1],
    )
    return case.suggested_department_id


def rule(city: City, dept: Department, division: str = "440304", **kw: Any) -> RoutingRule:
    return reference.add_routing_rule(
        city.root, division_code=division, department_id=dept.pk, kind="matter", **kw
    )


def test_without_rules_the_streets_territorial_office_is_suggested(
    city: City, depts: Depts
) -> None:
    assert suggested(city, "06001", POINT_A) == city.office_a.pk
    assert suggested(city, "06001", POINT_B) == depts.office_b.pk


def test_type_rule_beats_major_rule_beats_fallback(city: City, depts: Depts) -> None:
    rule(city, depts.sanitation, major_code="06")
    rule(city, depts.parks, type_code="06001")
    assert suggested(city, "06001") == depts.parks.pk  # its own type
    assert suggested(city, "06002") == depts.sanitation.pk  # same major
    assert suggested(city, "07001") == city.office_a.pk  # no rule: 属地


def test_lower_priority_number_wins_over_specificity(city: City, depts: Depts) -> None:
    rule(city, depts.parks, type_code="06001", priority=50)
    major = rule(city, depts.sanitation, major_code="06", priority=10)
    assert suggested(city, "06001") == depts.sanitation.pk
    reference.update_routing_rule(city.root, major.pk, priority=90)
    assert suggested(city, "06001") == depts.parks.pk


def test_rule_limited_to_street_a_does_not_apply_in_street_b(city: City, depts: Depts) -> None:
    rule(city, city.municipal, division="440304001", type_code="07001")
    assert suggested(city, "07001", POINT_A) == city.municipal.pk
    assert suggested(city, "07001", POINT_B) == depts.office_b.pk


def test_inactive_rule_is_ignored(city: City, depts: Depts) -> None:
    r = rule(city, depts.parks, type_code="06001")
    assert suggested(city, "06001") == depts.parks.pk
    reference.update_routing_rule(city.root, r.pk, is_active=False)
    assert suggested(city, "06001") == city.office_a.pk
    reference.update_routing_rule(city.root, r.pk, is_active=True)
    assert suggested(city, "06001") == depts.parks.pk
    reference.delete_routing_rule(city.root, r.pk)
    assert suggested(city, "06001") == city.office_a.pk


def _deactivate_in_org_admin(client: Any, city: City, dept: Department) -> None:
    client.force_login(city.root)
    response = client.post(
        f"/admin/org/department/{dept.pk}/change/",
        {"name": dept.name, "kind": dept.kind, "credit_code": "", "_save": "保存"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    dept.refresh_from_db()
    assert not dept.is_active


def test_rules_of_an_inactive_department_are_ignored(client: Any, city: City, depts: Depts) -> None:
    rule(city, depts.parks, type_code="06001")
    rule(city, depts.sanitation, type_code="06001", priority=200)
    _deactivate_in_org_admin(client, city, depts.parks)
    assert suggested(city, "06001") == depts.sanitation.pk


def test_deactivating_a_department_reaches_a_loaded_routing_table(
    client: Any, city: City, depts: Depts
) -> None:
    rule(city, depts.parks, type_code="06001")
    assert suggested(city, "06001") == depts.parks.pk  # table loaded in this process
    _deactivate_in_org_admin(client, city, depts.parks)
    assert suggested(city, "06001") == city.office_a.pk


def test_territorial_office_created_after_the_table_was_loaded(city: City) -> None:
    assert suggested(city, "06001", POINT_B) is None  # street B has no office yet
    office_b = org_actions.create_department(
        city.root, name="园岭街道办事处", kind="territorial", division_code="440304002"
    )
    assert suggested(city, "06001", POINT_B) == office_b.pk


def test_suggestion_is_stored_and_the_dispatcher_may_override(city: City, depts: Depts) -> None:
    rule(city, depts.sanitation, major_code="06")
    u = city.users

    def to_dispatch() -> Any:
        case = actions.report_case(
            u["inspector"], kind="matter", type_code="06001", title="乱堆物料",
            lon=POINT_A[0], lat=POINT_A[1],
        )  # fmt: skip
        assert case.suggested_department_id == depts.sanitation.pk
        case = actions.transition(u["operator"], case.number, "accept", version=case.version)
        return actions.transition(u["shift_lead"], case.number, "register", version=case.version)

    followed = to_dispatch()
    followed = actions.transition(
        u["dispatcher"], followed.number, "dispatch", version=followed.version,
        inputs={"department_id": depts.sanitation.pk},
    )  # fmt: skip
    event = CaseEvent.objects.get(case=followed, transition="dispatch")
    assert "overrode_suggestion" not in event.data

    overridden = to_dispatch()
    overridden = actions.transition(
        u["dispatcher"], overridden.number, "dispatch", version=overridden.version,
        inputs={"department_id": city.municipal.pk},
    )  # fmt: skip
    assert overridden.department_id == city.municipal.pk
    assert overridden.suggested_department_id == depts.sanitation.pk  # kept for the record
    event = CaseEvent.objects.get(case=overridden, transition="dispatch")
    assert event.data["overrode_suggestion"] is True
    assert event.data["department"] == city.municipal.name


# ---- the rule actions ------------------------------------------------------------------------


def test_rule_changes_are_audited_and_bump_the_routing_generation(city: City, depts: Depts) -> None:
    def generation() -> int | None:
        return Generation.objects.filter(name="routing").values_list("value", flat=True).first()

    g0 = generation()
    r = rule(city, depts.parks, major_code="06", priority=5)
    g1 = generation()
    reference.update_routing_rule(city.root, r.pk, priority=6)
    g2 = generation()
    reference.delete_routing_rule(city.root, r.pk)
    g3 = generation()
    assert len({g0, g1, g2, g3}) == 4
    entries = AuditEntry.objects.filter(object_type="cases.routingrule", object_id=str(r.pk))
    assert sorted(entries.values_list("action", flat=True)) == [
        "cases.add_routing_rule",
        "cases.delete_routing_rule",
        "cases.update_routing_rule",
    ]
    update = entries.get(action="cases.update_routing_rule")
    assert update.actor == city.root
    assert update.data["changed"] == ["priority"]
    assert (update.data["old"]["priority"], update.data["new"]["priority"]) == (5, 6)


def test_department_must_cover_the_rules_area(city: City, depts: Depts) -> None:
    # A street office cannot take the whole district, nor the neighbouring street.
    with pytest.raises(InvalidInput) as err:
        rule(city, city.office_a, division="440304", major_code="06")
    assert err.value.code == "department_out_of_area"
    with pytest.raises(InvalidInput):
        rule(city, city.office_a, division="440304002", major_code="06")
    # … but its own street, or a community in it, is fine.
    assert rule(city, city.office_a, division="440304001", major_code="06").pk
    assert rule(city, city.office_a, division="440304001001", major_code="07").pk


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"type_code": "99999"}, "unknown_type"),
        ({"major_code": "99"}, "unknown_major"),
        ({"major_code": "06", "type_code": "07001"}, "major_mismatch"),
        ({"priority": -1}, "invalid_priority"),
        ({"priority": "高"}, "invalid_priority"),
    ],
)
def test_bad_rules_are_refused_and_nothing_is_written(
    city: City, depts: Depts, kw: dict[str, Any], code: str
) -> None:
    before = RoutingRule.objects.count(), AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as err:
        rule(city, depts.parks, **kw)
    assert err.value.code == code
    assert (RoutingRule.objects.count(), AuditEntry.objects.count()) == before


def test_major_without_kind_and_unknown_division_are_refused(city: City, depts: Depts) -> None:
    with pytest.raises(InvalidInput) as err:
        reference.add_routing_rule(
            city.root, division_code="440304", department_id=depts.parks.pk, major_code="06"
        )
    assert err.value.code == "kind_required"
    with pytest.raises(NotFound):
        reference.add_routing_rule(
            city.root, division_code="440304999", department_id=depts.parks.pk
        )
    with pytest.raises(NotFound):
        reference.add_routing_rule(city.root, division_code="440304", department_id=999_999)


def test_duplicate_active_rule_is_refused(city: City, depts: Depts) -> None:
    first = rule(city, depts.parks, major_code="06")
    with pytest.raises(InvalidInput) as err:
        rule(city, depts.parks, major_code="06", priority=7)
    assert err.value.code == "duplicate_rule"
    reference.update_routing_rule(city.root, first.pk, is_active=False)
    assert rule(city, depts.parks, major_code="06", priority=7).is_active


def test_only_administrators_in_scope_edit_rules(city: City, depts: Depts, make_user: Any) -> None:
    with pytest.raises(PermissionDenied):
        reference.add_routing_rule(
            city.users["dispatcher"], division_code="440304", department_id=depts.parks.pk
        )
    street_admin = make_user("admin", "440304001")
    own = reference.add_routing_rule(
        street_admin, division_code="440304001", department_id=city.office_a.pk
    )
    assert own.division.code == "440304001"
    with pytest.raises(PermissionDenied) as err:
        reference.add_routing_rule(
            street_admin, division_code="440304002", department_id=depts.office_b.pk
        )
    assert err.value.code == "out_of_scope"
    district_rule = rule(city, depts.parks, major_code="06")
    with pytest.raises(PermissionDenied):
        reference.update_routing_rule(street_admin, district_rule.pk, priority=1)
    with pytest.raises(PermissionDenied):
        reference.delete_routing_rule(street_admin, district_rule.pk)


def test_update_can_turn_a_type_rule_into_a_major_rule(city: City, depts: Depts) -> None:
    r = rule(city, depts.parks, type_code="06001")
    assert suggested(city, "06002") == city.office_a.pk
    reference.update_routing_rule(city.root, r.pk, type_code=None, major_code="06")
    assert suggested(city, "06002") == depts.parks.pk


def test_rule_for_an_inactive_department_is_refused(client: Any, city: City, depts: Depts) -> None:
    _deactivate_in_org_admin(client, city, depts.parks)
    with pytest.raises(InvalidInput) as err:
        rule(city, depts.parks, major_code="06")
    assert err.value.code == "department_inactive"
