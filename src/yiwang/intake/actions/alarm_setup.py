"""What alarm intake runs on, kept by 系统管理员: the event-type table and the sources' keys.

The event-type table maps an AI platform's event type to a GB/T 47678.5 matter type, with
the confidence at or above which an alarm becomes a case at once (below it, an operator
reviews it first), the window within which a camera's repeats join one case, and the
radius within which a drone flight's repeats do. Seeded defaults: `DEFAULT_EVENT_TYPES`.

An alarm source is a system that may post alarms (`X-Alarm-Key` header): a key of 32
random bytes, shown once, stored as its SHA-256, bound to a division (its cameras and
drone points must lie there).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction

from yiwang.catalog.models import Kind, ObjectType
from yiwang.core import audit
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.scope import path_in_scope
from yiwang.core.textinput import text_problem
from yiwang.intake.models import AlarmEventType, AlarmSource
from yiwang.org.models import Division, User
from yiwang.org.permissions import require_admin

# (code the AI platform sends, name, GB/T 47678.5-2026 matter code). The four of issue 7
# first; the codes are the catalogue's (src/yiwang/catalog/data/gbt47678-5-2026-catalog.csv).
DEFAULT_EVENT_TYPES: tuple[tuple[str, str, str], ...] = (
    ("road_occupation", "占道经营", "09006"),
    ("exposed_garbage", "暴露垃圾", "06010"),
    ("piled_materials", "乱堆物料", "06036"),  # 乱堆杂物
    ("illegal_parking", "机动车乱停放", "09009"),
    ("outside_store", "店外经营", "09005"),
    ("bicycle_parking", "非机动车乱停放", "09010"),
    ("garbage_overflow", "垃圾满溢", "06042"),  # 垃圾站（箱）满溢
    ("street_drying", "沿街晾挂", "06007"),
    ("outdoor_barbecue", "露天烧烤", "06029"),
)
CODE_RE = re.compile(r"[A-Za-z0-9_.:-]{1,40}")
MAX_WINDOW_MINUTES = 24 * 60
MAX_RADIUS_M = 5000


def seed_event_types(apps: Any) -> int:
    """Add the default event types that are missing (a new node, a flushed test database).

    Takes an app registry (a migration's historical models, or the live one), so the data
    migration and the post-migrate hook share it; writes no audit row (no acting user).
    """
    object_type = apps.get_model("catalog", "ObjectType")
    event_type = apps.get_model("intake", "AlarmEventType")
    existing = set(event_type.objects.values_list("code", flat=True))
    matters = {
        t.code: t
        for t in object_type.objects.filter(
            kind="matter", code__in=[m for _, _, m in DEFAULT_EVENT_TYPES]
        )
    }
    added = [
        event_type(code=code, name=name, matter_type=matters[matter])
        for code, name, matter in DEFAULT_EVENT_TYPES
        if code not in existing and matter in matters
    ]
    event_type.objects.bulk_create(added)
    return len(added)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _plain(value: str, field: str, label: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput("required", f"请填写{label}。", field)
    problem = text_problem(value)
    if problem is not None:
        raise InvalidInput(problem[0], f"{label}{problem[1]}", field)
    if len(value) > limit:
        raise InvalidInput("too_long", f"{label}不能超过 {limit} 个字符。", field)
    return value


def _confidence(value: Any) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(
            "bad_confidence", "置信度应为 0 到 1 之间的数。", "min_confidence"
        ) from None
    if not number.is_finite() or not (0 <= number <= 1):
        raise InvalidInput("bad_confidence", "置信度应为 0 到 1 之间的数。", "min_confidence")
    return number.quantize(Decimal("0.01"))


def _bounded(value: Any, field: str, label: str, upper: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not (1 <= value <= upper):
        raise InvalidInput("out_of_range", f"{label}应为 1 到 {upper} 之间的整数。", field)
    return value


@transaction.atomic
def save_event_type(
    actor: User,
    *,
    code: str,
    name: str,
    matter_code: str,
    min_confidence: Any = Decimal("0.80"),
    window_minutes: int = 30,
    radius_m: int = 50,
    is_active: bool = True,
    event_type_id: int | None = None,
) -> AlarmEventType:
    """Add an event type, or change the one `event_type_id` names (its code included)."""
    require_admin(actor, "维护告警事件类型")
    code = code.strip()
    if not CODE_RE.fullmatch(code):
        raise InvalidInput(
            "bad_event_code", "事件类型代码应为 1–40 个字母、数字或 _ . : -。", "code"
        )
    name = _plain(name, "name", "名称", 50)
    matter = ObjectType.objects.filter(kind=Kind.MATTER, code=matter_code.strip()).first()
    if matter is None or not matter.is_active:
        raise InvalidInput(
            "unknown_type", f"未知的事件类型代码：{matter_code}（应为事件小类）。", "matter_code"
        )
    values = {
        "code": code,
        "name": name,
        "matter_type": matter,
        "min_confidence": _confidence(min_confidence),
        "window_minutes": _bounded(
            window_minutes, "window_minutes", "合并时间窗", MAX_WINDOW_MINUTES
        ),
        "radius_m": _bounded(radius_m, "radius_m", "合并半径", MAX_RADIUS_M),
        "is_active": bool(is_active),
    }
    if event_type_id is None:
        event_type = AlarmEventType(**values)
    else:
        found = AlarmEventType.objects.select_for_update().filter(pk=event_type_id).first()
        if found is None:
            raise NotFound("event_type_not_found", "告警事件类型不存在。", "event_type_id")
        event_type = found
        for attr, value in values.items():
            setattr(event_type, attr, value)
    try:
        with transaction.atomic():
            event_type.save()
    except IntegrityError as exc:
        raise InvalidInput("duplicate_code", f"事件类型代码 {code} 已存在。", "code") from exc
    audit.record(
        actor,
        "intake.save_alarm_event_type",
        event_type,
        f"告警事件类型 {code} → {matter.code} {matter.name}，置信度 {values['min_confidence']}",
        min_confidence=str(values["min_confidence"]),
        window_minutes=values["window_minutes"],
        radius_m=values["radius_m"],
        is_active=values["is_active"],
    )
    return event_type


@transaction.atomic
def create_alarm_source(actor: User, *, name: str, division_code: str) -> tuple[str, AlarmSource]:
    """A new source and its key (returned once, never stored in clear)."""
    require_admin(actor, "创建告警接入方")
    name = _plain(name, "name", "名称", 100)
    division = Division.objects.filter(code=division_code.strip()).first()
    if division is None or not path_in_scope(actor, division.path):
        raise InvalidInput(
            "unknown_division", f"区划 {division_code} 不存在或不在您的管辖范围内。", "division"
        )
    key = secrets.token_urlsafe(32)
    source = AlarmSource(name=name, division=division, key_hash=_hash(key), prefix=key[:8])
    try:
        with transaction.atomic():
            source.save()
    except IntegrityError as exc:
        raise InvalidInput("duplicate_name", f"接入方 {name} 已存在。", "name") from exc
    audit.record(
        actor, "intake.create_alarm_source", source, f"创建告警接入方 {name}（{source.prefix}…）"
    )
    return key, source


@transaction.atomic
def set_alarm_source_active(actor: User, source_id: int, active: bool) -> AlarmSource:
    require_admin(actor, "停用或启用告警接入方")
    source = AlarmSource.objects.select_related("division").filter(pk=source_id).first()
    if source is None or not path_in_scope(actor, source.division.path):
        raise NotFound("source_not_found", "告警接入方不存在。", "source_id")
    source.is_active = active
    source.save(update_fields=["is_active"])
    audit.record(
        actor,
        "intake.set_alarm_source_active",
        source,
        f"{'启用' if active else '停用'}告警接入方 {source.name}",
    )
    return source


def source_for_key(key: str) -> AlarmSource | None:
    """The active source a key belongs to (None: unknown, revoked or malformed)."""
    if not key or len(key) > 200:
        return None
    return (
        AlarmSource.objects.select_related("division")
        .filter(key_hash=_hash(key), is_active=True)
        .first()
    )
