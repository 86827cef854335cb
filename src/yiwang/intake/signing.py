"""HMAC-SHA256 signatures of webhook bodies, both directions (docs/intake.md).

signature = "sha256=" + hex(HMAC-SHA256(secret, "<timestamp>." + body)), where timestamp
is the Unix time in whole seconds sent in its own header. Signing the timestamp with the
body lets the receiver refuse an old request replayed later, and any change to the body
or the time breaks the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SYSTEM_HEADER = "X-Yiwang-System"
TIMESTAMP_HEADER = "X-Yiwang-Timestamp"
SIGNATURE_HEADER = "X-Yiwang-Signature"
PREFIX = "sha256="


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return PREFIX + mac.hexdigest()


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body)}


def check(
    secret: str, timestamp: str, signature: str, body: bytes, *, now: float, tolerance: int
) -> str | None:
    """None when the signature is right and fresh, else why not: a stable error code."""
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return "bad_timestamp"
    if abs(now - int(timestamp)) > tolerance:
        return "stale_request"
    given = signature.strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(sign(secret, timestamp, body).encode("ascii"), given):
        return "bad_signature"
    return None
