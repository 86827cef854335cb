"""API shapes shared by every app."""

from __future__ import annotations

from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError


class ErrorOut(Schema):
    """Every refusal of the API: a stable code, a Chinese message, the offending field."""

    code: str
    message: str
    field: str | None = None
    details: Any = None


# The largest id or counter a query may name: SQLite and PostgreSQL integers are 64-bit,
# and a larger number would overflow in the database driver (a 500) instead of matching
# nothing.
MAX_DB_INT = 2**63 - 1


def _no_bool(value: Any) -> Any:
    # JSON true/false are not numbers here, though Python would read true as 1.
    if isinstance(value, bool):
        raise PydanticCustomError("not_a_number", _("应为数字，而不是 true/false。"))
    return value


# An id (primary key) named by the caller: a whole number within the database's range;
# 1.9 is refused rather than read as 1.
# (The bounds come before the validator so the document shows them as minimum/maximum.)
Id = Annotated[int, Field(ge=1, le=MAX_DB_INT), BeforeValidator(_no_bool)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False), BeforeValidator(_no_bool)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False), BeforeValidator(_no_bool)]
