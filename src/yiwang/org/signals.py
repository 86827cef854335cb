"""Audit rows for refused sign-ins and lockouts, from Django's and django-axes' signals.

Connected in ``OrgConfig.ready``; axes' receivers run first (it is installed earlier), so the
request already says whether this attempt found or caused a lockout.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    from yiwang.org import actions

    if request is None:
        return
    actions.record_login_failure(
        username=str(credentials.get("username") or ""),
        ip_address=getattr(request, "axes_ip_address", None) or "",
        path=request.path,
        locked=bool(getattr(request, "axes_locked_out", False)),
    )


def on_locked_out(
    sender: Any,
    request: HttpRequest,
    username: str | None,
    ip_address: str | None,
    **kwargs: Any,
) -> None:
    from yiwang.org import actions

    # Axes also signals every attempt refused during a lockout; those carry no new count
    # (and are audited as refused failures). Only the attempt that reached the limit does.
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None:
        return
    actions.record_lockout(username=username or "", ip_address=ip_address or "", failures=failures)
