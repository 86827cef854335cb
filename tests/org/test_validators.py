import pytest

from yiwang.core.errors import InvalidInput
from yiwang.org.validators import validate_credit_code, validate_division_code

# Published codes of real organisations (business licences are public records).
REAL_CREDIT_CODES = [
    "914403001922038216",  # 华为技术有限公司
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "91350100M000100Y43",  # the example printed in GB 32100-2015 guidance
]


@pytest.mark.parametrize("code", REAL_CREDIT_CODES)
def test_real_credit_codes_are_accepted(code: str) -> None:
    assert validate_credit_code(code) == code


def test_lowercase_and_spaces_are_normalised() -> None:
    assert validate_credit_code(" 9144030071526726xg ") == "9144030071526726XG"


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("91440300192203821", "credit_code_length"),
        ("9144030019220382166", "credit_code_length"),
        ("914403001922038I16", "credit_code_charset"),  # I is not in the alphabet
        ("91AB03001922038216", "credit_code_division"),
        ("914403001922038217", "credit_code_check"),  # last character changed
        ("914403001922039216", "credit_code_org_check"),  # organisation code digit changed
    ],
)
def test_bad_credit_codes_are_refused_with_a_reason(code: str, error: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_credit_code(code)
    assert exc.value.code == error
    assert exc.value.field == "credit_code"


@pytest.mark.parametrize(
    ("code", "level", "parent", "ok"),
    [
        ("440304001", "street", "440304", True),
        ("440304001001", "community", "440304001", True),
        ("440305001", "street", "440304", False),  # another district's prefix
        ("44030400101", "community", "440304001", False),  # 11 digits
        ("44030400A", "street", "440304", False),
        ("440300", "city", "440000", True),
        ("450300", "city", "440000", False),
        ("440304", "county", "440300", True),
        ("440404", "county", "440300", False),
    ],
)
def test_division_codes(code: str, level: str, parent: str, ok: bool) -> None:
    if ok:
        assert validate_division_code(code, level, parent) == code
    else:
        with pytest.raises(InvalidInput):
            validate_division_code(code, level, parent)
