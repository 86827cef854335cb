"""Scoped reads of the type catalogue and the component inventory."""

from __future__ import annotations

import math

from django.db.models import Q, QuerySet

from yiwang.catalog.models import Component, Kind, ObjectType
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.scope import scoped
from yiwang.org.models import User

BBox = tuple[float, float, float, float]


def parse_kind(kind: str | None, field: str = "kind") -> str | None:
    """``None``/blank for all kinds, else ``component`` or ``matter``."""
    if kind is None or not kind.strip():
        return None
    kind = kind.strip()
    if kind not in Kind.values:
        raise InvalidInput("invalid_kind", "类型应为 component（部件）或 matter（事项）。", field)
    return kind


def parse_bbox(value: str | None, field: str = "bbox") -> BBox | None:
    """Parse ``minlon,minlat,maxlon,maxlat`` (WGS84 degrees); blank means no box."""
    if value is None or not value.strip():
        return None
    parts = value.split(",")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise InvalidInput(
            "invalid_bbox", "范围应为 最小经度,最小纬度,最大经度,最大纬度 四个数字。", field
        )
    min_lon, min_lat, max_lon, max_lat = numbers
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise InvalidInput(
            "invalid_bbox",
            "范围不合法：最小值不能大于最大值，经度在 ±180、纬度在 ±90 之内。",
            field,
        )
    return min_lon, min_lat, max_lon, max_lat


def types(
    user: User | None = None,
    *,
    kind: str | None = None,
    q: str | None = None,
    active: bool | None = None,
) -> QuerySet[ObjectType]:
    """The catalogue, visible to every signed-in user (``user=None`` for system use).

    ``q`` matches a code prefix, or part of the name or major name (case-insensitive,
    so "sos" finds 紧急报警点SOS). ``active`` limits to enabled (True) or disabled types.
    """
    qs = ObjectType.objects.all()
    if user is not None and not (getattr(user, "is_authenticated", False) and user.is_active):
        return qs.none()
    kind = parse_kind(kind)
    if kind:
        qs = qs.filter(kind=kind)
    if q and q.strip():
        term = q.strip()
        qs = qs.filter(
            Q(code__startswith=term) | Q(name__icontains=term) | Q(major_name__icontains=term)
        )
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("kind", "code")


def component_types(user: User | None = None) -> QuerySet[ObjectType]:
    return types(user, kind=Kind.COMPONENT)


def components(
    user: User,
    *,
    bbox: BBox | None = None,
    type_code: str | None = None,
    grid_code: str | None = None,
    street_code: str | None = None,
    community_code: str | None = None,
    state: str | None = None,
    q: str | None = None,
) -> QuerySet[Component]:
    """Components in the user's scope, optionally filtered; related rows joined in."""
    qs = scoped(
        Component.objects.select_related("type", "grid", "street", "community"),
        user,
        "division_path",
    )
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        qs = qs.filter(lon__gte=min_lon, lon__lte=max_lon, lat__gte=min_lat, lat__lte=max_lat)
    if type_code:
        qs = qs.filter(type__code=type_code.strip())
    if grid_code:
        qs = qs.filter(grid__code=grid_code.strip())
    if street_code:
        qs = qs.filter(street__code=street_code.strip())
    if community_code:
        qs = qs.filter(community__code=community_code.strip())
    if state:
        state = state.strip()
        if state not in Component.State.values:
            raise InvalidInput(
                "invalid_state", "状态应为 intact、damaged、lost、abandoned 或 removed。", "state"
            )
        qs = qs.filter(state=state)
    if q and q.strip():
        term = q.strip()
        qs = qs.filter(Q(ident__startswith=term) | Q(name__icontains=term))
    return qs.order_by("ident")


def component_detail(user: User, ident: str) -> Component:
    """One component in scope; out-of-scope ids look exactly like unknown ones."""
    component = components(user).filter(ident=str(ident).strip()).first()
    if component is None:
        raise NotFound("component_not_found", f"部件 {ident} 不存在或不在您的管辖范围内。", "ident")
    return component
