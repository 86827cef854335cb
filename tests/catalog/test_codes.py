"""The 17-digit component id: district (6) + type (5) + serial (6)."""

from __future__ import annotations

import pytest

from yiwang.catalog.codes import validate_component_ident
from yiwang.core.errors import InvalidInput


def test_good_ident_passes_and_is_stripped() -> None:
    assert (
        validate_component_ident(" 44030401001000123 ", type_code="01001", district_code="440304")
        == "44030401001000123"
    )


@pytest.mark.parametrize(
    "bad",
    ["4403040100100012", "440304010010001234", "44030401001OOO123", "", "4403040100100012a"],
)
def test_wrong_length_or_characters(bad: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_component_ident(bad, type_code="01001", district_code="440304")
    assert exc.value.code == "component_ident_format"
    assert exc.value.field == "ident"


def test_legacy_16_digit_id_gets_a_pointed_message() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_component_ident("4403040101000123", type_code="01001", district_code="440304")
    assert exc.value.code == "component_ident_format"
    assert "16 位旧编码" in exc.value.message


def test_wrong_district_prefix() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_component_ident("44030501001000123", type_code="01001", district_code="440304")
    assert exc.value.code == "component_ident_division"
    assert "440305" in exc.value.message


def test_wrong_type_part() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_component_ident(
            "44030401002000123", type_code="01001", district_code="440304", field="标识码"
        )
    assert exc.value.code == "component_ident_type"
    assert exc.value.field == "标识码"
