"""What every channel's reads share: submissions by tracking code."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from yiwang.intake.models import (
    Submission,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG), metres


def submission_by_tracking_code(code: str) -> Submission | None:
    """A submission for its reporter (no login: the code is the secret)."""
    code = code.strip().upper()
    if not code or len(code) > 16:
        return None
    return (
        Submission.objects.select_related("case", "case__type").filter(tracking_code=code).first()
    )
