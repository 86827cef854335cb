"""12345 hotline API (mounted at /api/intake/hotline).

The webhook and the batch import are called by hotline systems, authenticated by an
HMAC-SHA256 signature of the body (no staff login): headers X-Yiwang-System (the
system's code), X-Yiwang-Timestamp (Unix seconds) and X-Yiwang-Signature
("sha256=" + hex HMAC of "<timestamp>." + body with the system's inbound secret). The
daily list is read by staff (session or bearer token) or other systems holding a token.

No ``from __future__ import annotations``: ninja reads the handlers' annotations.
"""

from datetime import UTC, date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from ninja.security import APIKeyHeader

from yiwang.core.textinput import is_ascii_digits
from yiwang.intake import hotline_format, queries, signing
from yiwang.intake.actions import hotline as actions
from yiwang.intake.actions import hotline_batches
from yiwang.intake.models import HotlineSystem
from yiwang.intake.schemas.hotline import (
    BatchResultOut,
    ExportOrderOut,
    HotlineOrderIn,
    OrderResultOut,
)
from yiwang.org.permissions import acting_user

router = Router(tags=["12345 热线"])


class HotlineSignature(APIKeyHeader):
    """The signature header; the system and timestamp headers are read beside it."""

    param_name = signing.SIGNATURE_HEADER
    openapi_description = (
        "HMAC-SHA256 签名：`sha256=` + hex(HMAC(接收签名密钥, `<X-Yiwang-Timestamp>.` + 请求体))，"
        "另带 X-Yiwang-System（热线系统编号）与 X-Yiwang-Timestamp（Unix 秒）请求头。"
    )

    def authenticate(self, request: HttpRequest, key: str | None) -> HotlineSystem:
        return actions.authenticate(
            request.headers.get(signing.SYSTEM_HEADER),
            request.headers.get(signing.TIMESTAMP_HEADER),
            key,
            request.body,
        )


SIGNED = [HotlineSignature()]


def _system(request: HttpRequest) -> HotlineSystem:
    system = request.auth  # type: ignore[attr-defined]
    assert isinstance(system, HotlineSystem)
    return system


@router.post(
    "/orders",
    auth=SIGNED,
    response={200: OrderResultOut, 201: OrderResultOut},
    summary="接收一张 12345 热线工单（webhook，按工单编号幂等）",
)
def receive_order(request: HttpRequest, body: HotlineOrderIn) -> Status:
    """同一工单编号、内容不变：200 `unchanged`；内容变化：200 `updated`；新工单：201 `created`。
    无坐标的工单进入“待定位”（`status`=`awaiting_location`），有坐标的直接转为案卷。
    签名不符、时间戳过期或系统未登记：401。"""
    # The signature check has accepted this timestamp (digits, within the tolerance).
    signed = request.headers.get(signing.TIMESTAMP_HEADER, "")
    signed_at = datetime.fromtimestamp(int(signed), tz=UTC) if is_ascii_digits(signed) else None
    result = actions.receive_order(_system(request), body, signed_at=signed_at)
    return Status(201 if result.outcome == "created" else 200, result.as_dict())


class BatchOptions(Schema):
    fmt: Literal["jsonl", "xlsx"] = Field("jsonl", alias="format", description="jsonl 或 xlsx")


# The raw file is read whatever its declared type (JSON Lines may come as text/plain or
# application/x-ndjson, XLSX as application/octet-stream or its own type); the document
# names the two generic types every client library can send.
BATCH_BODY = {
    "required": True,
    "content": {
        "text/plain": {"schema": {"type": "string"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    },
}


@router.post(
    "/batches",
    auth=SIGNED,
    response={201: BatchResultOut},
    summary="批量导入热线工单（JSON Lines 或 XLSX 模板；全部成功或全部不导入）",
    openapi_extra={"requestBody": BATCH_BODY},
)
def import_batch(request: HttpRequest, options: Query[BatchOptions]) -> Status:
    """请求体为文件原文，签名覆盖整个文件。有错误时返回 400 `import_rejected`，
    `details.errors` 逐条列出（index 为 JSONL 行号或 XLSX 行号，ref 为工单编号）。"""
    result = hotline_batches.import_batch(_system(request), request.body, fmt=options.fmt)
    return Status(201, result.as_dict())


class DailyFilters(Schema):
    street: str = Field(..., pattern=r"^[0-9]{9}$", description="街道区划代码（9 位）")
    day: date = Field(..., alias="date", description="日期（北京时间），如 2026-12-01")


@router.get(
    "/daily",
    response=list[ExportOrderOut],
    summary="街道每日问题清单（工单格式，供其他系统共享）",
)
def street_daily_list(request: HttpRequest, filters: Query[DailyFilters]) -> list[dict[str, Any]]:
    """该街道当日上报的全部案卷（任何来源），按上报时间排列；不含来电人信息。"""
    cases = queries.street_daily_cases(acting_user(request), filters.street, filters.day)
    return [hotline_format.export_record(c) for c in cases]
