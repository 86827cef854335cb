"""Reporting a case at most once per idempotency key.

The new-case form carries a hidden token and `POST /api/cases` an `Idempotency-Key`
header (draft-ietf-httpapi-idempotency-key-header). The key is stored per user, with a
fingerprint of the validated report, in the transaction that creates the case; the
unique (user, key) pair makes a second, concurrent submit fail at the insert and roll
back, after which it answers with the first one's case. A key lives 24 hours; the worker
prunes older ones.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from yiwang.cases.actions.reporting import Report, build_report, report_cases
from yiwang.cases.models import Case, IdempotencyKey
from yiwang.core import audit
from yiwang.core.errors import ActionError, Conflict, InvalidInput
from yiwang.org.models import User

KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255
# Printable ASCII without surrounding blanks (a header value loses them in transit); a
# quoted structured-field string ("…") may not be empty.
KEY_PATTERN = (
    r'^(?:[\x21\x23-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?|"|"[\x20-\x7e]*[\x21\x23-\x7e]'
    r'|"[\x20-\x7e]+")$'
)
KEY_FIELD = "Idempotency-Key"


class KeyReused(ActionError):
    """The same key with a different request (the draft's 422 Unprocessable Content)."""

    status = 422


@dataclass(frozen=True)
class Reported:
    case: Case
    replayed: bool  # True when an earlier request with the same key created the case


def clean_key(raw: str) -> str:
    """The key as sent, or as a quoted structured-field string ("…"); printable ASCII."""
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key or len(key) > MAX_KEY_LENGTH or not (key.isascii() and key.isprintable()):
        raise InvalidInput(
            "bad_idempotency_key",
            f"幂等键应为 1–{MAX_KEY_LENGTH} 个可打印的 ASCII 字符。",
            KEY_FIELD,
        )
    return key


def fingerprint(report: Report) -> str:
    canonical = json.dumps(dataclasses.asdict(report), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def report_case_once(
    actor: User, key: str, *, now: datetime | None = None, **fields: Any
) -> Reported:
    """Report one case, or return the case an earlier request with this key created."""
    key = clean_key(key)
    report = build_report(actor, fields)
    digest = fingerprint(report)
    now = now or timezone.now()
    earlier = _earlier(actor, key, digest, now)
    if earlier is not None:
        return Reported(earlier, replayed=True)
    try:
        with transaction.atomic():
            # An expired key not yet pruned may be used again.
            IdempotencyKey.objects.filter(
                user=actor, key=key, created_at__lte=now - KEY_LIFETIME
            ).delete()
            case = report_cases(actor, [report], now=now)[0]
            IdempotencyKey.objects.create(
                user=actor, key=key, fingerprint=digest, case=case, created_at=now
            )
    except IntegrityError:
        # A concurrent request with the same key committed first: its case is the answer.
        earlier = _earlier(actor, key, digest, now)
        if earlier is None:
            raise Conflict(
                "idempotency_key_in_use", "使用相同幂等键的请求正在处理中，请稍后重试。", KEY_FIELD
            ) from None
        return Reported(earlier, replayed=True)
    return Reported(case, replayed=False)


def _earlier(actor: User, key: str, digest: str, now: datetime) -> Case | None:
    found = (
        IdempotencyKey.objects.filter(user=actor, key=key, created_at__gt=now - KEY_LIFETIME)
        .select_related("case")
        .first()
    )
    if found is None:
        return None
    if found.fingerprint != digest:
        raise KeyReused(
            "idempotency_key_reused",
            f"该幂等键已用于登记另一份不同的上报（案卷 {found.case.number}），"
            "新的上报请使用新的幂等键。",
            KEY_FIELD,
            number=found.case.number,
        )
    return found.case


@transaction.atomic
def prune_idempotency_keys(*, now: datetime | None = None) -> int:
    """Delete keys past their lifetime (housekeeping run by the worker)."""
    now = now or timezone.now()
    expired = IdempotencyKey.objects.filter(created_at__lte=now - KEY_LIFETIME)
    count = expired.count()
    if count:
        expired.delete()
        audit.record(
            None,
            "cases.prune_idempotency_keys",
            ("cases.idempotencykey", "*"),
            f"清理过期幂等键 {count} 个",
        )
    return count
