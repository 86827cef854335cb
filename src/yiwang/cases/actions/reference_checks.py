"""Checks shared by the reference-table actions (time limits, routing rules, calendar)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, transaction

from yiwang.cases.models import DuplicateRule, RoutingRule, TimeLimit
from yiwang.catalog.models import Kind, ObjectType
from yiwang.core.errors import Conflict, InvalidInput


@contextmanager
def first_writer() -> Iterator[None]:
    """Two administrators adding the same key at once: the second is told, not crashed."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise Conflict(
            "concurrent_edit", "其他管理员刚刚新增了同一条记录，请刷新后重试。", None
        ) from exc


def choice(value: str, choices: Any, code: str, message: str, field: str) -> str:
    value = str(value or "").strip()
    for v, label in choices.choices:
        if value in (v, str(label)):
            return str(v)
    raise InvalidInput(code, message, field)


def kind_of(kind: str) -> str:
    kind = str(kind or "").strip()
    if kind and kind not in Kind.values:
        raise InvalidInput("invalid_kind", "类型应为 部件 或 事项。", "kind")
    return kind


def category(
    kind: str, major_code: str, type_code: str | None
) -> tuple[ObjectType | None, str, str]:
    """Resolve the category part of a key: (type, kind, major_code), validated."""
    kind = kind_of(kind)
    major_code = str(major_code or "").strip()
    type_code = str(type_code or "").strip() or None
    if type_code is not None:
        if not kind:
            raise InvalidInput("kind_required", "指定小类时须同时指定类型（部件或事项）。", "kind")
        obj_type = ObjectType.objects.filter(kind=kind, code=type_code).first()
        if obj_type is None:
            raise InvalidInput(
                "unknown_type", f"{Kind(kind).label}类型代码 {type_code} 不存在。", "type_code"
            )
        if major_code and major_code != obj_type.major_code:
            raise InvalidInput(
                "major_mismatch",
                f"小类 {type_code} 属于大类 {obj_type.major_code}，与所填大类 {major_code} 不符。",
                "major_code",
            )
        return obj_type, kind, obj_type.major_code
    if major_code:
        if not kind:
            raise InvalidInput("kind_required", "指定大类时须同时指定类型（部件或事项）。", "kind")
        if not ObjectType.objects.filter(kind=kind, major_code=major_code).exists():
            raise InvalidInput(
                "unknown_major",
                f"{Kind(kind).label}没有代码为 {major_code} 的大类。",
                "major_code",
            )
    return None, kind, major_code


def category_label(row: TimeLimit | RoutingRule | DuplicateRule) -> str:
    """The category a time limit, routing or duplicate rule applies to, as the audit log
    names it."""
    if row.type is not None:
        return f"小类 {row.type.code} {row.type.name}"
    if row.major_code:
        return f"{Kind(row.kind).label}大类 {row.major_code}"
    if row.kind:
        return f"全部{Kind(row.kind).label}"
    return "全部类型"
