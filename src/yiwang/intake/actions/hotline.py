"""12345 hotline work orders (热线转办): receive, file, place on the map, return (退单).

An order arrives signed by its hotline system (webhook or batch). The same order id again
is the same order: unchanged content does nothing, changed content updates it (and, once
it is a case, leaves a note on the case's timeline). An order with coordinates becomes a
case at once, filed as the hotline's system account with source 12345热线 and a
Submission; one without waits as 待定位 until an operator places it on the map. Its free
text address is resolved to a division (`intake.addresses`); an address outside this node
is refused. The reverse direction (立案 / 退单 / 办结 back to the hotline) is
`hotline_outbound`.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from yiwang.cases.actions import Report, report_cases
from yiwang.cases.actions.notes import add_note
from yiwang.cases.models import DESCRIPTION_MAX_LENGTH, NOTE_MAX_LENGTH, Case, Source
from yiwang.catalog.models import ObjectType
from yiwang.core import audit
from yiwang.core.errors import ActionError, Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.scope import path_in_scope
from yiwang.core.textinput import text_problem
from yiwang.intake import addresses, signing
from yiwang.intake.actions.channels import channel_actor, node_division
from yiwang.intake.actions.submissions import record_submission
from yiwang.intake.models import (
    Channel,
    HotlineCategory,
    HotlineMessage,
    HotlineOrder,
    HotlineSystem,
    Submission,
)
from yiwang.intake.schemas.hotline import HotlineOrderIn, content_hash
from yiwang.org.models import Division, User
from yiwang.org.permissions import require_admin, require_role
from yiwang.org.roles import Role

# Who works the 待定位 queue: place an order on the map, or return it (退单).
QUEUE_ROLES = (Role.OPERATOR, Role.SHIFT_LEAD, Role.ADMIN)
# A category row with this code catches every category the table does not name.
FALLBACK_CATEGORY = "*"
# What a change of these fields is called on the case's timeline.
FIELD_LABELS = {
    "received_at": "受理时间",
    "category": "诉求分类",
    "category_name": "诉求分类名称",
    "title": "标题",
    "content": "诉求内容",
    "address": "地址",
    "lon": "经度",
    "lat": "纬度",
    "crs": "坐标系",
    "caller_name": "来电人",
    "caller_phone": "来电号码",
    "urgency": "紧急程度",
    "deadline": "办结时限",
    "attachments": "附件",
}


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


@dataclass(frozen=True)
class OrderResult:
    order: HotlineOrder
    outcome: str  # created | updated | unchanged
    tracking_code: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order.order_id,
            "outcome": self.outcome,
            "status": self.order.status,
            "case_number": self.order.case.number if self.order.case_id else None,  # type: ignore[union-attr]
            "tracking_code": self.tracking_code,
        }


def receive_order(
    system: HotlineSystem, order: HotlineOrderIn, *, now: datetime | None = None
) -> OrderResult:
    """Take one order from the hotline (the webhook): all of it or nothing."""
    now = now or timezone.now()
    node = node_division()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return apply_order(system, order, node=node, now=now)
        except IntegrityError:
            # The same order arriving twice at once: the second finds the first on retry.
            continue
    raise Conflict("concurrent_order", "同一工单正在被同时处理，请稍后重试。", "order_id")


def _matter_type(code: str) -> ObjectType:
    rows = {
        r.code: r
        for r in HotlineCategory.objects.filter(
            code__in=[code, FALLBACK_CATEGORY], is_active=True
        ).select_related("type")
    }
    row = rows.get(code) or rows.get(FALLBACK_CATEGORY)
    if row is None or not row.type.is_active:
        raise InvalidInput(
            "unknown_category",
            f"热线分类“{code}”没有对应的事项类型，请管理员在“热线分类对照”中添加。",
            "category",
        )
    return row.type


def _resolve(address: str, node: Division) -> addresses.Resolved:
    resolved = addresses.resolve(address, node)
    if resolved.outside:
        where = resolved.division.name if resolved.division else resolved.names.text()
        raise InvalidInput(
            "outside_node",
            f"地址“{address}”解析为{where}，不在本平台辖区（{node.name}）内，请退回热线重新派单。",
            "address",
        )
    return resolved


def _out_of_scope(order_id: str) -> PermissionDenied:
    return PermissionDenied(
        "out_of_scope", f"工单 {order_id} 不在您的管辖范围内，不能由您导入或修改。", "order_id"
    )


def _tracking_code(row: HotlineOrder) -> str | None:
    """The tracking code the order's case was given when it was filed (a resend learns it)."""
    if row.case_id is None:
        return None
    return (
        Submission.objects.filter(
            channel=Channel.HOTLINE, sender=row.system.code, external_id=row.order_id
        )
        .values_list("tracking_code", flat=True)
        .first()
    )


def apply_order(
    system: HotlineSystem,
    order: HotlineOrderIn,
    *,
    node: Division,
    now: datetime,
    actor: User | None = None,
) -> OrderResult:
    """Create, update or recognise one order. Call inside a transaction (a batch holds one
    for all its orders). `actor` is the member of staff who uploaded the order (the import
    page): they may touch only orders of their area, before and after the change; the
    hotline system itself (no actor) files node-wide."""
    data = order.canonical()
    digest = content_hash(data)
    existing = (
        HotlineOrder.objects.select_for_update(of=("self",))
        .select_related("case", "system")
        .filter(system=system, order_id=order.order_id)
        .first()
    )
    if (
        actor is not None
        and existing is not None
        and not path_in_scope(actor, existing.division_path)
    ):
        raise _out_of_scope(order.order_id)
    if existing is not None and existing.content_hash == digest:
        return OrderResult(existing, "unchanged", _tracking_code(existing))
    result = _create_or_update(system, order, existing, data, digest, node=node, now=now)
    if actor is not None and not path_in_scope(actor, result.order.division_path):
        # Raised inside the caller's transaction: the order and its case are rolled back.
        raise _out_of_scope(order.order_id)
    return result


def _create_or_update(
    system: HotlineSystem,
    order: HotlineOrderIn,
    existing: HotlineOrder | None,
    data: dict[str, Any],
    digest: str,
    *,
    node: Division,
    now: datetime,
) -> OrderResult:
    matter = _matter_type(order.category)
    resolved = _resolve(order.address, node)
    path = resolved.division.path if resolved.division else node.path

    if existing is None:
        row = HotlineOrder.objects.create(
            system=system,
            order_id=order.order_id,
            content_hash=digest,
            status=HotlineOrder.Status.AWAITING_LOCATION,
            payload=data,
            category_code=order.category,
            title=order.title.strip(),
            address=order.address.strip(),
            resolved_division=resolved.division,
            division_path=path,
            received_at=order.received_at,
            created_at=now,
            updated_at=now,
        )
        tracking = None
        if order.lon is not None and order.lat is not None:
            tracking = _file_case(row, matter, order.lon, order.lat, order.crs, now)
        return OrderResult(row, "created", tracking)

    changed = sorted(k for k in data if data.get(k) != existing.payload.get(k))
    existing.payload = data
    existing.content_hash = digest
    existing.revision += 1
    existing.category_code = order.category
    existing.title = order.title.strip()
    existing.address = order.address.strip()
    existing.resolved_division = resolved.division
    existing.received_at = order.received_at
    existing.updated_at = now
    if existing.case_id is None:
        # Not a case yet: the order is only ours to hold, so it simply takes the new text.
        existing.division_path = path
    existing.save()
    tracking = None
    if existing.case is not None:
        _note_change(existing, changed, now)
        tracking = _tracking_code(existing)
    elif (
        existing.status == HotlineOrder.Status.AWAITING_LOCATION
        and order.lon is not None
        and order.lat is not None
    ):
        tracking = _file_case(existing, matter, order.lon, order.lat, order.crs, now)
    return OrderResult(existing, "updated", tracking)


def _note_change(row: HotlineOrder, changed: list[str], now: datetime) -> None:
    """A revised order of a filed case: the case keeps its facts; its timeline says what the
    hotline changed (no case action edits a filed case's text)."""
    assert row.case is not None
    labels = "、".join(FIELD_LABELS.get(k, k) for k in changed) or "无字段变化"
    lines = [f"12345 热线修订了工单 {row.order_id}（第 {row.revision} 版）：{labels}。"]
    for key in ("title", "content", "address", "urgency", "deadline"):
        if key in changed and row.payload.get(key):
            lines.append(f"{FIELD_LABELS[key]}：{row.payload[key]}")
    note = "\n".join(lines)[:NOTE_MAX_LENGTH]
    add_note(
        channel_actor(Channel.HOTLINE),
        row.case.number,
        note,
        {
            "hotline_order": row.order_id,
            "system": row.system.code,
            "revision": row.revision,
            "changed": changed,
            "content_hash": row.content_hash,
        },
        now=now,
    )


def _description(payload: dict[str, Any]) -> str:
    text = str(payload.get("content") or "").strip()
    extra: list[str] = []
    if payload.get("deadline"):
        extra.append(f"热线办结时限：{payload['deadline']}")
    for item in payload.get("attachments") or []:
        extra.append(f"附件：{item.get('name') or ''} {item['url']}".replace("  ", " "))
    tail = ("\n\n" + "\n".join(extra)) if extra else ""
    return text[: DESCRIPTION_MAX_LENGTH - len(tail)] + tail if tail else text


def _file_case(
    row: HotlineOrder, matter: ObjectType, lon: float, lat: float, crs: str, now: datetime
) -> str:
    """Turn the order into a case at (lon, lat); returns the submission's tracking code."""
    payload = row.payload
    actor = channel_actor(Channel.HOTLINE)
    report = Report(
        kind=matter.kind,
        type_code=matter.code,
        title=row.title,
        lon=lon,
        lat=lat,
        crs=crs,
        source=Source.HOTLINE,
        urgency=payload.get("urgency") or "normal",
        description=_description(payload),
        address=row.address,
        contact_name=payload.get("caller_name") or "",
        contact_phone=payload.get("caller_phone") or "",
    )
    case: Case = report_cases(actor, [report], now=now)[0]
    submission: Submission = record_submission(
        channel=Channel.HOTLINE,
        case=case,
        sender=row.system.code,
        external_id=row.order_id,
        contact_phone=payload.get("caller_phone") or "",
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
        matter = _matter_type(row.category_code)
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
