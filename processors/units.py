"""Unit conversions to the canonical units: km, km/h, seconds."""

from __future__ import annotations

KM_PER_MILE = 1.609344


def miles_to_km(miles: float | None) -> float | None:
    return None if miles is None else round(miles * KM_PER_MILE, 3)


def mph_to_kmh(mph: float | None) -> float | None:
    return None if mph is None else round(mph * KM_PER_MILE, 3)
