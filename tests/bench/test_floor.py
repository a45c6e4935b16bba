"""The floor's pure parts: how far it stretches raw values to write the processor's bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.floor import padding_factor, stretched
from bench.rawmix import Volume


@given(st.binary(min_size=1, max_size=2000), st.floats(min_value=0.01, max_value=8.0))
def test_a_stretched_value_repeats_the_raw_one_to_its_new_length(
    value: bytes, factor: float
) -> None:
    out = stretched(value, factor)
    assert len(out) == max(1, round(len(value) * factor))
    repeated = value * (len(out) // len(value) + 1)
    assert out == repeated[: len(out)]


def test_an_empty_value_stays_empty() -> None:
    assert stretched(b"", 2.9) == b""


@given(
    st.lists(
        st.tuples(st.binary(min_size=64, max_size=64), st.binary(min_size=100, max_size=3000)),
        min_size=1,
        max_size=50,
    ),
    st.floats(min_value=1.0, max_value=4.0),
)
def test_the_floor_writes_about_as_many_bytes_as_the_processor(
    records: list[tuple[bytes, bytes]], wanted: float
) -> None:
    headers = [("fleetwire-source", b"zubie"), ("content-type", b"application/json")]
    volume = Volume()
    for key, value in records:
        volume = volume.add((key, value, headers))
    processor_bytes = round(wanted * volume.total_bytes)
    factor = padding_factor(processor_bytes, volume.value_bytes, volume.other_bytes)
    written = sum(len(stretched(v, factor)) for _, v in records) + volume.other_bytes
    # each value is rounded to a whole byte: at most half a byte off per record
    assert abs(written - processor_bytes) <= len(records)


def test_a_processor_writing_less_than_the_keys_and_headers_still_leaves_a_value() -> None:
    assert padding_factor(100, 1000, 500) == pytest.approx(1 / 1000)


def test_there_must_be_raw_values_to_stretch() -> None:
    with pytest.raises(ValueError, match="no raw value bytes"):
        padding_factor(100, 0, 50)
