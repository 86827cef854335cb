"""What text the platform accepts from outside: valid Unicode, no control characters.

One rule for every edge, so a field is checked the same way wherever it comes in: the
API's pydantic schemas use `SafeText`, the web forms `SafeTextValidator`, and actions
that take free text straight from a request call `check_text`. A control character
(ESC, NUL, vertical tab …) would otherwise be stored and break every export, spreadsheet
and terminal that later shows the value; a lone surrogate cannot even be written as UTF-8.
Tab, line feed and carriage return are allowed only in multi-line fields.

The same rule is published in the OpenAPI document as a `pattern`, so clients (and the
contract test) know in advance which strings are refused.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

# C0 controls, DEL and C1 controls; the multi-line set leaves out \t \n \r.
_CONTROL = r"\x00-\x1f\x7f-\x9f"
_CONTROL_MULTILINE = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# What str.strip() removes besides the controls: a title of only these is blank.
_BLANK = r"\x20\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

SINGLE_LINE_PATTERN = rf"^[^{_CONTROL}]*$"
MULTILINE_PATTERN = rf"^[^{_CONTROL_MULTILINE}]*$"
NOT_BLANK_PATTERN = rf"^[^{_CONTROL}]*[^{_CONTROL}{_BLANK}][^{_CONTROL}]*$"

_CONTROL_RE = re.compile(f"[{_CONTROL}]")
_CONTROL_MULTILINE_RE = re.compile(f"[{_CONTROL_MULTILINE}]")
# Lone surrogates cannot be encoded; U+FFFE / U+FFFF are non-characters that XML (an XLSX
# cell, an Open311 XML answer) cannot hold.
_SURROGATE_RE = re.compile("[\ud800-\udfff\ufffe\uffff]")


def is_ascii_digits(value: str) -> bool:
    """0–9 only: `str.isdigit` also takes "²", "١" or full-width digits, which `int()` or a
    code column would then choke on."""
    return bool(value) and value.isascii() and value.isdigit()


def text_problem(value: str, *, multiline: bool = False) -> tuple[str, str] | None:
    """The (code, message) refusing ``value``, or None when it may be stored."""
    if _SURROGATE_RE.search(value):
        return "invalid_unicode", _("含有无效的 Unicode 字符（如单独的代理码位）。")
    if (_CONTROL_MULTILINE_RE if multiline else _CONTROL_RE).search(value):
        if multiline:
            return "control_character", _("不能包含控制字符（如 ESC、NUL、垂直制表符）。")
        return "control_character", _("不能包含控制字符或换行（如 ESC、NUL、制表符）。")
    return None


def has_invalid_unicode(value: str) -> bool:
    return _SURROGATE_RE.search(value) is not None


def _pydantic_check(multiline: bool, not_blank: bool) -> Any:
    def check(value: str) -> str:
        problem = text_problem(value, multiline=multiline)
        if problem is not None:
            raise PydanticCustomError(problem[0], problem[1])
        if not_blank and not value.strip():
            raise PydanticCustomError("required", _("不能为空白。"))
        return value

    return check


def SafeText(max_length: int, *, multiline: bool = False, not_blank: bool = False) -> Any:
    """A pydantic string type: at most ``max_length`` characters, no control characters,
    valid Unicode; ``not_blank`` also refuses a value of only spaces."""
    if not_blank:
        pattern = NOT_BLANK_PATTERN
    else:
        pattern = MULTILINE_PATTERN if multiline else SINGLE_LINE_PATTERN
    return Annotated[
        str,
        Field(
            min_length=1 if not_blank else 0,
            max_length=max_length,
            json_schema_extra={"pattern": pattern},
        ),
        AfterValidator(_pydantic_check(multiline, not_blank)),
    ]


def model_max_length(model: Any, field: str) -> int:
    """The max_length of a model's CharField: the API schemas and forms take it from here."""
    length = model._meta.get_field(field).max_length
    assert isinstance(length, int), f"{model.__name__}.{field} has no max_length"
    return length


@deconstructible
class SafeTextValidator:
    """The form field side of `SafeText`: the error appears next to the field."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        if not isinstance(value, str):
            return
        problem = text_problem(value, multiline=self.multiline)
        if problem is not None:
            raise ValidationError(problem[1], code=problem[0])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SafeTextValidator) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash(self.multiline)
