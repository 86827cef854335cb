"""The read side of intake."""

from __future__ import annotations

from yiwang.intake.models import Submission


def submission_by_tracking_code(code: str) -> Submission | None:
    """A submission for its reporter (no login: the code is the secret)."""
    code = code.strip().upper()
    if not code or len(code) > 16:
        return None
    return (
        Submission.objects.select_related("case", "case__type").filter(tracking_code=code).first()
    )
