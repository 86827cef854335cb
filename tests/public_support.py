"""What the public-reporting tests share: the form as a visitor fills it, real image bytes."""

from __future__ import annotations

import struct
import uuid
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from case_support import POINT_A
from yiwang.cases import actions as case_actions
from yiwang.cases.actions.photos import Upload
from yiwang.cases.models import Case
from yiwang.intake.actions import public as public_actions
from yiwang.intake.models import PublicService, Submission
from yiwang.org.models import User

URL = "/report/"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """Each test stores photos in its own directory (and can count the files left)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


def service_id(code: str = "01001") -> int:
    """The public list's entry for a matter type (seeded from the catalogue by migration)."""
    return PublicService.objects.get(type__kind="matter", type__code=code).pk


def form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": str(service_id()),
        "lon": str(POINT_A[0]),
        "lat": str(POINT_A[1]),
        "description": "井盖破损，有行人踩空的危险",
        "address": "深南大道与华富路交叉口东北角",
        "phone": "",
        "website": "",
        "token": uuid.uuid4().hex,
    }
    data.update(overrides)
    return data


def png(width: int = 4, height: int = 3, seed: int = 0) -> bytes:
    """A real RGB PNG, built by hand so the tests do not trust the code under test."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = bytes([0]) + bytes((x * 7 + seed) % 256 for x in range(width * 3))
    pixels = zlib.compress(row * height)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def photo(name: str = "scene.jpg", content: bytes | None = None, kind: str = "image/png") -> Any:
    return SimpleUploadedFile(name, png() if content is None else content, content_type=kind)


def post(client: Client, data: dict[str, Any], **extra: Any) -> Any:
    return client.post(URL, data, **extra)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def report(
    *,
    code: str = "01001",
    point: tuple[float, float] = POINT_A,
    phone: str = "",
    photos: int = 0,
    now: datetime | None = None,
    description: str = "井盖破损，有行人踩空的危险",
    address: str = "深南大道与华富路交叉口东北角",
) -> Submission:
    """A public report filed through the action, as the form would."""
    return public_actions.report_publicly(
        public_actions.PublicReport(
            service_id=service_id(code),
            lon=point[0],
            lat=point[1],
            description=description,
            address=address,
            phone=phone,
            photos=[Upload(f"p{i}.jpg", png(seed=i + 1), "image/png") for i in range(photos)],
            token=uuid.uuid4().hex,
        ),
        now=now,
    )


def move(case: Case, name: str, by: User, *, now: datetime | None = None, **inputs: Any) -> Case:
    """One move of the loop by `by`, on the case's current version."""
    current = Case.objects.get(pk=case.pk)
    return case_actions.transition(
        by, current.number, name, version=current.version, inputs=inputs, now=now
    )
