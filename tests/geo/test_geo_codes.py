from __future__ import annotations

import pytest

from yiwang.core.errors import InvalidInput
from yiwang.geo.codes import validate_grid_code

COMMUNITY = "440304001001"


@pytest.mark.parametrize(
    ("code", "normalised"),
    [
        ("440304001001001", "440304001001001"),  # 15 characters, digits
        ("440304001001A0Z", "440304001001A0Z"),  # 15 characters, serial with letters
        (" 440304001001a01 ", "440304001001A01"),  # trimmed, upper-cased
        ("44030400100101", "44030400100101"),  # legacy 14 digits
    ],
)
def test_valid_codes(code: str, normalised: str) -> None:
    assert validate_grid_code(code, COMMUNITY) == normalised


@pytest.mark.parametrize(
    "code",
    [
        "",
        "4403040010010",  # 13
        "4403040010010011",  # 16
        "440304001001-01",  # punctuation
        "4403040010010A",  # legacy length with a letter
        "44030400100A001",  # letter inside the community part
    ],
)
def test_malformed_codes(code: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_grid_code(code, COMMUNITY, field="grid")
    assert exc.value.code == "grid_code_format"
    assert exc.value.field == "grid"


@pytest.mark.parametrize("code", ["440304002001001", "44030400200101", "440305001001001"])
def test_codes_of_another_community_are_outside_the_division(code: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_grid_code(code, COMMUNITY)
    assert exc.value.code == "grid_code_outside_division"
    assert COMMUNITY in exc.value.message
