"""What the hotline tests share: a registered hotline system, signed requests, orders.

Signatures are computed here with hmac directly from the documented rule
(``"sha256=" + hex(HMAC-SHA256(secret, "<timestamp>." + body))``), not with the code
under test.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from case_support import POINT_A, City
from yiwang.intake.actions import hotline as hotline_actions
from yiwang.intake.models import HotlineSystem

INBOUND_SECRET = "inbound-secret-for-tests-0123456789"
CALLBACK_SECRET = "callback-secret-for-tests-9876543210"


def hmac_signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def signed_headers(
    body: bytes, *, system: str = "gd12345", secret: str = INBOUND_SECRET, at: float | None = None
) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    return {
        "HTTP_X_YIWANG_SYSTEM": system,
        "HTTP_X_YIWANG_TIMESTAMP": timestamp,
        "HTTP_X_YIWANG_SIGNATURE": hmac_signature(secret, timestamp, body),
    }


def post_order(client: Client, order: dict[str, Any], **sign: Any) -> Any:
    body = json.dumps(order, ensure_ascii=False).encode()
    return client.post(
        "/api/intake/hotline/orders",
        body,
        content_type="application/json",
        **signed_headers(body, **sign),
    )


def post_batch(client: Client, body: bytes, fmt: str = "jsonl", **sign: Any) -> Any:
    content_type = (
        "application/x-ndjson"
        if fmt == "jsonl"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return client.post(
        f"/api/intake/hotline/batches?format={fmt}",
        body,
        content_type=content_type,
        **signed_headers(body, **sign),
    )


def order(order_id: str = "GD-0001", *, located: bool = True, **changes: Any) -> dict[str, Any]:
    """A work order in street A of 福田区 (the test city), with its point unless not located."""
    base: dict[str, Any] = {
        "order_id": order_id,
        "received_at": "2026-12-01T09:30:00+08:00",
        "category": "暴露垃圾",
        "title": "路口垃圾堆放",
        "content": "华强南路路口垃圾两天无人清理。",
        "address": "广东省深圳市福田区南园街道华强南路",
        "caller_name": "张先生",
        "caller_phone": "13800138000",
    }
    if located:
        base.update(lon=POINT_A[0], lat=POINT_A[1])
    base.update(changes)
    return base


OUTSIDE_EVERY_GRID = {"lon": 113.0, "lat": 23.0}  # 广州 area: no grid of the test city
BATCH_STREETS = ("南园街道", "园岭街道")


def many_orders(n: int, prefix: str = "M") -> list[dict[str, Any]]:
    """``n`` located orders in the two grids of the test city, distinct addresses."""
    rng = random.Random(n)
    orders = []
    for i in range(n):
        west = i % 2 == 0  # 南华一号网格 (114.050–114.052) or 园东一号网格 (114.060–114.062)
        lon = (114.0502 if west else 114.0602) + rng.random() * 0.0016
        lat = 22.5402 + rng.random() * 0.0016
        street = BATCH_STREETS[0 if west else 1]
        orders.append(
            order(
                f"{prefix}-{i:04d}",
                lon=round(lon, 6),
                lat=round(lat, 6),
                title=f"路口垃圾堆放 {i}",
                address=f"广东省深圳市福田区{street}华强南路{i + 1}号",
                caller_phone=f"1380013{i:04d}",
            )
        )
    return orders


def jsonl(*orders: dict[str, Any]) -> bytes:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in orders).encode()


@pytest.fixture(name="hotline")
def hotline_fixture(city: City, settings: Any) -> HotlineSystem:
    """The province's 12345 platform, registered by the administrator; this node is 深圳市."""
    settings.NODE_DIVISION_CODE = "440300"
    return hotline_actions.create_system(
        city.root,
        code="gd12345",
        name="广东 12345 热线",
        inbound_secret=INBOUND_SECRET,
        callback_secret=CALLBACK_SECRET,
    )


# ---- a real HTTP server on loopback that plays the hotline's callback endpoint --------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class CallbackServer:
    """Answers each POST with the next status of `script` (the last one repeats)."""

    script: list[int]
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def status_for_next(self) -> int:
        index = min(len(self.received), len(self.script) - 1)
        return self.script[index]


@pytest.fixture(name="callback_server")
def callback_server_fixture() -> Iterator[CallbackServer]:
    state = CallbackServer(script=[200])
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with lock:
                status = state.status_for_next()
                state.received.append(Received(dict(self.headers.items()), body))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}' if status < 300 else b'{"error": "busy"}')

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/12345/callback"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
