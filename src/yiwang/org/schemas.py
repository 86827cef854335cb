from __future__ import annotations

from datetime import datetime

from ninja import Schema


class TokenRequest(Schema):
    username: str
    password: str


class TokenResponse(Schema):
    token: str
    token_type: str = "Bearer"
    expires_at: datetime


class DivisionRef(Schema):
    code: str
    name: str
    level: str


class Me(Schema):
    username: str
    display_name: str
    role: str
    role_label: str
    division: DivisionRef | None
    department: str | None
