"""What a locked-out client gets back (django-axes' ``AXES_LOCKOUT_CALLABLE``).

The sign-in page again, with the message saying when to retry; for the API the same message as
``{code, message, field}`` with status 429 and ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

from yiwang.core.clientip import client_ip
from yiwang.org.lockout import locked_out_message, lockout_ends
from yiwang.web.forms import LoginForm

STATUS = 429


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    username = str((credentials or {}).get("username") or "")
    message, seconds = locked_out_message(lockout_ends(username, client_ip(request)))
    response: HttpResponse
    if request.path.startswith("/api/"):
        if original_response is not None and original_response.status_code == STATUS:
            return original_response  # the API's own answer already says it
        response = JsonResponse(
            {"code": "locked_out", "message": message, "field": "username"}, status=STATUS
        )
    else:
        form = LoginForm(request, initial={"username": username})
        response = TemplateResponse(
            request,
            "web/login.html",
            {"form": form, "lockout_message": message, "next": request.POST.get("next", "")},
            status=STATUS,
        )
        response.render()
    response["Retry-After"] = str(seconds)
    return response
