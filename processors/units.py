"""Unit conversions to the canonical units: km, km/h, seconds."""

from __future__ import annotations

KM_PER_MILE = 1.609344


def miles_to_km(miles: float | None) -> float | None:
    return None if miles is None else round(miles * KM_PER_MILE, 3)


def mph_to_kmh(mph: float | None) -> float | None:
    return None if mph is None else round(mph * KM_PER_MILE, 3)


# Unit strings as providers write them, lowercased. Anything else is not guessed at.
_KM_PER_UNIT = {
    **dict.fromkeys(("km", "kms", "kilometer", "kilometers", "kilometre", "kilometres"), 1.0),
    **dict.fromkeys(("mi", "mile", "miles"), KM_PER_MILE),
}
_KMH_PER_UNIT = {
    **dict.fromkeys(("km/h", "kmh", "kph", "kmph"), 1.0),
    **dict.fromkeys(("mph", "mi/h"), KM_PER_MILE),
}


def distance_km(value: float, unit: str) -> float | None:
    """`value` in the distance `unit` a provider named, as km; None for an unknown unit."""
    factor = _KM_PER_UNIT.get(unit.strip().lower())
    return None if factor is None else round(value * factor, 3)


def speed_kmh(value: float, unit: str) -> float | None:
    """`value` in the speed `unit` a provider named, as km/h; None for an unknown unit."""
    factor = _KMH_PER_UNIT.get(unit.strip().lower())
    return None if factor is None else round(value * factor, 3)
