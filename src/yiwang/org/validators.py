"""Validators for organisation codes: GB/T 2260 divisions and GB 32100 credit codes."""

from __future__ import annotations

import re

from yiwang.core.errors import InvalidInput
from yiwang.core.textinput import is_ascii_digits

# Division code length by level: 6 for province/city/county (GB/T 2260),
# 9 for street/town, 12 for community/village (statistical division codes).
LEVEL_CODE_LENGTH = {"province": 6, "city": 6, "county": 6, "street": 9, "community": 12}

_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def credit_code_check_char(first17: str) -> str:
    total = sum(
        _CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(first8: str) -> str:
    total = sum(
        _ORG_CODE_ALPHABET.index(c) * w for c, w in zip(first8, _ORG_CODE_WEIGHTS, strict=True)
    )
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def validate_credit_code(code: str, field: str = "credit_code") -> str:
    """Validate an 18-character unified social credit code (GB 32100-2015).

    Checks the character set, the administrative division part, the embedded
    organisation code check digit (GB 11714) and the final check character.
    """
    code = code.strip().upper()
    if len(code) != 18:
        raise InvalidInput("credit_code_length", "统一社会信用代码应为 18 位。", field)
    bad = [c for c in code if c not in _CREDIT_ALPHABET]
    if bad:
        raise InvalidInput(
            "credit_code_charset",
            f"统一社会信用代码含有不允许的字符：{''.join(sorted(set(bad)))}"
            "（不使用 I、O、Z、S、V）。",
            field,
        )
    if not is_ascii_digits(code[2:8]):
        raise InvalidInput(
            "credit_code_division", "统一社会信用代码第 3–8 位应为行政区划码。", field
        )
    org_code = code[8:17]
    well_formed = (
        all(c in _ORG_CODE_ALPHABET for c in org_code[:8]) and org_code[8] in "0123456789X"
    )
    if well_formed and org_code_check_char(org_code[:8]) != org_code[8]:
        raise InvalidInput(
            "credit_code_org_check", "统一社会信用代码中的组织机构代码校验位不正确。", field
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise InvalidInput("credit_code_check", "统一社会信用代码校验位不正确。", field)
    return code


def validate_division_code(
    code: str, level: str, parent_code: str | None, field: str = "code"
) -> str:
    """A division code must have its level's length and start with its parent's code."""
    code = code.strip()
    expected = LEVEL_CODE_LENGTH.get(level)
    if expected is None:
        raise InvalidInput("division_level", f"未知的区划级别：{level}", "level")
    if not re.fullmatch(rf"\d{{{expected}}}", code):
        raise InvalidInput(
            "division_code_format", f"该级别的区划代码应为 {expected} 位数字。", field
        )
    if parent_code is None:
        return code
    if level in ("street", "community"):
        if not code.startswith(parent_code):
            raise InvalidInput(
                "division_code_prefix", f"区划代码 {code} 应以上级代码 {parent_code} 开头。", field
            )
    elif level == "city" and code[:2] != parent_code[:2]:
        raise InvalidInput(
            "division_code_prefix", f"市级代码 {code} 与上级省 {parent_code} 不一致。", field
        )
    elif level == "county" and code[:4] != parent_code[:4]:
        raise InvalidInput(
            "division_code_prefix", f"县级代码 {code} 与上级市 {parent_code} 不一致。", field
        )
    return code
