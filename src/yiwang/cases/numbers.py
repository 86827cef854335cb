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
    CaseSequence.objects.get_or_create(day=day)
    seq = CaseSequence.objects.select_for_update().get(day=day)
    CaseSequence.objects.filter(day=day).update(value=F("value") + count)
    return day, seq.value + 1


def format_number(kind: str, type_code: str, day: str, sequence: int) -> str:
    return f"{KIND_LETTER[kind]}{type_code}{day}{sequence:05d}"
