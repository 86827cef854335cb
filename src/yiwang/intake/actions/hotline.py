"""12345 hotline work orders (热线转办): receive, file, place on the map, return (退单).

An order arrives signed by its hotline system (webhook or batch). The same order id again
is the same order: unchanged content does nothing, changed content updates it (and, once
it is a case, leaves a note on the case's timeline). An order with coordinates becomes a
case at once, filed as the hotline's system account with source 12345热线 and a
Submission; one without waits as 待定位 until an operator places it on the map. Its free
text address is resolved to a division (`intake.addresses`); an address outside this node
is refused. Receiving is done for one order or a batch's thousands alike by
`hotline_bulk`; the reverse direction (立案 / 退单 / 办结 back to the hotline) is
`hotline_outbound`.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from yiwang.cases.actions import report_cases
from yiwang.cases.models import NOTE_MAX_LENGTH, Case
from yiwang.catalog.models import ObjectType
from yiwang.core import audit
from yiwang.core.errors import ActionError, Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.scope import path_in_scope
from yiwang.core.textinput import text_problem
from yiwang.intake import signing
from yiwang.intake.actions import hotline_bulk
from yiwang.intake.actions.channels import channel_actor, node_division
from yiwang.intake.actions.hotline_bulk import OrderResult
from yiwang.intake.actions.submissions import record_submission
from yiwang.intake.models import (
    Channel,
    HotlineCategory,
    HotlineMessage,
    HotlineOrder,
    HotlineSystem,
    Submission,
)
from yiwang.intake.schemas.hotline import HotlineOrderIn
from yiwang.org.models import User
from yiwang.org.permissions import require_admin, require_role
from yiwang.org.roles import Role

# Who works the 待定位 queue: place an order on the map, or return it (退单).
QUEUE_ROLES = (Role.OPERATOR, Role.SHIFT_LEAD, Role.ADMIN)


class SignatureRefused(ActionError):
    """A webhook request whose system, timestamp or signature does not check out."""

    status = 401


# ---- systems and categories (administrators) ------------------------------------------------


def create_system(
    actor: User,
    *,
    code: str,
    name: str,
    inbound_secret: str = "",
    callback_url: str = "",
    callback_secret: str = "",
) -> HotlineSystem:
    """Register a hotline system; a secret left empty is drawn at random."""
    require_admin(actor, "登记热线系统")
    _check_line(name, "name", 100)
    if not code or not code.replace("-", "").replace("_", "").isalnum() or len(code) > 64:
        raise InvalidInput("bad_code", "系统编号只能包含字母、数字、- 和 _。", "code")
    if callback_url and not callback_url.startswith(("http://", "https://")):
        raise InvalidInput("bad_url", "回调地址应以 http:// 或 https:// 开头。", "callback_url")
    with transaction.atomic():
        if HotlineSystem.objects.filter(code=code).exists():
            raise Conflict("duplicate_code", f"系统编号 {code} 已存在。", "code")
        system = HotlineSystem.objects.create(
            code=code,
            name=name.strip(),
            inbound_secret=inbound_secret or secrets.token_urlsafe(32),
            callback_url=callback_url,
            callback_secret=callback_secret or secrets.token_urlsafe(32),
        )
        audit.record(actor, "intake.hotline_system.create", system, f"登记热线系统 {code}")
    return system


def update_system(actor: User, pk: int, **fields: Any) -> HotlineSystem:
    require_admin(actor, "修改热线系统")
    allowed = {"name", "inbound_secret", "callback_url", "callback_secret", "is_active"}
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidInput("unknown_field", f"未知字段：{'、'.join(sorted(unknown))}", None)
    url = fields.get("callback_url")
    if url and not str(url).startswith(("http://", "https://")):
        raise InvalidInput("bad_url", "回调地址应以 http:// 或 https:// 开头。", "callback_url")
    with transaction.atomic():
        system = HotlineSystem.objects.select_for_update(of=("self",)).filter(pk=pk).first()
        if system is None:
            raise NotFound("not_found", "热线系统不存在。", None)
        for key, value in fields.items():
            setattr(system, key, value)
        system.save()
        # The secrets themselves never go into the audit log.
        audit.record(
            actor,
            "intake.hotline_system.update",
            system,
            f"修改热线系统 {system.code}",
            fields=sorted(fields),
        )
    return system


def set_category(
    actor: User, *, code: str, type_code: str, name: str = "", is_active: bool = True
) -> HotlineCategory:
    """Map a hotline category code to a matter type (create or change the row)."""
    require_admin(actor, "维护热线分类对照")
    code = code.strip()
    _check_line(code, "code", 64)
    _check_line(name, "name", 100)
    if not code:
        raise InvalidInput("required", "请填写热线分类编码。", "code")
    matter = ObjectType.objects.filter(kind="matter", code=type_code).first()
    if matter is None:
        raise InvalidInput("unknown_type", f"未知的事项类型代码：{type_code}", "type_code")
    with transaction.atomic():
        row, created = HotlineCategory.objects.update_or_create(
            code=code, defaults={"name": name.strip(), "type": matter, "is_active": is_active}
        )
        audit.record(
            actor,
            "intake.hotline_category.set",
            row,
            f"热线分类 {code} → 事项 {type_code}",
            created=created,
        )
    return row


def delete_category(actor: User, pk: int) -> None:
    require_admin(actor, "维护热线分类对照")
    with transaction.atomic():
        row = HotlineCategory.objects.filter(pk=pk).first()
        if row is None:
            raise NotFound("not_found", "该分类对照不存在。", None)
        audit.record(actor, "intake.hotline_category.delete", row, f"删除热线分类 {row.code}")
        row.delete()


def _check_line(value: str, field: str, limit: int) -> None:
    problem = text_problem(value)
    if problem is not None:
        raise InvalidInput(problem[0], problem[1], field)
    if len(value) > limit:
        raise InvalidInput("too_long", f"不能超过 {limit} 个字符。", field)


# ---- authentication of a hotline system's request -------------------------------------------


def authenticate(
    code: str | None, timestamp: str | None, signature: str | None, body: bytes
) -> HotlineSystem:
    """The hotline system that signed ``body``, or SignatureRefused (401) saying why."""
    if not code:
        raise SignatureRefused(
            "missing_system", f"缺少 {signing.SYSTEM_HEADER} 请求头（热线系统编号）。", "system"
        )
    if not signature or not timestamp:
        raise SignatureRefused(
            "missing_signature",
            f"缺少签名：请带 {signing.TIMESTAMP_HEADER} 与 {signing.SIGNATURE_HEADER} 请求头。",
            "signature",
        )
    system = HotlineSystem.objects.filter(code=code, is_active=True).first()
    if system is None:
        raise SignatureRefused("unknown_system", "热线系统编号未登记或已停用。", "system")
    problem = signing.check(
        system.inbound_secret,
        timestamp,
        signature,
        body,
        now=time.time(),
        tolerance=settings.HOTLINE_SIGNATURE_TOLERANCE_SECONDS,
    )
    if problem == "bad_timestamp":
        raise SignatureRefused("bad_timestamp", "时间戳应为 Unix 秒数。", "timestamp")
    if problem == "stale_request":
        raise SignatureRefused(
            "stale_request",
            f"请求时间与本平台时间相差超过 {settings.HOTLINE_SIGNATURE_TOLERANCE_SECONDS} 秒，"
            "可能是重放的请求，已拒绝。",
            "timestamp",
        )
    if problem is not None:
        raise SignatureRefused(
            "bad_signature", "签名不正确：请求体或时间戳与签名不符。", "signature"
        )
    return system


# ---- receiving an order ---------------------------------------------------------------------


def receive_order(
    system: HotlineSystem,
    order: HotlineOrderIn,
    *,
    now: datetime | None = None,
    signed_at: datetime | None = None,
) -> OrderResult:
    """Take one order from the hotline (the webhook): all of it or nothing. ``signed_at`` is
    when the hotline signed it: a revision signed before the one held is refused (409)."""
    now = now or timezone.now()
    node = node_division()
    row = hotline_bulk.Incoming.of(1, order, signed_at)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                applied = hotline_bulk.apply_orders(system, [row], node=node, now=now)
                if applied.refusals:
                    # Raised inside the transaction: a trial filing leaves nothing behind.
                    raise applied.refusals[0].error
                return applied.results[0]
        except IntegrityError:
            # The same order arriving twice at once: the second finds the first on retry.
            continue
    raise Conflict("concurrent_order", "同一工单正在被同时处理，请稍后重试。", "order_id")


def _file_case(
    row: HotlineOrder, matter: ObjectType, lon: float, lat: float, crs: str, now: datetime
) -> str:
    """Turn a waiting order into a case at (lon, lat); returns the submission's tracking code."""
    actor = channel_actor(Channel.HOTLINE)
    report = hotline_bulk.case_report(
        matter, title=row.title, address=row.address, payload=row.payload, lon=lon, lat=lat, crs=crs
    )
    case: Case = report_cases(actor, [report], now=now)[0]
    submission: Submission = record_submission(
        channel=Channel.HOTLINE,
        case=case,
        sender=row.system.code,
        external_id=row.order_id,
        contact_phone=row.payload.get("caller_phone") or "",
        created_by=actor,
        now=now,
    )
    row.case = case
    row.status = HotlineOrder.Status.FILED
    row.division_path = case.division_path
    row.updated_at = now
    row.save(update_fields=["case", "status", "division_path", "updated_at"])
    return submission.tracking_code


# ---- the 待定位 queue ------------------------------------------------------------------------


def _queued_order(actor: User, pk: int) -> HotlineOrder:
    row = (
        HotlineOrder.objects.select_for_update(of=("self",))
        .select_related("system")
        .filter(pk=pk)
        .first()
    )
    if row is None or not path_in_scope(actor, row.division_path):
        raise NotFound("order_not_found", "该热线工单不存在或不在您的管辖范围内。", None)
    if row.status != HotlineOrder.Status.AWAITING_LOCATION:
        if row.case_id is not None:
            raise Conflict(
                "already_filed",
                "该工单已转为案卷；如非本平台职责，请在案卷上申请作废（即退单）。",
                None,
            )
        raise Conflict("already_returned", "该工单已退单。", None)
    return row


def place_order(
    actor: User,
    pk: int,
    *,
    lon: float,
    lat: float,
    crs: str = "wgs84",
    now: datetime | None = None,
) -> Case:
    """An operator puts a 待定位 order on the map: it becomes a case there."""
    require_role(actor, QUEUE_ROLES, "为热线工单定位")
    now = now or timezone.now()
    with transaction.atomic():
        row = _queued_order(actor, pk)
        matter = hotline_bulk.matter_type(row.category_code, hotline_bulk.category_table())
        _file_case(row, matter, lon, lat, crs, now)
        assert row.case is not None
        # The point must also lie where this operator works (the channel files node-wide).
        if not path_in_scope(actor, row.case.division_path):
            raise PermissionDenied("out_of_scope", "该位置不在您的管辖范围内。", "lon")
        audit.record(
            actor,
            "intake.hotline_order.place",
            row,
            f"热线工单 {row.order_id} 定位并转为案卷 {row.case.number}",
            lon=lon,
            lat=lat,
            crs=crs,
        )
        return row.case


def return_order(actor: User, pk: int, *, reason: str, now: datetime | None = None) -> HotlineOrder:
    """退单 of an order that is not a case yet: it goes back to the hotline with the reason
    (the outbound message is queued in the same transaction)."""
    require_role(actor, QUEUE_ROLES, "热线工单退单")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("required", "请填写退单理由。", "reason")
    problem = text_problem(reason, multiline=True)
    if problem is not None:
        raise InvalidInput(problem[0], f"退单理由{problem[1]}", "reason")
    if len(reason) > NOTE_MAX_LENGTH:
        raise InvalidInput("too_long", f"退单理由不能超过 {NOTE_MAX_LENGTH} 字。", "reason")
    now = now or timezone.now()
    with transaction.atomic():
        row = _queued_order(actor, pk)
        row.status = HotlineOrder.Status.RETURNED
        row.return_reason = reason
        row.updated_at = now
        row.outcome_done = True
        row.save(update_fields=["status", "return_reason", "updated_at", "outcome_done"])
        queue_message(
            row,
            HotlineMessage.Event.RETURNED,
            {"reason": reason, "at": now.isoformat()},
            now=now,
        )
        audit.record(
            actor,
            "intake.hotline_order.return",
            row,
            f"热线工单 {row.order_id} 退单",
            reason=reason,
        )
    return row


def queue_message(
    row: HotlineOrder,
    event: str,
    extra: dict[str, Any],
    *,
    now: datetime,
    case_event_id: int | None = None,
) -> HotlineMessage:
    """Put one outbound message in the outbox (inside the caller's transaction)."""
    body: dict[str, Any] = {
        "version": "1",
        "event": event,
        "order_id": row.order_id,
        "case_number": row.case.number if row.case_id else None,  # type: ignore[union-attr]
        **extra,
    }
    return HotlineMessage.objects.create(
        system_id=row.system_id,
        order=row,
        event=event,
        case_event_id=case_event_id,
        body=body,
        status=HotlineMessage.Status.PENDING,
        next_attempt_at=now,
        created_at=now,
    )
