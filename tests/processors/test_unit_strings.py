from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.units import KM_PER_MILE, distance_km, speed_kmh


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (216, "km", 216),
        (216, " KM ", 216),
        (100, "miles", 160.934),
        (100, "mi", 160.934),
        (1, "Mile", 1.609),
        (5, "kilometres", 5),
    ],
)
def test_distance_units_as_providers_write_them(value: float, unit: str, expected: float) -> None:
    assert distance_km(value, unit) == expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"), [(50, "mph", 80.467), (80, "km/h", 80), (80, "kph", 80)]
)
def test_speed_units(value: float, unit: str, expected: float) -> None:
    assert speed_kmh(value, unit) == expected


@pytest.mark.parametrize("unit", ["", "furlongs", "m", "percent", "mph"])
def test_unknown_distance_units_are_not_guessed(unit: str) -> None:
    assert distance_km(1, unit) is None


@given(st.floats(min_value=0, max_value=1e6))
def test_miles_and_km_agree(miles: float) -> None:
    km = distance_km(miles, "miles")
    assert km is not None
    assert km == pytest.approx(miles * KM_PER_MILE, abs=0.001)
    assert distance_km(km, "km") == pytest.approx(km, abs=0.001)
