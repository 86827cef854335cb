"""Open311 documents in XML and JSON, shaped as the GeoReport v2 examples.

A document is built once as plain data — dicts (elements in order), lists (repeated
children) and scalars — and written out in either format. JSON follows the "Spark
convention" the specification names: a container element whose children repeat becomes
an array, even when it holds one child; the root container of a list is the array itself.
XML is UTF-8 with the declaration, no namespace, an element for every field (empty when
there is no value, ``null`` in JSON).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.http import HttpResponse

from yiwang.core.spreadsheets import clean_text

SHANGHAI = ZoneInfo("Asia/Shanghai")
XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"

# The element each repeated child of a container is written as.
# What XML 1.0 cannot hold (controls but tab and line breaks, lone surrogates, U+FFFE/U+FFFF);
# looked for first, as nearly every text is clean and a list answer writes thousands.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}


def w3c(value: datetime | None) -> str | None:
    """ISO 8601 (W3C profile) in China Standard Time, with its offset: 2026-12-02T15:04:05+08:00."""
    if value is None:
        return None
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    # One character XML 1.0 cannot hold, in a stored text or in an echoed refusal, would make
    # the whole document unreadable for every client: it is written as U+FFFD.
    text = str(value)
    return escape(clean_text(text) if _NOT_XML.search(text) else text)


def _xml(name: str, value: Any, depth: int, out: list[str]) -> None:
    pad = "    " * depth
    if isinstance(value, dict):
        out.append(f"{pad}<{name}>\n")
        for key, child in value.items():
            _xml(key, child, depth + 1, out)
        out.append(f"{pad}</{name}>\n")
    elif isinstance(value, list):
        if not value:
            out.append(f"{pad}<{name}></{name}>\n")
            return
        out.append(f"{pad}<{name}>\n")
        child_name = SINGULAR[name]
        for child in value:
            _xml(child_name, child, depth + 1, out)
        out.append(f"{pad}</{name}>\n")
    else:
        out.append(f"{pad}<{name}>{_scalar(value)}</{name}>\n")


def to_xml(root: str, data: Any) -> str:
    out = ['<?xml version="1.0" encoding="utf-8"?>\n']
    _xml(root, data, 0, out)
    return "".join(out)


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def document(fmt: str, root: str, data: Any, *, status: int = 200) -> HttpResponse:
    """`data` under the root element `root` (XML) or as is (JSON)."""
    if fmt == "json":
        return HttpResponse(to_json(data), content_type=JSON_TYPE, status=status)
    return HttpResponse(to_xml(root, data), content_type=XML_TYPE, status=status)


def errors(fmt: str, status: int, items: list[tuple[int | str, str]]) -> HttpResponse:
    """GeoReport v2 errors: a list of {code, description}, the HTTP status 400/403/404."""
    # A refusal may repeat what the client sent (a lone surrogate cannot even be encoded).
    body = [{"code": code, "description": clean_text(text)} for code, text in items]
    return document(fmt, "errors", body, status=status)
