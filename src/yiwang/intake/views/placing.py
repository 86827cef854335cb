"""Placing something that came without coordinates (a hotline order, an Open311 request) on
the map: what the place forms share."""

from __future__ import annotations

import math

from django.http import HttpRequest


def posted_point(request: HttpRequest) -> tuple[float, float] | None:
    """The (lon, lat) the place form posted, or None when either is not a finite number."""
    values = []
    for name in ("lon", "lat"):
        try:
            value = float(request.POST.get(name, ""))
        except (TypeError, ValueError):
            return None
        if not math.isfinite(value):
            return None
        values.append(value)
    return values[0], values[1]
