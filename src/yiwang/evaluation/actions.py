"""Writes of the evaluation app: scheme versions (the only write path; audited)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from yiwang.core import audit
from yiwang.core.errors import InvalidInput, PermissionDenied
from yiwang.evaluation import scheme as scheme_rules
from yiwang.evaluation.models import Scheme
from yiwang.org.models import User
from yiwang.org.permissions import has_role
from yiwang.org.roles import Role


def _require_admin(actor: User) -> None:
    if not has_role(actor, [Role.ADMIN]):
        raise PermissionDenied("forbidden", "只有系统管理员可以维护考核方案")


def create_scheme(
    actor: User, code: str, name: str, definition: Any, note: str = "", make_current: bool = False
) -> Scheme:
    """A new scheme (version 1 of `code`), validated."""
    _require_admin(actor)
    scheme_rules.validate(definition)
    code = code.strip()
    if not code:
        raise InvalidInput("required", "请填写方案代码", field="code")
    with transaction.atomic():
        if Scheme.objects.filter(code=code).exists():
            raise InvalidInput("scheme_exists", "该方案代码已存在，请修订为新版本", field="code")
        created = Scheme.objects.create(
            code=code, version=1, name=name, definition=definition, note=note, created_by=actor
        )
        audit.record(actor, "evaluation.scheme_create", created, str(created))
        if make_current:
            _make_current(actor, created)
    return created


def revise_scheme(actor: User, base: Scheme, name: str, definition: Any, note: str = "") -> Scheme:
    """The next version of `base`'s scheme; `base` itself is never changed. The new version
    becomes current when `base` was."""
    _require_admin(actor)
    scheme_rules.validate(definition)
    with transaction.atomic():
        latest = (
            Scheme.objects.select_for_update().filter(code=base.code).aggregate(v=Max("version"))
        )["v"] or 0
        revised = Scheme.objects.create(
            code=base.code,
            version=latest + 1,
            name=name,
            definition=definition,
            note=note,
            created_by=actor,
        )
        audit.record(
            actor,
            "evaluation.scheme_revise",
            revised,
            f"{base} → v{revised.version}",
            base_version=base.version,
        )
        if Scheme.objects.filter(pk=base.pk, is_current=True).exists():
            _make_current(actor, revised)
    return revised


def make_current(actor: User, chosen: Scheme) -> None:
    _require_admin(actor)
    with transaction.atomic():
        _make_current(actor, chosen)


def _make_current(actor: User, chosen: Scheme) -> None:
    Scheme.objects.filter(is_current=True).exclude(pk=chosen.pk).update(is_current=False)
    Scheme.objects.filter(pk=chosen.pk).update(is_current=True)
    chosen.is_current = True
    audit.record(actor, "evaluation.scheme_current", chosen, str(chosen))
