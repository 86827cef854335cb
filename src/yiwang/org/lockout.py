"""Reading sign-in lockouts (django-axes' counted attempts): when one ends, who is locked.

Counting and locking are axes' own; the audited writes (failures, lockouts, an administrator's
unlock) are in ``org.actions``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Q, Sum
from django.http import HttpRequest
from django.utils import timezone
from django_ratelimit.core import get_usage

from yiwang.core.clientip import client_ip
from yiwang.core.errors import TooManyRequests
from yiwang.core.scope import scoped
from yiwang.org.models import User


def _window_start() -> datetime:
    return timezone.now() - settings.AXES_COOLOFF_TIME


def lockout_ends(username: str, ip_address: str | None) -> datetime:
    """When the user name and the address may try again: the cool-off after the last counted
    failure of either (guesses during a lockout are not counted, so this does not move)."""
    match = Q(username=username)
    if ip_address:
        match |= Q(ip_address=ip_address)
    last = AccessAttempt.objects.filter(match, attempt_time__gte=_window_start()).aggregate(
        last=Max("attempt_time")
    )["last"]
    return (last or timezone.now()) + settings.AXES_COOLOFF_TIME


def locked_out_message(ends: datetime) -> tuple[str, int]:
    """The Chinese message saying when to retry, and the seconds until then."""
    seconds = max(1, math.ceil((ends - timezone.now()).total_seconds()))
    minutes = max(1, math.ceil(seconds / 60))
    local = timezone.localtime(ends)
    message = (
        f"登录失败次数过多，该账号或当前地址已被暂时锁定。"
        f"请于 {local:%H:%M} 后（约 {minutes} 分钟）再试，或联系系统管理员解锁。"
    )
    return message, seconds


def locked_out_error(request: HttpRequest, username: str) -> TooManyRequests:
    ends = lockout_ends(username, client_ip(request))
    message, seconds = locked_out_message(ends)
    return TooManyRequests(
        "locked_out", message, "username", retry_after=seconds, retry_at=ends.isoformat()
    )


@dataclass(frozen=True)
class Lockout:
    """Counted failures of one user name or one address within the cool-off window."""

    kind: str  # "username" | "ip_address"
    value: str
    failures: int
    last_attempt: datetime
    locked: bool

    @property
    def ends(self) -> datetime:
        return self.last_attempt + settings.AXES_COOLOFF_TIME


def current_failures(user: User) -> list[Lockout]:
    """User names and addresses with counted failures now, locked ones first.

    User names of staff outside the administrator's area are left out; names that match no
    staff (guesses) and addresses are shown to every administrator.
    """
    recent = AccessAttempt.objects.filter(attempt_time__gte=_window_start())
    limit = settings.AXES_FAILURE_LIMIT
    known = User.objects.filter(username__in=recent.values("username"))
    hidden = set(known.values_list("username", flat=True)) - set(
        scoped(known, user, "division__path").values_list("username", flat=True)
    )
    rows: list[Lockout] = []
    for kind in ("username", "ip_address"):
        grouped = (
            recent.exclude(**{f"{kind}__isnull": True})
            .values(kind)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        )
        for row in grouped:
            value = str(row[kind])
            if kind == "username" and value in hidden:
                continue
            rows.append(
                Lockout(kind, value, row["failures"], row["last"], row["failures"] >= limit)
            )
    return sorted(rows, key=lambda r: (not r.locked, r.kind, r.value))


def check_token_rate(request: HttpRequest, username: str) -> None:
    """Refuse issuing a token when this address or this user name asked too often.

    Counted in the default cache (shared by every process: files locally, Redis at scale) by
    django-ratelimit, in fixed windows; successes count too, a script needs few tokens.
    """
    limits = (
        ("auth.token.address", client_ip(request) or "unknown", settings.TOKEN_RATE_PER_ADDRESS),
        ("auth.token.username", username.casefold(), settings.TOKEN_RATE_PER_USERNAME),
    )
    for group, value, rate in limits:
        usage = get_usage(
            request, group=group, key=lambda _g, _r, v=value: v, rate=rate, increment=True
        )
        if usage is not None and usage["should_limit"]:
            seconds = max(1, int(usage["time_left"]))
            who = "当前地址" if group.endswith("address") else "该用户名"
            raise TooManyRequests(
                "rate_limited",
                f"{who}申请接口令牌过于频繁，请在 {seconds} 秒后重试。",
                "username",
                retry_after=seconds,
            )
