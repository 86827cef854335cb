"""Unit grid codes (单元网格标识码).

Two forms are accepted:

- GB/T 47678.3: 15 characters ``[0-9A-Z]{15}``. We read the first 12 characters as the
  community's 12-digit division code and the last 3 as the grid's serial within the
  community. This prefix rule is **our reading**: STANDARDS.md grades the 15-character
  structure "3p / guess" (the standard text was not available to us). If the standard turns
  out to lay the code out differently, this is the one place to change.
- Legacy GB/T 30428.1: 14 digits = county (6) + street (3) + community (3) + grid (2), so
  its first 12 digits are again the community code.

Either way a grid code's prefix must be the code of the community the grid belongs to;
a mismatch means the grid lies outside its claimed division.
"""

from __future__ import annotations

import re

from yiwang.core.errors import InvalidInput
from yiwang.core.textinput import is_ascii_digits

_STANDARD = re.compile(r"[0-9A-Z]{15}")
_LEGACY = re.compile(r"[0-9]{14}")


def grid_code_prefix(code: str) -> str | None:
    """The community code a well-formed grid code claims, or None if the code is malformed."""
    code = code.strip().upper()
    if _STANDARD.fullmatch(code) or _LEGACY.fullmatch(code):
        prefix = code[:12]
        return prefix if is_ascii_digits(prefix) else None
    return None


def validate_grid_code(code: str, community_code: str, field: str = "code") -> str:
    """Return the normalised grid code, or raise InvalidInput.

    Codes: ``grid_code_format`` (neither form, or a 15-character code whose first
    12 characters are not digits), ``grid_code_outside_division`` (prefix is not
    ``community_code``).
    """
    normalised = (code or "").strip().upper()
    prefix = grid_code_prefix(normalised)
    if prefix is None:
        raise InvalidInput(
            "grid_code_format",
            f"网格编码 {code} 格式不正确：应为 15 位（前 12 位为社区代码，后 3 位为网格序号，"
            "数字或大写字母）或旧版 14 位数字。",
            field,
        )
    if prefix != community_code:
        raise InvalidInput(
            "grid_code_outside_division",
            f"网格编码 {normalised} 的前 12 位 {prefix} 与所属社区代码 {community_code} 不一致。",
            field,
        )
    return normalised
