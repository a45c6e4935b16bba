"""Epoch times written without a datetime are the text the datetime path writes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetwire.errors import RejectedRecord
from processors.timestamps import (
    epoch_ms_utc,
    epoch_s_utc,
    format_utc,
    from_epoch_ms,
    from_epoch_s,
)

# Around the sane range and beyond it on both sides, where the datetime path decides.
MILLIS = st.integers(min_value=-(10**13), max_value=10**13)


def slow_ms(value: float) -> str | RejectedRecord:
    try:
        return format_utc(from_epoch_ms(value, "t"))
    except RejectedRecord as exc:
        return exc


@given(MILLIS | st.sampled_from([978_307_199_999, 978_307_200_000, 4_102_444_799_999]))
def test_epoch_ms_as_the_datetime_path_writes_it(value: int) -> None:
    expected = slow_ms(value)
    if isinstance(expected, RejectedRecord):
        with pytest.raises(RejectedRecord) as raised:
            epoch_ms_utc(value, "t")
        assert str(raised.value) == str(expected)
    else:
        assert epoch_ms_utc(value, "t") == expected


@given(st.integers(min_value=978_307_200_000, max_value=4_102_444_799_999))
def test_a_whole_float_is_written_as_its_integer(value: int) -> None:
    """Floats take the datetime path, integers the arithmetic one: they agree."""
    assert epoch_ms_utc(float(value), "t") == epoch_ms_utc(value, "t")


@given(st.integers(min_value=978_307_200, max_value=4_102_444_799))
def test_epoch_s_as_the_datetime_path_writes_it(value: int) -> None:
    assert epoch_s_utc(value, "t") == format_utc(from_epoch_s(value, "t"))


def test_a_bool_is_not_an_epoch() -> None:
    with pytest.raises(RejectedRecord):
        epoch_ms_utc(True, "t")
