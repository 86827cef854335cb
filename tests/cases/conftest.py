"""A small city for case-loop tests: two streets, a grid each, departments, a user per role."""

from __future__ import annotations

from typing import Any

import pytest
from case_support import POINT_A, City, square

from yiwang.cases import actions as case_actions
from yiwang.cases.models import Case
from yiwang.geo import actions as geo_actions
from yiwang.org import actions as org_actions
from yiwang.org.models import Division, User


@pytest.fixture
def city(root: User, org_tree: dict[str, Division], make_user: Any) -> City:
    geo_actions.create_grid(
        root,
        code="440304001001001",
        name="南华一号网格",
        community_code="440304001001",
        geometry=square(114.050, 22.540),
    )
    geo_actions.create_grid(
        root,
        code="440304002001001",
        name="园东一号网格",
        community_code="440304002001",
        geometry=square(114.060, 22.540),
    )
    municipal = org_actions.create_department(
        root, name="福田区市政设施管理中心", kind="professional", division_code="440304"
    )
    office_a = org_actions.create_department(
        root, name="南园街道办事处", kind="territorial", division_code="440304001"
    )
    users = {
        role: make_user(role, "440304")
        for role in ("operator", "shift_lead", "dispatcher", "leader")
    }
    users["inspector"] = make_user("inspector", "440304001")
    users["handler"] = make_user("handler", "440304", department=municipal)
    return City(
        root=root,
        municipal=municipal,
        office_a=office_a,
        users=users,
        inspector_b=make_user("inspector", "440304002"),
        handler_office_a=make_user("handler", "440304001", department=office_a),
    )


@pytest.fixture
def hotline_case(city: City) -> Case:
    """One case reported from the 12345 hotline by the operator, in street A's grid."""
    return case_actions.report_case(
        city.users["operator"],
        kind="matter",
        type_code="06001",
        title="人行道私搭乱建",
        lon=POINT_A[0],
        lat=POINT_A[1],
        source="hotline",
    )
