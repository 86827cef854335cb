from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from yiwang.core.textinput import SafeText, model_max_length
from yiwang.org.models import User

# Long enough for any pass phrase; a megabyte would only cost the hasher's time.
MAX_PASSWORD_LENGTH = 4096


class TokenRequest(Schema):
    username: SafeText(model_max_length(User, "username"))  # type: ignore[valid-type]
    password: str = Field(max_length=MAX_PASSWORD_LENGTH)


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


class TokenOut(Schema):
    id: int
    prefix: str = Field(description="令牌的前 8 个字符，用于辨认；完整令牌只在签发时显示一次")
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime
