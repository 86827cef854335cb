"""Code formats of the catalogue: 5-digit type codes and 17-digit component ids.

A component id (管理部件标识码, GB/T 47678.5-2026) is 17 digits:
division (6, the county-level GB/T 2260 code where the component stands)
+ type code (5, major 2 + minor 3) + serial (6). The legacy 16-digit form of
GB/T 30428.2 (division 6 + major 2 + minor 2 + serial 6) is not accepted: the
minor part changed from 2 to 3 digits, so old ids cannot be mapped without a
lookup table, and a silent conversion would invent ids.
"""

from __future__ import annotations

import re

from yiwang.core.errors import InvalidInput
from yiwang.core.textinput import is_ascii_digits

COMPONENT_IDENT_LENGTH = 17
_IDENT_RE = re.compile(r"\d{17}")
_TYPE_CODE_RE = re.compile(r"\d{5}")
_MAJOR_CODE_RE = re.compile(r"\d{2}")


def validate_component_ident(
    ident: str, *, type_code: str, district_code: str, field: str = "ident"
) -> str:
    """Check a 17-digit component id against the district it stands in and its type.

    ``district_code`` is the 6-digit county-level code of the located grid (for a
    city without counties, such as 东莞 441900, the city code). Returns the id
    stripped of surrounding blanks.
    """
    ident = check_ident_format(ident, field)
    if ident[:6] != district_code:
        raise InvalidInput(
            "component_ident_division",
            f"部件标识码前 6 位 {ident[:6]} 与部件所在区县代码 {district_code} 不一致。",
            field,
        )
    if ident[6:11] != type_code:
        raise InvalidInput(
            "component_ident_type",
            f"部件标识码第 7–11 位 {ident[6:11]} 与部件类型代码 {type_code} 不一致。",
            field,
        )
    return ident


def check_ident_format(ident: str, field: str = "ident") -> str:
    """Only the shape of a component id: 17 digits. Returns it stripped."""
    ident = str(ident).strip()
    if not ident:
        raise InvalidInput("component_ident_format", "请填写 17 位部件标识码。", field)
    if not _IDENT_RE.fullmatch(ident):
        if len(ident) == 16 and is_ascii_digits(ident):
            raise InvalidInput(
                "component_ident_format",
                f"部件标识码 {ident} 是 16 位旧编码（GB/T 30428.2），"
                "请按 GB/T 47678.5-2026 换为 17 位：区划 6 位 + 类型代码 5 位 + 顺序号 6 位。",
                field,
            )
        raise InvalidInput(
            "component_ident_format",
            f"部件标识码应为 17 位数字（区划 6 位 + 类型代码 5 位 + 顺序号 6 位），收到“{ident}”。",
            field,
        )
    return ident


def type_code_of_ident(ident: str) -> str | None:
    """The type code embedded in a well-formed component id, else None."""
    ident = str(ident).strip()
    return ident[6:11] if _IDENT_RE.fullmatch(ident) else None


def validate_major_code(major_code: str, field: str = "major_code") -> str:
    major_code = str(major_code).strip()
    if not _MAJOR_CODE_RE.fullmatch(major_code):
        raise InvalidInput("major_code_format", "大类代码应为 2 位数字，如 01。", field)
    return major_code


def validate_type_code(code: str, *, major_code: str | None = None, field: str = "code") -> str:
    """A 5-digit type code (major 2 + minor 3); with ``major_code``, it must start with it."""
    code = str(code).strip()
    if not _TYPE_CODE_RE.fullmatch(code):
        raise InvalidInput(
            "type_code_format",
            f"类型代码应为 5 位数字（大类 2 位 + 小类 3 位，保留前导 0），收到“{code}”。",
            field,
        )
    if major_code is not None and not code.startswith(major_code):
        raise InvalidInput(
            "type_code_major",
            f"类型代码 {code} 应以大类代码 {major_code} 开头。",
            field,
        )
    return code
