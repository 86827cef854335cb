"""Recording what a channel received and linking it to its case."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
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


def _fresh_tracking_codes(n: int) -> list[str]:
    """`n` distinct tracking codes that no submission holds yet (checked in chunks)."""
    codes: set[str] = set()
    while len(codes) < n:
        pool = list({new_tracking_code() for _ in range(n - len(codes))} - codes)
        taken: set[str] = set()
        for start in range(0, len(pool), 500):
            taken.update(
                Submission.objects.filter(tracking_code__in=pool[start : start + 500]).values_list(
                    "tracking_code", flat=True
                )
            )
        codes.update(code for code in pool if code not in taken)
    return list(codes)


def find_resend(channel: str, sender: str, external_id: str) -> Submission | None:
    if not external_id:
        return None
    return (
        Submission.objects.filter(channel=channel, sender=sender, external_id=external_id)
        .select_related("case")
        .first()
    )


@dataclass(frozen=True)
class NewSubmission:
    """One submission of a batch for `record_submissions`."""

    sender: str
    external_id: str
    case: Case | None
    contact_phone: str = ""


def record_submissions(
    channel: str,
    entries: Sequence[NewSubmission],
    *,
    created_by: User | None = None,
    now: datetime | None = None,
) -> list[Submission]:
    """`record_submission` for many at once, with one insert, in the order given (a hotline
    batch, a batch of alarms). Call inside the transaction that files their cases.

    Tracking codes are drawn and checked against the table together; two batches drawing the
    same code at the same instant (about 1 in 10^11 per pair) fail on the unique constraint
    like any other concurrent insert, as does a resend, and the caller retries or reports.
    """
    received = now or timezone.now()
    creator = created_by if created_by is not None and created_by.pk else None
    rows = [
        Submission(
            channel=channel,
            sender=entry.sender,
            external_id=entry.external_id,
            tracking_code=code,
            case=entry.case,
            contact_phone=entry.contact_phone,
            received_at=received,
            created_by=creator,
        )
        for entry, code in zip(entries, _fresh_tracking_codes(len(entries)), strict=True)
    ]
    return Submission.objects.bulk_create(rows, batch_size=500)
