"""Business errors with a stable code, a Chinese message and the offending field.

Actions raise these; the API turns them into ``{code, message, field}`` with the
status given here, and pages show the message next to the field.
"""

from __future__ import annotations

from typing import Any


class ActionError(Exception):
    status = 400

    def __init__(self, code: str, message: str, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "field": self.field}
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(ActionError):
    status = 400


class PermissionDenied(ActionError):
    status = 403


class NotFound(ActionError):
    status = 404


class Conflict(ActionError):
    status = 409


class TooManyRequests(ActionError):
    """Refused for now (a lockout, a rate limit); ``retry_after`` says in how many seconds."""

    status = 429

    def __init__(
        self, code: str, message: str, field: str | None = None, *, retry_after: int, **details: Any
    ) -> None:
        super().__init__(code, message, field, **details)
        self.retry_after = max(1, retry_after)
