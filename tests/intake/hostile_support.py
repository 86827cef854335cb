"""What the hostile-input tests share."""

from __future__ import annotations

from django.test import Client

from yiwang.cases.models import Case, CasePhoto
from yiwang.intake.models import Submission
from yiwang.org.models import User

PHONE_REPORTS = "/api/intake/inspector/reports"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def readable(photo: CasePhoto) -> bool:
    """The stored file of a photo row is still there and holds an image."""
    storage = photo.file.storage
    if not storage.exists(photo.file.name):
        return False
    with storage.open(photo.file.name, "rb") as fh:
        head = fh.read(8)
    return head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"RIFF"))


def nothing_filed() -> bool:
    return not Case.objects.exists() and not Submission.objects.exists()


# A file that starts like a PNG (so a first look at its bytes passes) but cannot be decoded.
BROKEN_PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
