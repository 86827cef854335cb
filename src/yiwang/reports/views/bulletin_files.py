"""Downloads of an issued bulletin as DOCX and XLSX (charts drawn on the server).

Both files are rendered from the bulletin's frozen content (`reports.bulletins.content`),
never from the case tables, so a file downloaded today reads as the bulletin was issued.
A bulletin outside the user's division is "not found" (404), as on every scoped page;
each download is audited, like the downloads of background exports.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from yiwang.core.errors import NotFound
from yiwang.core.spreadsheets import clean_text
from yiwang.org.permissions import acting_user
from yiwang.reports import actions
from yiwang.reports.bulletins.charts import ChartFontMissing
from yiwang.reports.bulletins.content import BulletinContent
from yiwang.reports.bulletins.docx import DOCX_CONTENT_TYPE, render_docx
from yiwang.reports.bulletins.queries import bulletin_for, content_of
from yiwang.reports.bulletins.xlsx import XLSX_CONTENT_TYPE, render_xlsx
from yiwang.reports.models import Bulletin

logger = logging.getLogger(__name__)

# Characters no file system or browser accepts in a file name.
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')

FORMATS: dict[str, tuple[Callable[[BulletinContent], bytes], str]] = {
    "docx": (render_docx, DOCX_CONTENT_TYPE),
    "xlsx": (render_xlsx, XLSX_CONTENT_TYPE),
}


def download_name(bulletin: Bulletin, fmt: str) -> str:
    """2026年11月城市管理问题月度通报（第2版）.docx"""
    title = _UNSAFE_NAME.sub("_", clean_text(bulletin.title)).strip(" .") or "通报"
    return f"{title[:120]}（第{bulletin.version}版）.{fmt}"


def content_disposition(filename: str, fallback: str) -> str:
    """An attachment with a UTF-8 name (RFC 6266 / 5987) and an ASCII name for old clients."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def _download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    user = acting_user(request)
    try:
        bulletin = bulletin_for(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    render, content_type = FORMATS[fmt]
    try:
        data = render(content_of(bulletin))
    except ChartFontMissing as exc:
        # A machine set up without any CJK font: say so instead of charts of empty boxes.
        logger.error("bulletin %s: %s", bulletin.pk, exc)
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    actions.record_bulletin_download(user, bulletin, fmt)
    response = HttpResponse(data, content_type=content_type)
    fallback = f"bulletin-{bulletin.pk}-v{bulletin.version}.{fmt}"
    response["Content-Disposition"] = content_disposition(download_name(bulletin, fmt), fallback)
    # Rankings of named departments and staff: no shared cache may keep the file.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def bulletin_docx(request: HttpRequest, pk: int) -> HttpResponse:
    return _download(request, pk, "docx")


@login_required
def bulletin_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    return _download(request, pk, "xlsx")
