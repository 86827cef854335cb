"""Open311 requests sent with an address only, waiting for an operator to place them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Max, Min

from yiwang.geo import queries as geo_queries
from yiwang.intake.actions.channels import node_division
from yiwang.intake.models import (
    Open311Request,
)
from yiwang.org.models import Division, User

# ---- Open311 requests waiting for a location (address only) --------------------------------


@dataclass(frozen=True)
class UnplacedRequest:
    request: Open311Request
    token: str
    division: Division | None  # where the address resolves to (None: not resolved)


def open311_unplaced(user: User) -> list[UnplacedRequest]:
    """Address-only Open311 requests not yet placed, for an operator whose area the address
    resolves into (an address that resolves nowhere is for the node's own operators)."""
    from yiwang.core.scope import path_in_scope
    from yiwang.intake import addresses

    node = node_division()
    rows = (
        Open311Request.objects.select_related("submission", "service__type", "client")
        .filter(submission__case__isnull=True)
        .order_by("submission__received_at", "pk")
    )
    found: list[UnplacedRequest] = []
    for row in rows[:500]:
        resolved = addresses.resolve(row.address_string, node)
        division = None if resolved.outside else resolved.division
        if path_in_scope(user, (division or node).path):
            found.append(UnplacedRequest(row, row.submission.tracking_code, division))
    return found


def open311_map_bounds(user: User, division: Division | None) -> list[list[float]] | None:
    """Where to open the map to place a request: its division's grids, else the user's."""
    qs = geo_queries.grids(user)
    if division is not None:
        qs = qs.filter(division_path__startswith=division.path)
    box = qs.aggregate(
        west=Min("min_lon"), south=Min("min_lat"), east=Max("max_lon"), north=Max("max_lat")
    )
    if box["west"] is None:
        return geo_queries.scope_bounds(user)
    return [[box["south"], box["west"]], [box["north"], box["east"]]]
