"""Organisation, grids, departments, staff and components of the demo district."""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from yiwang.catalog import actions as catalog_actions
from yiwang.catalog.models import Component, ObjectType
from yiwang.geo import actions as geo_actions
from yiwang.geo.models import UnitGrid
from yiwang.org import actions as org_actions
from yiwang.org.models import Department, Division, User

DISTRICT = "440304"  # 深圳市福田区
PASSWORD = "yiwang-demo"

STREETS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("440304001", "南园街道", [("001", "南华社区"), ("002", "南园社区"), ("003", "滨江社区")]),
    ("440304002", "园岭街道", [("001", "园东社区"), ("002", "百花社区"), ("003", "红荔社区")]),
    ("440304003", "福田街道", [("001", "福安社区"), ("002", "岗厦社区"), ("003", "皇岗社区")]),
]

# (name, kind, division) — professional departments of the district and each street's office.
DEPARTMENTS: list[tuple[str, str, str]] = [
    ("福田区市政设施管理中心", "professional", DISTRICT),
    ("福田区环境卫生管理处", "professional", DISTRICT),
    ("福田区园林绿化管理所", "professional", DISTRICT),
    ("福田区交通运输局", "professional", DISTRICT),
    ("福田区城市管理综合执法大队", "professional", DISTRICT),
    ("福田区水务局", "professional", DISTRICT),
    ("福田区燃气安全管理所", "professional", DISTRICT),
    *[(f"{name}办事处", "territorial", code) for code, name, _ in STREETS],
]

# Component major category → the department that looks after it (主管部门).
AUTHORITY_BY_MAJOR = {
    "01": "福田区市政设施管理中心",
    "02": "福田区交通运输局",
    "03": "福田区环境卫生管理处",
    "04": "福田区园林绿化管理所",
    "05": "福田区城市管理综合执法大队",
}

# username, role, display name, division, department
STAFF: list[tuple[str, str, str, str, str | None]] = [
    ("inspector", "inspector", "张监督", "440304001", None),
    ("operator", "operator", "李受理", DISTRICT, None),
    ("shiftlead", "shift_lead", "王值班", DISTRICT, None),
    ("dispatcher", "dispatcher", "赵派遣", DISTRICT, None),
    ("handler", "handler", "陈处置", DISTRICT, "福田区市政设施管理中心"),
    ("leader", "leader", "刘领导", DISTRICT, None),
]

# The lattice: 18 columns × 17 rows of ~100 m cells over 福田 (WGS84 south-west corner).
ORIGIN_LON, ORIGIN_LAT = 114.0400, 22.5300
COLUMNS, ROWS = 18, 17
CELL_M = 100.0
ROW_BANDS = [(0, 6), (6, 12), (12, 17)]  # rows of the 3 communities within a street
COMPONENT_COUNT = 1000

Advance = Callable[[int], None]


def _ignore(_n: int) -> None:
    return None


@dataclass(frozen=True)
class Cell:
    code: str
    name: str
    community_code: str
    region_class: int
    ring: list[list[float]]


def _cell_size() -> tuple[float, float]:
    lat = math.radians(ORIGIN_LAT + 0.0075)
    dlon = CELL_M / (111_320.0 * math.cos(lat))
    dlat = CELL_M / 110_574.0
    return dlon, dlat


def lattice() -> list[Cell]:
    dlon, dlat = _cell_size()
    cells: list[Cell] = []
    for s, (street_code, _street_name, communities) in enumerate(STREETS):
        for (row0, row1), (suffix, community_name) in zip(ROW_BANDS, communities, strict=True):
            community_code = f"{street_code}{suffix}"
            serial = 0
            for row in range(row0, row1):
                for col in range(s * 6, s * 6 + 6):
                    serial += 1
                    x0, y0 = ORIGIN_LON + col * dlon, ORIGIN_LAT + row * dlat
                    x1, y1 = x0 + dlon, y0 + dlat
                    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
                    central = 4 <= col <= 13 and 4 <= row <= 12
                    cells.append(
                        Cell(
                            code=f"{community_code}{serial:03d}",
                            name=f"{community_name}第{serial}网格",
                            community_code=community_code,
                            region_class=1 if central else 2,
                            ring=[[round(x, 7), round(y, 7)] for x, y in ring],
                        )
                    )
    return cells


def ensure_admin() -> User:
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        admin = org_actions.bootstrap_admin(
            username="admin", password=PASSWORD, division_code=DISTRICT, display_name="系统管理员"
        )
    return admin


def organisation_size() -> int:
    """How many divisions, departments and staff `ensure_organisation` looks after."""
    return sum(1 + len(c) for _, _, c in STREETS) + len(DEPARTMENTS) + len(STAFF)


def ensure_organisation(admin: User, advance: Advance = _ignore) -> None:
    existing = set(
        Division.objects.filter(code__startswith=DISTRICT).values_list("code", flat=True)
    )
    for street_code, street_name, communities in STREETS:
        if street_code not in existing:
            org_actions.create_division(
                admin, code=street_code, name=street_name, level="street", parent_code=DISTRICT
            )
        advance(1)
        for suffix, name in communities:
            code = f"{street_code}{suffix}"
            if code not in existing:
                org_actions.create_division(
                    admin, code=code, name=name, level="community", parent_code=street_code
                )
            advance(1)
    have = set(Department.objects.values_list("division__code", "name"))
    for name, kind, division in DEPARTMENTS:
        if (division, name) not in have:
            org_actions.create_department(admin, name=name, kind=kind, division_code=division)
        advance(1)
    departments = dict(Department.objects.values_list("name", "id"))
    users = set(User.objects.values_list("username", flat=True))
    for username, role, display, division, department in STAFF:
        if username not in users:
            org_actions.create_staff(
                admin,
                username=username,
                password=PASSWORD,
                role=role,
                division_code=division,
                display_name=display,
                department_id=departments[department] if department else None,
            )
        advance(1)


def ensure_grids(admin: User, advance: Advance = _ignore) -> int:
    """Import the missing grids, one community per import."""
    existing = set(UnitGrid.objects.values_list("code", flat=True))
    created = 0
    for _community, group in groupby(lattice(), key=lambda c: c.community_code):
        cells = list(group)
        features = [
            {
                "type": "Feature",
                "properties": {
                    "code": c.code,
                    "name": c.name,
                    "community": c.community_code,
                    "region_class": c.region_class,
                },
                "geometry": {"type": "Polygon", "coordinates": [c.ring]},
            }
            for c in cells
            if c.code not in existing
        ]
        if features:
            geo_actions.import_grids(admin, {"type": "FeatureCollection", "features": features})
            created += len(features)
        advance(len(cells))
    return created


def _component_rows() -> list[dict[str, Any]]:
    rng = random.Random(20261125)
    types = list(
        ObjectType.objects.filter(kind="component", is_local=False)
        .order_by("code")
        .values_list("code", "major_code", "name")
    )
    dlon, dlat = _cell_size()
    states = ["intact"] * 16 + ["damaged"] * 2 + ["lost", "abandoned"]
    serials: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    for _ in range(COMPONENT_COUNT):
        # Manholes, lamps and bins are far more common than telephone kiosks.
        code, major, name = types[min(int(rng.expovariate(1 / 25)), len(types) - 1)]
        serials[code] = serials.get(code, 0) + 1
        # Keep a small margin from cell borders so every point lies inside one grid.
        col, row = rng.randrange(COLUMNS), rng.randrange(ROWS)
        lon = ORIGIN_LON + (col + rng.uniform(0.05, 0.95)) * dlon
        lat = ORIGIN_LAT + (row + rng.uniform(0.05, 0.95)) * dlat
        year = rng.randint(2015, 2025)
        rows.append(
            {
                "ident": f"{DISTRICT}{code}{serials[code]:06d}",
                "type_code": code,
                "name": name,
                "lon": f"{lon:.7f}",
                "lat": f"{lat:.7f}",
                "state": rng.choice(states),
                "authority_name": AUTHORITY_BY_MAJOR.get(major, ""),
                "owner": AUTHORITY_BY_MAJOR.get(major, ""),
                "maintainer": f"深圳市福田{'市政' if major == '01' else '城市'}养护有限公司",
                "initial_date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "data_source": "2025年部件普查（演示数据）",
            }
        )
    return rows


def ensure_components(admin: User, advance: Advance = _ignore, chunk: int = COMPONENT_COUNT) -> int:
    """Import the missing components, `chunk` records per import."""
    rows = _component_rows()
    existing = set(Component.objects.values_list("ident", flat=True))
    created = 0
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        missing = [r for r in part if r["ident"] not in existing]
        if missing:
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=list(missing[0].keys()))
            writer.writeheader()
            writer.writerows(missing)
            catalog_actions.import_components(admin, buffer.getvalue(), fmt="csv")
            created += len(missing)
        advance(len(part))
    return created
