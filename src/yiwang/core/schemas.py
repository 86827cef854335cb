"""API shapes shared by every app."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """Every refusal: a stable code, a Chinese message, the field it concerns."""

    code: str
    message: str
    field: str | None = None
    details: Any = None
