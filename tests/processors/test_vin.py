from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.vin import check_digit, clean_vin, is_valid_vin


@pytest.mark.parametrize("vin", ["5FNRL38249B044393", "1M8GDM9AXKP042788", "WDDHF8HB0AA115852"])
def test_real_vins_are_valid(vin: str) -> None:
    assert is_valid_vin(vin)


@pytest.mark.parametrize(
    "vin",
    [
        "7SAWDDEQXPS685253",  # contains Q
        "1HGCM82633A000001",  # North American, wrong check digit
        "5FNRL38249B04439",  # 16 characters
        "ABC123456",  # a ZF sensorVIN, not a full VIN
        None,
    ],
)
def test_invalid_vins_are_refused(vin: str | None) -> None:
    assert not is_valid_vin(vin)


def test_clean_vin_trims_and_uppercases() -> None:
    assert clean_vin(" 5fnrl38249b044393 ") == "5FNRL38249B044393"
    assert clean_vin("   ") is None


ALLOWED = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


@given(st.text(alphabet=ALLOWED, min_size=17, max_size=17))
def test_fixing_the_check_digit_makes_a_north_american_vin_valid(vin: str) -> None:
    candidate = "1" + vin[1:]
    fixed = candidate[:8] + check_digit(candidate) + candidate[9:]
    assert is_valid_vin(fixed)
