"""Downloads of an issued bulletin as DOCX and XLSX (`reports.bulletins.files`).

A bulletin outside the user's division is "not found" (404), as on every scoped page; an
inspector or handler is refused (403), as on the bulletin pages.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from yiwang.core.errors import NotFound, PermissionDenied
from yiwang.org.permissions import acting_user
from yiwang.reports.bulletins.files import bulletin_file
from yiwang.reports.views.bulletins import refused_page


def _download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    try:
        return bulletin_file(acting_user(request), pk, fmt)
    except PermissionDenied:
        return refused_page(request)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def bulletin_docx(request: HttpRequest, pk: int) -> HttpResponse:
    return _download(request, pk, "docx")


@login_required
def bulletin_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    return _download(request, pk, "xlsx")
