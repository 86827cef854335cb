"""An issued bulletin as a DOCX or XLSX file (charts drawn on the server), for the page
downloads and the API alike.

Both files are rendered from the bulletin's frozen content (`reports.bulletins.content`),
never from the case tables, so a file downloaded today reads as the bulletin was issued.
Only readers of bulletins get one (`queries.require_reader`), only of their scope, and each
download is audited, like the downloads of background exports.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import quote

from django.http import HttpResponse

from yiwang.core.spreadsheets import clean_text
from yiwang.org.models import User
from yiwang.reports import actions
from yiwang.reports.bulletins.charts import ChartFontMissing
from yiwang.reports.bulletins.content import BulletinContent
from yiwang.reports.bulletins.docx import DOCX_CONTENT_TYPE, render_docx
from yiwang.reports.bulletins.queries import bulletin_for, content_of, require_reader
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


def bulletin_file(user: User, pk: int, fmt: str) -> HttpResponse:
    """The `fmt` file of bulletin `pk`, audited; the page downloads and the API share it.

    Raises PermissionDenied (a reader role is needed) and NotFound (outside the scope)."""
    require_reader(user)
    bulletin = bulletin_for(user, pk)
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
