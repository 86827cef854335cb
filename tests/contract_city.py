"""A small city for the API contract test, built through the actions as users would build it.

One district (福田区) with two streets, a unit grid in each, a department, a reported case
and a registered component, and an administrator of the district whose password is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yiwang.cases import actions as case_actions
from yiwang.catalog import actions as catalog_actions
from yiwang.geo import actions as geo_actions
from yiwang.org import actions as org_actions
from yiwang.org.models import User

ADMIN_PASSWORD = "contract-pass-123"


def _square(lon: float, lat: float, size: float = 0.002) -> dict[str, Any]:
    east, north = round(lon + size, 9), round(lat + size, 9)
    return {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [east, lat], [east, north], [lon, north], [lon, lat]]],
    }


@dataclass(frozen=True)
class ContractCity:
    admin_username: str
    admin_password: str
    case_number: str
    grid_code: str
    component_ident: str


def build_contract_city() -> ContractCity:
    root = User.objects.create_superuser("root", "root@example.invalid", "root-pass-123")
    division = org_actions.create_division
    division(root, code="440304001", name="南园街道", level="street", parent_code="440304")
    division(root, code="440304002", name="园岭街道", level="street", parent_code="440304")
    division(root, code="440304001001", name="南华社区", level="community", parent_code="440304001")
    division(root, code="440304002001", name="园东社区", level="community", parent_code="440304002")
    grid = geo_actions.create_grid(
        root,
        code="440304001001001",
        name="南华一号网格",
        community_code="440304001001",
        geometry=_square(114.050, 22.540),
    )
    geo_actions.create_grid(
        root,
        code="440304002001001",
        name="园东一号网格",
        community_code="440304002001",
        geometry=_square(114.060, 22.540),
    )
    org_actions.create_department(
        root, name="福田区市政设施管理中心", kind="professional", division_code="440304"
    )
    admin = org_actions.create_staff(
        root, username="admin1", password=ADMIN_PASSWORD, role="admin", division_code="440304"
    )
    case = case_actions.report_case(
        admin,
        kind="matter",
        type_code="06001",
        source="hotline",
        title="人行道私搭乱建",
        lon=114.051,
        lat=22.541,
    )
    ident = "440304" + "01066" + "000001"
    catalog_actions.import_components(
        admin,
        f"ident,name,lon,lat\n{ident},紧急报警点,114.0511,22.5411\n",
        fmt="csv",
    )
    return ContractCity(
        admin_username=admin.username,
        admin_password=ADMIN_PASSWORD,
        case_number=case.number,
        grid_code=grid.code,
        component_ident=ident,
    )
