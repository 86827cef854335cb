"""Shared shapes and types of the case-loop tests."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any

from yiwang.org.models import Department, User


def square(lon: float, lat: float, size: float = 0.002) -> dict[str, Any]:
    east, north = round(lon + size, 9), round(lat + size, 9)
    return {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [east, lat], [east, north], [lon, north], [lon, lat]]],
    }


# A point inside street A's grid and one inside street B's grid.
POINT_A = (114.051, 22.541)
POINT_B = (114.061, 22.541)


@dataclass
class City:
    root: User
    municipal: Department  # 专业部门 at district level
    office_a: Department  # 属地 office of street A
    users: dict[str, User]  # role → user of the whole district (inspector: street A)
    inspector_b: User
    handler_office_a: User


def png(seed: int = 0) -> bytes:
    """A real 1×1 PNG (built by hand, so the tests do not trust the code under test)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixel = zlib.compress(bytes([0, seed % 256, 0, 0]))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixel) + chunk(b"IEND", b"")
    )
