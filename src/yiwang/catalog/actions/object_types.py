"""Local extension types (本地扩展) and the switches of every type."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from yiwang.catalog.codes import validate_major_code, validate_type_code
from yiwang.catalog.models import Kind, ObjectType
from yiwang.core import audit
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.org.models import User
from yiwang.org.permissions import require_admin


def _kind(kind: str) -> str:
    kind = str(kind).strip()
    if kind not in Kind.values:
        raise InvalidInput("invalid_kind", "类型应为 component（部件）或 matter（事项）。", "kind")
    return kind


def check_local_type(kind: str, code: str, major_code: str) -> tuple[str, str, str]:
    """Preconditions of a new local type, shared with the admin form. Returns cleaned values."""
    kind = _kind(kind)
    major_code = validate_major_code(major_code)
    code = validate_type_code(code, major_code=major_code)
    if ObjectType.objects.filter(kind=kind, code=code).exists():
        raise InvalidInput(
            "duplicate_type_code",
            f"{Kind(kind).label}类型代码 {code} 已存在，本地扩展类型不能与之重复。",
            "code",
        )
    return kind, code, major_code


@transaction.atomic
def create_local_type(
    actor: User,
    *,
    kind: str,
    code: str,
    major_code: str,
    name: str,
    major_name: str = "",
    self_handle: bool = False,
) -> ObjectType:
    """Add a local extension type (本地扩展), marked ``is_local``; never replaces a standard one.

    ``major_name`` may be left blank when the major class already exists for this kind.
    """
    require_admin(actor, "新增本地扩展类型")
    kind, code, major_code = check_local_type(kind, code, major_code)
    name = name.strip()
    if not name:
        raise InvalidInput("required", "请填写类型名称。", "name")
    major_name = major_name.strip()
    if not major_name:
        sibling = ObjectType.objects.filter(kind=kind, major_code=major_code).first()
        if sibling is None:
            raise InvalidInput(
                "major_name_required",
                f"大类 {major_code} 尚不存在，请填写大类名称。",
                "major_name",
            )
        major_name = sibling.major_name
    object_type = ObjectType.objects.create(
        kind=kind,
        code=code,
        major_code=major_code,
        major_name=major_name,
        name=name,
        is_local=True,
        self_handle=self_handle,
    )
    audit.record(
        actor,
        "catalog.create_local_type",
        object_type,
        f"新增本地扩展{Kind(kind).label}类型 {code} {name}",
        kind=kind,
        code=code,
    )
    return object_type


@transaction.atomic
def update_type(
    actor: User,
    kind: str,
    code: str,
    *,
    name: str | None = None,
    self_handle: bool | None = None,
    is_active: bool | None = None,
) -> ObjectType:
    """Change a type's switches; only local types may be renamed (standard names are fixed)."""
    require_admin(actor, "修改类型")
    object_type = ObjectType.objects.select_for_update().filter(kind=_kind(kind), code=code).first()
    if object_type is None:
        raise NotFound("type_not_found", f"类型 {code} 不存在。", "code")
    changes: dict[str, Any] = {}
    if name is not None and name.strip() != object_type.name:
        if not object_type.is_local:
            raise InvalidInput(
                "standard_type_readonly",
                "国家标准类型的名称不能修改，只能设置启用和可自处理。",
                "name",
            )
        if not name.strip():
            raise InvalidInput("required", "请填写类型名称。", "name")
        changes["name"] = name.strip()
    if self_handle is not None and self_handle != object_type.self_handle:
        changes["self_handle"] = self_handle
    if is_active is not None and is_active != object_type.is_active:
        changes["is_active"] = is_active
    if not changes:
        return object_type
    for attr, value in changes.items():
        setattr(object_type, attr, value)
    object_type.save(update_fields=list(changes))
    audit.record(
        actor,
        "catalog.update_type",
        object_type,
        f"修改类型 {object_type.code} {object_type.name}",
        **changes,
    )
    return object_type
