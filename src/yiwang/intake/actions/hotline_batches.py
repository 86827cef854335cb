"""Batch import of 12345 work orders (JSON Lines or the XLSX template): all or nothing.

Every line or row is validated first; then the addresses of the new and changed orders are
resolved (each distinct one once, outside any transaction: it is the slow part, and a
background import reports its progress meanwhile); then, in one transaction, the orders
are applied together (`hotline_bulk.apply_orders`: one `report_cases` call files every new
case). If any row is refused the whole batch is rolled back and the report lists every
refusal with its line (JSONL) or spreadsheet row (XLSX) number and order id — the same
report as the grid and component imports (`core.importing`). Applying a batch twice
changes nothing the second time: each order is recognised by its id and content hash.

Large uploads from the operators' page run in the worker (`hotline_jobs`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from pydantic import ValidationError

from yiwang.apiedge import validation_error_body
from yiwang.core import audit
from yiwang.core.errors import Conflict, InvalidInput
from yiwang.core.importing import ErrorCollector
from yiwang.intake import addresses, hotline_format
from yiwang.intake.actions.channels import node_division
from yiwang.intake.actions.hotline import QUEUE_ROLES
from yiwang.intake.actions.hotline_bulk import (
    MAX_FILING_REFUSALS,
    Incoming,
    OrderResult,
    addresses_to_resolve,
    apply_orders,
)
from yiwang.intake.models import HotlineSystem
from yiwang.intake.schemas.hotline import HotlineOrderIn
from yiwang.org.models import Division, User
from yiwang.org.permissions import require_role

FORMATS = ("jsonl", "xlsx")

# What a long import is doing, for a progress bar: (phase, done, total). Phases:
# "validate" (rows), "addresses" (distinct addresses resolved), "write" (one transaction).
Progress = Callable[[str, int, int], None]


def _quiet(_phase: str, _done: int, _total: int) -> None:
    pass


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
    on_progress: Progress = _quiet,
    on_success: Callable[[BatchResult], None] | None = None,
) -> BatchResult:
    """Import a file of orders from ``system``; raises ImportRejected with every bad row.

    ``on_progress`` hears what is being done; ``on_success`` is called with the result
    inside the import's transaction (a background job records its outcome there)."""
    if uploaded_by is not None:
        require_role(uploaded_by, QUEUE_ROLES, "导入热线工单")
    now = now or timezone.now()
    errors = ErrorCollector()
    records = _records(data, fmt, errors)
    on_progress("validate", 0, len(records))
    rows: list[Incoming] = []
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
        rows.append(Incoming.of(index, order))
    if not records and not errors.errors:
        raise InvalidInput("empty_import", "文件中没有工单。", "file")
    errors.raise_if_any("工单")
    on_progress("validate", len(records), len(records))

    node = node_division()
    # The slow part, before the transaction: on SQLite a writing transaction holds the
    # whole database, so it should last only as long as the writes.
    wanted = addresses_to_resolve(system, rows)
    on_progress("addresses", 0, len(wanted))
    resolved = addresses.resolve_many(
        wanted, node, on_progress=lambda n: on_progress("addresses", n, len(wanted))
    )
    on_progress("write", 0, len(rows))
    for attempt in range(2):
        try:
            return _apply(
                system,
                rows,
                fmt,
                errors,
                node=node,
                now=now,
                resolved=resolved,
                uploaded_by=uploaded_by,
                on_success=on_success,
            )
        except IntegrityError:
            # Another import or the webhook wrote one of these orders meanwhile: on the
            # second try it is known and recognised.
            if attempt:
                break
    raise Conflict("concurrent_order", "这批工单正在被同时导入，请稍后重试。", "file")


def _apply(
    system: HotlineSystem,
    rows: list[Incoming],
    fmt: str,
    errors: ErrorCollector,
    *,
    node: Division,
    now: datetime,
    resolved: dict[str, addresses.Resolved],
    uploaded_by: User | None,
    on_success: Callable[[BatchResult], None] | None,
) -> BatchResult:
    with transaction.atomic():
        applied = apply_orders(
            system, rows, node=node, now=now, resolved=resolved, actor=uploaded_by
        )
        for refusal in applied.refusals:
            errors.add(
                refusal.index,
                refusal.order_id,
                refusal.error.code,
                f"{_where(fmt, refusal.index)}：{refusal.error.message}",
                refusal.field,
            )
        if applied.truncated:
            errors.add(
                0,
                "",
                "too_many_errors",
                f"建档时已发现 {MAX_FILING_REFUSALS} 条被拒的工单，其余工单未逐条检查；"
                "请修正后重新导入。",
                None,
            )
        # Raised inside the transaction: nothing of the batch stays.
        errors.raise_if_any("工单")
        result = BatchResult(applied.results)
        if uploaded_by is not None:
            audit.record(
                uploaded_by,
                "intake.hotline_batch.import",
                ("intake.hotlinesystem", str(system.pk)),
                f"导入热线工单 {len(rows)} 条（{system.code}）",
                format=fmt,
                **{k: v for k, v in result.as_dict().items() if k != "orders"},
            )
        if on_success is not None:
            on_success(result)
    return result
