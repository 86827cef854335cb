"""Write path for divisions, departments, staff and API tokens."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from datetime import timedelta
from typing import Any

from axes.models import AccessFailureLog, AccessLog
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from yiwang.core import audit, generations
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.core.scope import path_in_scope
from yiwang.org.lockout import check_token_rate, locked_out_error
from yiwang.org.models import ApiToken, Department, Division, User
from yiwang.org.permissions import require_admin, require_in_scope
from yiwang.org.roles import DEPARTMENT_ROLES, Role
from yiwang.org.validators import validate_credit_code, validate_division_code

# Which level a new division may hang under. Streets also hang directly under a
# city with no county level (东莞, 中山).
PARENT_LEVELS = {
    Division.Level.STREET: {Division.Level.COUNTY, Division.Level.CITY},
    Division.Level.COMMUNITY: {Division.Level.STREET},
}

TOKEN_LIFETIME = timedelta(days=30)


def _division(code: str, field: str) -> Division:
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise NotFound("division_not_found", f"区划代码 {code} 不存在。", field)
    return division


@transaction.atomic
def create_division(actor: User, *, code: str, name: str, level: str, parent_code: str) -> Division:
    """Create a street (9-digit code) or community (12-digit code) under an existing division."""
    require_admin(actor, "新建街道或社区")
    if level not in PARENT_LEVELS:
        raise InvalidInput("division_level", "只能新建街道或社区级区划。", "level")
    name = name.strip()
    if not name:
        raise InvalidInput("required", "请填写名称。", "name")
    parent = _division(parent_code, "parent_code")
    require_in_scope(actor, parent.path, "上级区划")
    if parent.level not in PARENT_LEVELS[Division.Level(level)]:
        raise InvalidInput(
            "division_parent_level",
            f"{Division.Level(level).label}不能建在{parent.get_level_display()}之下。",
            "parent_code",
        )
    if parent.level == Division.Level.CITY and parent.children.filter(level="county").exists():
        raise InvalidInput(
            "division_parent_level", "该市设有区县，街道应建在区县之下。", "parent_code"
        )
    code = validate_division_code(code, level, parent.code)
    if Division.objects.filter(code=code).exists():
        raise InvalidInput("duplicate_code", f"区划代码 {code} 已存在。", "code")
    division = Division.objects.create(
        code=code, name=name, level=level, parent=parent, path=f"{parent.path}{code}/"
    )
    audit.record(
        actor, "org.create_division", division, f"新建{division.get_level_display()} {name}"
    )
    return division


@transaction.atomic
def rename_division(actor: User, division_id: int, name: str) -> Division:
    """Change a division's name; its code, level and parent stay (every scope path uses them)."""
    require_admin(actor, "修改区划")
    division = Division.objects.filter(pk=division_id).first()
    if division is None or not path_in_scope(actor, division.path):
        raise NotFound("division_not_found", "区划不存在或不在您的管辖范围内。", "division_id")
    name = name.strip()
    if not name:
        raise InvalidInput("required", "请填写名称。", "name")
    if len(name) > Division._meta.get_field("name").max_length:  # type: ignore[operator]
        raise InvalidInput("too_long", "名称过长。", "name")
    if name != division.name:
        old = division.name
        division.name = name
        division.save(update_fields=["name"])
        audit.record(actor, "org.rename_division", division, f"区划 {old} 更名为 {name}", old=old)
    return division


@transaction.atomic
def create_department(
    actor: User,
    *,
    name: str,
    kind: str,
    division_code: str,
    credit_code: str = "",
    is_active: bool = True,
) -> Department:
    require_admin(actor, "新建部门")
    name = name.strip()
    if not name:
        raise InvalidInput("required", "请填写部门名称。", "name")
    if kind not in Department.Kind.values:
        raise InvalidInput("department_kind", "部门类别应为 专业部门、属地 或 其他。", "kind")
    division = _division(division_code, "division_code")
    require_in_scope(actor, division.path, "所属区划")
    credit_code = validate_credit_code(credit_code) if credit_code.strip() else ""
    if Department.objects.filter(division=division, name=name).exists():
        raise InvalidInput("duplicate_name", f"{division.name}已有名为“{name}”的部门。", "name")
    if credit_code and Department.objects.filter(credit_code=credit_code).exists():
        raise InvalidInput(
            "duplicate_credit_code", "该统一社会信用代码已被其他部门使用。", "credit_code"
        )
    department = Department.objects.create(
        name=name, kind=kind, division=division, credit_code=credit_code, is_active=is_active
    )
    audit.record(
        actor,
        "org.create_department",
        department,
        f"新建部门 {name}" + ("" if is_active else "（停用）"),
    )
    # Case routing falls back to a street's 属地 department; let its cache see the new one.
    generations.bump("routing")
    return department


@transaction.atomic
def create_staff(
    actor: User,
    *,
    username: str,
    password: str,
    role: str,
    division_code: str,
    display_name: str = "",
    department_id: int | None = None,
    phone: str = "",
) -> User:
    require_admin(actor, "新建人员")
    username = username.strip()
    if not username:
        raise InvalidInput("required", "请填写用户名。", "username")
    if role not in Role.values:
        raise InvalidInput("role", f"未知角色：{role}", "role")
    if len(password) < 8:
        raise InvalidInput("password_too_short", "密码至少 8 位。", "password")
    if User.objects.filter(username=username).exists():
        raise InvalidInput("duplicate_username", f"用户名 {username} 已存在。", "username")
    division = _division(division_code, "division_code")
    require_in_scope(actor, division.path, "管辖区划")
    department = None
    if department_id is not None:
        department = Department.objects.filter(pk=department_id).select_related("division").first()
        if department is None:
            raise NotFound("department_not_found", "所选部门不存在。", "department_id")
        require_in_scope(actor, department.division.path, "所属部门")
    if role in DEPARTMENT_ROLES and department is None:
        raise InvalidInput("department_required", "处置人员必须指定所属部门。", "department_id")
    user = User(
        username=username,
        role=role,
        division=division,
        department=department,
        display_name=display_name.strip(),
        phone=phone.strip(),
        is_staff=role == Role.ADMIN,
    )
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent request took the name first
        raise InvalidInput("duplicate_username", f"用户名 {username} 已存在。", "username") from exc
    audit.record(actor, "org.create_staff", user, f"新建人员 {username}（{user.role_label}）")
    return user


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _refuse_malformed_username(username: str) -> None:
    # The name is stored with every failed attempt: bound it and keep out what a database
    # column cannot hold (NUL, lone surrogates) before it reaches the lockout records.
    try:
        username.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("invalid_username", "用户名含有无效字符。", "username") from None
    if len(username) > 150 or any(ord(c) < 32 or ord(c) == 127 for c in username):
        raise InvalidInput("invalid_username", "用户名过长或含有控制字符。", "username")


def issue_token(request: HttpRequest, *, username: str, password: str) -> tuple[str, ApiToken]:
    """Exchange a username and password for a bearer token (shown once).

    The password is checked like a web sign-in, so failures count towards the lockout of the
    account and of the client address. Not one transaction: a refused attempt must still be
    counted and audited.
    """
    _refuse_malformed_username(username)
    check_token_rate(request, username)
    user = authenticate(request, username=username, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise locked_out_error(request, username)
        raise PermissionDenied("bad_credentials", "用户名或密码错误。", "password")
    with transaction.atomic():
        key = secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=user,
            key_hash=_hash(key),
            prefix=key[:8],
            expires_at=timezone.now() + TOKEN_LIFETIME,
        )
        audit.record(user, "org.issue_token", token, f"签发接口令牌 {token.prefix}…")
    return key, token


def user_for_token(key: str) -> User | None:
    """The active user a bearer token belongs to, or None if unknown or expired."""
    token = (
        ApiToken.objects.select_related("user", "user__division")
        .filter(key_hash=_hash(key), expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Touch at most once a minute so token use does not turn every read into a write.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def bootstrap_admin(
    *, username: str, password: str, division_code: str, display_name: str = ""
) -> User:
    """Create an installation administrator (superuser with the 系统管理员 role).

    This is how a new node gets its first account, so it has no acting user;
    the audit row records the operation without an actor.
    """
    if User.objects.filter(username=username).exists():
        raise InvalidInput("duplicate_username", f"用户名 {username} 已存在。", "username")
    division = _division(division_code, "division_code")
    user = User(
        username=username,
        role=Role.ADMIN,
        division=division,
        display_name=display_name,
        is_staff=True,
        is_superuser=True,
    )
    user.set_password(password)
    user.save()
    audit.record(None, "org.bootstrap_admin", user, f"创建管理员 {username}")
    return user


@transaction.atomic
def update_department(
    actor: User,
    department_id: int,
    *,
    name: str | None = None,
    kind: str | None = None,
    credit_code: str | None = None,
    is_active: bool | None = None,
) -> Department:
    """Change a department's descriptive fields (its division stays: cases refer to it)."""
    require_admin(actor, "修改部门")
    department = Department.objects.select_related("division").filter(pk=department_id).first()
    if department is None:
        raise NotFound("department_not_found", "部门不存在。", "department_id")
    require_in_scope(actor, department.division.path, "该部门")
    changed: list[str] = []
    if name is not None and name.strip() != department.name:
        name = name.strip()
        if not name:
            raise InvalidInput("required", "请填写部门名称。", "name")
        clash = Department.objects.filter(division=department.division, name=name)
        if clash.exclude(pk=department.pk).exists():
            raise InvalidInput("duplicate_name", f"已有名为“{name}”的部门。", "name")
        department.name = name
        changed.append("name")
    if kind is not None and kind != department.kind:
        if kind not in Department.Kind.values:
            raise InvalidInput("department_kind", "部门类别应为 专业部门、属地 或 其他。", "kind")
        department.kind = kind
        changed.append("kind")
    if credit_code is not None and credit_code.strip().upper() != department.credit_code:
        code = validate_credit_code(credit_code) if credit_code.strip() else ""
        if code and Department.objects.filter(credit_code=code).exclude(pk=department.pk).exists():
            raise InvalidInput(
                "duplicate_credit_code", "该统一社会信用代码已被其他部门使用。", "credit_code"
            )
        department.credit_code = code
        changed.append("credit_code")
    if is_active is not None and is_active != department.is_active:
        department.is_active = is_active
        changed.append("is_active")
    if changed:
        department.save(update_fields=changed)
        audit.record(
            actor,
            "org.update_department",
            department,
            f"修改部门 {department.name}",
            fields=changed,
        )
        generations.bump("routing")
    return department


def _staff_to_change(actor: User, user_id: int) -> User:
    user = User.objects.select_related("division").filter(pk=user_id).first()
    if user is None or (user.division and not path_in_scope(actor, user.division.path)):
        raise NotFound("user_not_found", "人员不存在或不在您的管辖范围内。", "user_id")
    if user.is_superuser and not actor.is_superuser:
        raise PermissionDenied("forbidden_superuser", "只有超级管理员可以修改超级管理员。")
    return user


@transaction.atomic
def update_staff(
    actor: User,
    user_id: int,
    *,
    display_name: str,
    role: str,
    division_code: str | None,
    department_id: int | None,
    phone: str = "",
    is_active: bool = True,
) -> User:
    """Change a staff member's role, area, department and contact details."""
    require_admin(actor, "修改人员")
    user = _staff_to_change(actor, user_id)
    if role not in Role.values:
        raise InvalidInput("role", f"未知角色：{role}", "role")
    if division_code is None:
        raise InvalidInput("required", "请选择管辖区划。", "division")
    division = _division(division_code, "division")
    require_in_scope(actor, division.path, "管辖区划")
    department = None
    if department_id is not None:
        department = Department.objects.select_related("division").filter(pk=department_id).first()
        if department is None:
            raise NotFound("department_not_found", "所选部门不存在。", "department")
        require_in_scope(actor, department.division.path, "所属部门")
    if role in DEPARTMENT_ROLES and department is None:
        raise InvalidInput("department_required", "处置人员必须指定所属部门。", "department")
    user.display_name, user.role, user.division, user.department = (
        display_name.strip(),
        role,
        division,
        department,
    )
    user.phone, user.is_active = phone.strip(), is_active
    # The admin site is open to system administrators: keep is_staff in step with the role.
    if not user.is_superuser:
        user.is_staff = role == Role.ADMIN
    user.save()
    audit.record(actor, "org.update_staff", user, f"修改人员 {user.username}（{user.role_label}）")
    return user


@transaction.atomic
def set_staff_permissions(
    actor: User, user_id: int, *, group_ids: list[int], permission_ids: list[int]
) -> User:
    """Django groups and raw permissions of a staff member: a superuser's tool only."""
    if not getattr(actor, "is_superuser", False):
        raise PermissionDenied("forbidden_superuser", "只有超级管理员可以分配权限组和权限。")
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("user_not_found", "人员不存在。", "user_id")
    old_groups = set(user.groups.values_list("pk", flat=True))
    old_perms = set(user.user_permissions.values_list("pk", flat=True))
    if old_groups != set(group_ids) or old_perms != set(permission_ids):
        user.groups.set(group_ids)
        user.user_permissions.set(permission_ids)
        audit.record(
            actor,
            "org.set_staff_permissions",
            user,
            f"修改人员 {user.username} 的权限组和权限",
            groups=sorted(group_ids),
            permissions=sorted(permission_ids),
        )
    return user


@transaction.atomic
def set_password(actor: User, user_id: int, password: str | None) -> User:
    """Give a staff member a new password, or none (``None``: no password login at all).

    Their API tokens are revoked with the old password. Their signed-in sessions end on
    their next request, because a session carries a hash of the password it was opened
    with (Django's session verification); a caller that keeps the actor's own session
    open after changing their own password updates it (``update_session_auth_hash``).
    """
    require_admin(actor, "重设密码")
    user = _staff_to_change(actor, user_id)
    if password is None:
        user.set_unusable_password()
    else:
        if len(password) < 8:
            raise InvalidInput("password_too_short", "密码至少 8 位。", "password")
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise InvalidInput("weak_password", " ".join(exc.messages), "password") from exc
        user.set_password(password)
    user.save(update_fields=["password"])
    tokens = ApiToken.objects.filter(user=user)
    revoked = sorted(tokens.values_list("prefix", flat=True))
    tokens.delete()
    audit.record(
        actor,
        "org.set_password",
        user,
        f"{'重设' if password is not None else '停用'}人员 {user.username} 的登录密码"
        f"，吊销接口令牌 {len(revoked)} 个",
        usable=password is not None,
        revoked_tokens=revoked,
    )
    return user


@transaction.atomic
def revoke_tokens(actor: User, token_ids: list[int]) -> int:
    """Revoke API tokens (of staff within the actor's area); returns how many were revoked."""
    require_admin(actor, "吊销接口令牌")
    tokens = list(ApiToken.objects.select_related("user__division").filter(pk__in=token_ids))
    for token in tokens:
        division = token.user.division
        if division is not None and not path_in_scope(actor, division.path):
            raise NotFound("token_not_found", "令牌不存在或不在您的管辖范围内。", "token_id")
    for token in tokens:
        audit.record(actor, "org.revoke_token", token, f"吊销接口令牌 {token.prefix}…")
    ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).delete()
    return len(tokens)


@transaction.atomic
def prune_expired_tokens(*, now: Any = None) -> int:
    """Delete API tokens past their expiry (housekeeping run by the worker)."""
    now = now or timezone.now()
    expired = ApiToken.objects.filter(expires_at__lte=now)
    count = expired.count()
    if count:
        expired.delete()
        audit.record(
            None, "org.prune_expired_tokens", ("org.apitoken", "*"), f"清理过期令牌 {count} 个"
        )
    return count


@transaction.atomic
def prune_sign_in_logs(*, now: Any = None) -> int:
    """Delete sign-in logs (django-axes' access and failure logs) older than the retention.

    China's Cybersecurity Law (art. 21) asks for network logs to be kept at least six
    months, hence the default of 180 days (settings.SIGN_IN_LOG_RETENTION_DAYS).
    """
    limit = (now or timezone.now()) - timedelta(days=settings.SIGN_IN_LOG_RETENTION_DAYS)
    count = AccessLog.objects.filter(attempt_time__lte=limit).delete()[0]
    count += AccessFailureLog.objects.filter(attempt_time__lte=limit).delete()[0]
    if count:
        audit.record(
            None,
            "org.prune_sign_in_logs",
            ("axes.accesslog", "*"),
            f"清理 {settings.SIGN_IN_LOG_RETENTION_DAYS} 天前的登录日志 {count} 条",
        )
    return count


@transaction.atomic
def revoke_own_token(actor: User, token_id: int) -> None:
    """Revoke one of the actor's own API tokens; anyone else's is "not found"."""
    token = ApiToken.objects.filter(pk=token_id, user=actor).first()
    if token is None:
        raise NotFound("token_not_found", "令牌不存在。", "token_id")
    audit.record(actor, "org.revoke_own_token", token, f"吊销本人接口令牌 {token.prefix}…")
    token.delete()


@transaction.atomic
def revoke_all_own_tokens(actor: User) -> int:
    """Revoke every API token of the actor (offered when signing out); returns how many."""
    tokens = ApiToken.objects.filter(user=actor)
    count = tokens.count()
    if count:
        tokens.delete()
        audit.record(
            actor, "org.revoke_own_tokens", actor, f"退出登录时吊销本人全部接口令牌 {count} 个"
        )
    return count


def _login_subject(username: str) -> tuple[str, str]:
    return ("auth.login", username[:64])


@transaction.atomic
def record_login_failure(*, username: str, ip_address: str, path: str, locked: bool) -> None:
    """Audit a refused sign-in (wrong password, unknown user, or an attempt while locked out)."""
    state = "（已锁定）" if locked else ""
    audit.record(
        None,
        "org.login_failed",
        _login_subject(username),
        f"登录失败{state}：用户名 {username[:64]}，地址 {ip_address}",
        username=username[:150],
        ip_address=ip_address,
        path=path[:200],
        locked=locked,
    )


@transaction.atomic
def record_lockout(*, username: str, ip_address: str, failures: int) -> None:
    """Audit the moment an account or address reaches the failure limit."""
    audit.record(
        None,
        "org.login_locked_out",
        _login_subject(username),
        f"连续登录失败 {failures} 次，锁定用户名 {username[:64]} 与地址 {ip_address}",
        username=username[:150],
        ip_address=ip_address,
        failures=failures,
    )


@transaction.atomic
def unlock_login(actor: User, *, username: str = "", ip_address: str = "") -> int:
    """Lift a sign-in lockout of a user name or a client address before its cool-off ends.

    Returns how many counted attempts were cleared. A user name of staff outside the actor's
    area is "not found"; names that match no staff (an attacker's guesses) and addresses may be
    cleared by any 系统管理员.
    """
    require_admin(actor, "解除登录锁定")
    username, ip_address = username.strip(), ip_address.strip()
    if not username and not ip_address:
        raise InvalidInput("required", "请指定要解锁的用户名或地址。", "username")
    if username:
        target = User.objects.select_related("division").filter(username=username).first()
        division = target.division if target is not None else None
        if division is not None and not path_in_scope(actor, division.path):
            raise NotFound("user_not_found", "人员不存在或不在您的管辖范围内。", "username")
    if ip_address:
        try:
            ip_address = str(ipaddress.ip_address(ip_address))
        except ValueError:
            raise InvalidInput("invalid_ip", "地址格式不正确。", "ip_address") from None
    cleared = axes_reset(username=username) if username else 0
    if ip_address:
        cleared += axes_reset(ip=ip_address)
    what = "、".join(
        x for x in (username and f"用户名 {username}", ip_address and f"地址 {ip_address}") if x
    )
    audit.record(
        actor,
        "org.unlock_login",
        _login_subject(username or ip_address),
        f"解除登录锁定：{what}",
        username=username,
        ip_address=ip_address,
        cleared=cleared,
    )
    return cleared
