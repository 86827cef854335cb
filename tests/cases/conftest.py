"""Case-loop fixtures; the small city itself (`city`) is in tests/conftest.py."""

from __future__ import annotations

import pytest

from case_support import POINT_A, City
from yiwang.cases import actions as case_actions
from yiwang.cases.models import Case


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
