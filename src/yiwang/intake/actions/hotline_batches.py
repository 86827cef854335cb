"""Batch import of 12345 work orders (JSON Lines or the XLSX template): all or nothing.

Every line or row is validated and applied inside one transaction, each in its own
savepoint so that one refusal does not hide the next; if any was refused the whole batch
is rolled back and the report lists every refusal with its line (JSONL) or spreadsheet row
(XLSX) number and order id — the same report as the grid and component imports
(`core.importing`). Applying a batch twice changes nothing the second time: each order is
recognised by its id and content hash (`hotline.apply_order`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from yiwang.apiedge import validation_error_body
from yiwang.core import audit
from yiwang.core.errors import ActionError, InvalidInput
from yiwang.core.importing import ErrorCollector
from yiwang.intake import hotline_format
from yiwang.intake.actions.channels import node_division
from yiwang.intake.actions.hotline import QUEUE_ROLES, OrderResult, apply_order
from yiwang.intake.models import HotlineSystem
from yiwang.intake.schemas.hotline import HotlineOrderIn
from yiwang.org.models import User
from yiwang.org.permissions import require_role

FORMATS = ("jsonl", "xlsx")


@dataclass
class BatchResult:
    results: list[OrderResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        outcomes = Counter(r.outcome for r in self.results)
        return {
            "total": len(self.results),
            "created": outcomes["created"],
            "updated": outcomes["updated"],
            "unchanged": outcomes["unchanged"],
            "awaiting_location": sum(
                1 for r in self.results if r.order.status == "awaiting_location"
            ),
            "orders": [r.as_dict() for r in self.results],
        }


def _records(data: bytes, fmt: str, errors: ErrorCollector) -> list[tuple[int, dict[str, Any]]]:
    if fmt not in FORMATS:
        raise InvalidInput("bad_format", "格式应为 jsonl 或 xlsx。", "format")
    if not data:
        raise InvalidInput("empty_import", "文件是空的。", "file")
    limit = settings.HOTLINE_BATCH_MAX_ROWS
    if fmt == "xlsx":
        return hotline_format.xlsx_records(data, errors, limit)
    return hotline_format.jsonl_records(data, errors, limit)


def _where(fmt: str, index: int) -> str:
    # JSONL: the line of the file; XLSX: the spreadsheet's row number (header = row 1).
    return f"第 {index} 行"


def import_batch(
    system: HotlineSystem,
    data: bytes,
    *,
    fmt: str,
    uploaded_by: User | None = None,
    now: datetime | None = None,
) -> BatchResult:
    """Import a file of orders from ``system``; raises ImportRejected with every bad row."""
    if uploaded_by is not None:
        require_role(uploaded_by, QUEUE_ROLES, "导入热线工单")
    now = now or timezone.now()
    errors = ErrorCollector()
    records = _records(data, fmt, errors)
    orders: list[tuple[int, HotlineOrderIn]] = []
    first_line: dict[str, int] = {}
    for index, record in records:
        ref = str(record.get("order_id") or "")
        try:
            order = HotlineOrderIn.model_validate(record)
        except ValidationError as exc:
            body = validation_error_body([dict(e) for e in exc.errors()])
            errors.add(
                index, ref, body["code"], f"{_where(fmt, index)}：{body['message']}", body["field"]
            )
            continue
        if order.order_id in first_line:
            earlier = first_line[order.order_id]
            message = f"{_where(fmt, index)}：工单编号 {order.order_id} 与第 {earlier} 行重复。"
            errors.add(index, ref, "duplicate_order", message, "order_id")
            continue
        first_line[order.order_id] = index
        orders.append((index, order))
    if not records and not errors.errors:
        raise InvalidInput("empty_import", "文件中没有工单。", "file")
    errors.raise_if_any("工单")

    node = node_division()
    result = BatchResult()
    with transaction.atomic():
        for index, order in orders:
            try:
                with transaction.atomic():
                    result.results.append(
                        apply_order(system, order, node=node, now=now, actor=uploaded_by)
                    )
            except ActionError as exc:
                field_name = exc.field.rsplit(".", 1)[-1] if exc.field else None
                errors.add(
                    index,
                    order.order_id,
                    exc.code,
                    f"{_where(fmt, index)}：{exc.message}",
                    field_name,
                )
        # Raised inside the transaction: nothing of the batch stays.
        errors.raise_if_any("工单")
        if uploaded_by is not None:
            audit.record(
                uploaded_by,
                "intake.hotline_batch.import",
                ("intake.hotlinesystem", str(system.pk)),
                f"导入热线工单 {len(orders)} 条（{system.code}）",
                format=fmt,
                **{k: v for k, v in result.as_dict().items() if k != "orders"},
            )
    return result
