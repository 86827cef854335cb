"""Recording what a channel received and linking it to its case."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from yiwang.cases.models import Case
from yiwang.intake.models import Submission
from yiwang.org.models import User

# Crockford-like alphabet: no 0/O, 1/I/L, so a code read over the phone survives.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_LENGTH = 10  # 31^10 ≈ 8e14: not guessable by enumeration


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def record_submission(
    *,
    channel: str,
    case: Case | None,
    sender: str = "",
    external_id: str = "",
    contact_phone: str = "",
    created_by: User | None = None,
    now: datetime | None = None,
) -> Submission:
    """Store one submission. Call inside the transaction that creates or finds its case.

    A resend (same channel, sender and external id) violates the unique constraint; the
    caller looks the first one up with `find_resend` before filing a case.
    """
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Submission.objects.create(
                    channel=channel,
                    sender=sender,
                    external_id=external_id,
                    tracking_code=new_tracking_code(),
                    case=case,
                    contact_phone=contact_phone,
                    received_at=now or timezone.now(),
                    created_by=created_by if created_by is not None and created_by.pk else None,
                )
        except IntegrityError:
            # A tracking-code collision is retried; a resend is the caller's to detect first.
            if find_resend(channel, sender, external_id) is not None:
                raise
    raise RuntimeError("could not draw a unique tracking code")


def _tracking_codes(n: int) -> list[str]:
    """`n` codes like `new_tracking_code`, from one call to the random source: a 64-bit
    number per code written in base 31 (the modulo bias, 2^64 mod 31^10 out of 2^64, is
    below 1 in 20,000 and leaves the codes as unguessable)."""
    space = len(TRACKING_ALPHABET) ** TRACKING_LENGTH
    raw = secrets.token_bytes(8 * n)
    codes = []
    for i in range(n):
        value = int.from_bytes(raw[8 * i : 8 * i + 8], "big") % space
        chars = []
        for _ in range(TRACKING_LENGTH):
            value, digit = divmod(value, len(TRACKING_ALPHABET))
            chars.append(TRACKING_ALPHABET[digit])
        codes.append("".join(chars))
    return codes


def find_resend(channel: str, sender: str, external_id: str) -> Submission | None:
    if not external_id:
        return None
    return (
        Submission.objects.filter(channel=channel, sender=sender, external_id=external_id)
        .select_related("case")
        .first()
    )


def record_submissions(
    channel: str,
    items: Sequence[tuple[str, str, Case | None]],
    *,
    created_by: User | None = None,
    now: datetime | None = None,
) -> list[Submission]:
    """`record_submission` for many (sender, external_id, case) at once: one INSERT, for
    machine channels that receive in batches (alarms). Call inside the caller's transaction;
    a resend or a tracking-code collision (about 1 in 10^14 per row) raises IntegrityError,
    on which the caller retries its transaction after looking the resends up."""
    received = now or timezone.now()
    creator = created_by if created_by is not None and created_by.pk else None
    rows = [
        Submission(
            channel=channel,
            sender=sender,
            external_id=external_id,
            tracking_code=code,
            case=case,
            received_at=received,
            created_by=creator,
        )
        for (sender, external_id, case), code in zip(
            items, _tracking_codes(len(items)), strict=True
        )
    ]
    return Submission.objects.bulk_create(rows)
