"""Case numbers: kind letter + type code + local date + daily sequence, e.g. S0600120261125 00042.

Unique per node and never reused: the daily counter lives in its own row and is
advanced inside the reporting transaction.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import F

from yiwang.cases.models import CaseSequence

SHANGHAI = ZoneInfo("Asia/Shanghai")
KIND_LETTER = {"component": "B", "matter": "S"}  # 部件 / 事件


def reserve(now: datetime, count: int = 1) -> tuple[str, int]:
    """Reserve `count` consecutive numbers for the local day of `now`; returns (day, first)."""
    day = now.astimezone(SHANGHAI).strftime("%Y%m%d")
    counter = CaseSequence.objects.filter(day=day)
    # The UPDATE takes the row lock first (concurrent reporters queue behind it), so the
    # value read after it is this transaction's own; only a day's first report creates the row.
    if not counter.update(value=F("value") + count):
        CaseSequence.objects.get_or_create(day=day)
        counter.update(value=F("value") + count)
    last = counter.values_list("value", flat=True).get()
    return day, last - count + 1


def format_number(kind: str, type_code: str, day: str, sequence: int) -> str:
    return f"{KIND_LETTER[kind]}{type_code}{day}{sequence:05d}"
