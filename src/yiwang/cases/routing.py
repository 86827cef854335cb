"""Which department should handle a case: declared rules, then the street's 属地 office.

Rules are matched in priority order (lowest number first); among rules of equal
priority the more specific one (type, then major category, then kind) wins.
The table is cached per process and reloaded when its generation changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from yiwang.cases.models import RoutingRule
from yiwang.catalog.models import ObjectType
from yiwang.core import generations
from yiwang.org.models import Department

GENERATION = "routing"


@dataclass(frozen=True)
class _Rule:
    priority: int
    specificity: int
    type_id: int | None
    kind: str
    major_code: str
    division_path: str
    department_id: int

    def matches(self, obj_type: ObjectType, division_path: str) -> bool:
        if not division_path.startswith(self.division_path):
            return False
        if self.type_id is not None:
            return self.type_id == obj_type.pk
        if self.kind and self.kind != obj_type.kind:
            return False
        return not self.major_code or self.major_code == obj_type.major_code


@dataclass(frozen=True)
class _Table:
    rules: tuple[_Rule, ...]
    territorial: dict[str, int]  # street division path → its 属地 department


_cache: tuple[int, _Table] | None = None


def _load() -> _Table:
    rules = []
    for r in RoutingRule.objects.filter(is_active=True, department__is_active=True).values(
        "priority", "type_id", "kind", "major_code", "division__path", "department_id"
    ):
        specificity = 3 if r["type_id"] else 2 if r["major_code"] else 1 if r["kind"] else 0
        rules.append(
            _Rule(
                r["priority"],
                specificity,
                r["type_id"],
                r["kind"],
                r["major_code"],
                r["division__path"],
                r["department_id"],
            )
        )
    rules.sort(key=lambda r: (r.priority, -r.specificity, -len(r.division_path)))
    territorial: dict[str, int] = {}
    for path, dept_id in (
        Department.objects.filter(kind=Department.Kind.TERRITORIAL, is_active=True)
        .order_by("-id")
        .values_list("division__path", "id")
    ):
        territorial[path] = dept_id
    return _Table(tuple(rules), territorial)


def _table() -> _Table:
    global _cache
    gen = generations.current(GENERATION)
    if _cache is None or _cache[0] != gen:
        _cache = (gen, _load())
    return _cache[1]


def suggest_department_id(obj_type: ObjectType, division_path: str) -> int | None:
    """The department a case of this type at this place should go to, or None."""
    table = _table()
    for rule in table.rules:
        if rule.matches(obj_type, division_path):
            return rule.department_id
    # Fall back to the 属地 office of the nearest division (street first) on the path.
    parts = [p for p in division_path.split("/") if p]
    for depth in range(len(parts), 0, -1):
        dept = table.territorial.get("/".join(parts[:depth]) + "/")
        if dept is not None:
            return dept
    return None
