"""JSON from outside, read with limits: strict UTF-8, bounded nesting, no lone surrogates.

Python's json module recurses once per level, so a body of 100,000 ``[`` ends in a
RecursionError (a 500) instead of a refusal; ``"\\ud800"`` decodes to a string that can
be neither stored in PostgreSQL nor written back as UTF-8. The API's body parser and the
file imports read JSON through `loads`, which refuses both with a clear 400.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _

from yiwang.core.errors import InvalidInput
from yiwang.core.textinput import has_invalid_unicode

# GeoJSON needs 6 levels (collection, features, feature, geometry, rings, positions);
# API bodies fewer. 32 leaves room for any real document.
MAX_JSON_DEPTH = 32


def decode_utf8(data: bytes | str, field: str | None) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "invalid_unicode",
            _("内容不是有效的 UTF-8 编码（第 %(position)d 字节）。") % {"position": exc.start + 1},
            field,
        ) from None


def loads(data: bytes | str, *, field: str | None = None, code: str = "malformed_json") -> Any:
    """Parse JSON or raise `InvalidInput` (``code`` for bad syntax, ``too_deep``,
    ``invalid_unicode``)."""
    text = decode_utf8(data, field)
    try:
        value = json.loads(text)
    except RecursionError:
        raise _too_deep(field) from None
    except ValueError as exc:
        where = (
            _("（第 %(line)d 行第 %(column)d 列）") % {"line": exc.lineno, "column": exc.colno}
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise InvalidInput(
            code, _("内容不是有效的 JSON%(where)s。") % {"where": where}, field
        ) from None
    check_parsed(value, field)
    return value


def _too_deep(field: str | None) -> InvalidInput:
    return InvalidInput(
        "too_deep", _("JSON 嵌套超过 %(depth)d 层。") % {"depth": MAX_JSON_DEPTH}, field
    )


def check_parsed(value: Any, field: str | None = None) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH and strings with lone surrogates
    (walked without recursion, so the check itself cannot overflow the stack)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if has_invalid_unicode(item):
                raise InvalidInput(
                    "invalid_unicode", _("内容含有无效的 Unicode 字符（如单独的代理码位）。"), field
                )
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise _too_deep(field)
            children = item.items() if isinstance(item, dict) else ((None, v) for v in item)
            for key, child in children:
                if isinstance(key, str):
                    stack.append((key, depth))
                if isinstance(child, str | dict | list):
                    stack.append((child, depth + 1))
