"""The VIN rule: when a reported VIN becomes the canonical subject.

A VIN is accepted when it is 17 characters of digits and letters other than I, O, Q,
and, where its check digit (position 9, ISO 3779) is mandatory, that digit is right.
North American VINs (first character 1 to 5) must carry the check digit; elsewhere it is
common but optional, so it is not required. Every reported VIN is kept in
`data.vehicle.vin` whatever the rule decides.
"""

from __future__ import annotations

from functools import lru_cache

_ALLOWED = frozenset("0123456789ABCDEFGHJKLMNPRSTUVWXYZ")
_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
NORTH_AMERICA = frozenset("12345")


def clean_vin(reported: str | None) -> str | None:
    """Trim and uppercase; None for a missing or blank VIN."""
    if reported is None:
        return None
    vin = reported.strip().upper()
    return vin or None


def check_digit(vin: str) -> str:
    total = sum(_VALUES[ch] * weight for ch, weight in zip(vin, _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


# A fleet reports the same few thousand VINs over and over.
@lru_cache(maxsize=65_536)
def is_valid_vin(vin: str | None) -> bool:
    if vin is None or len(vin) != 17 or not set(vin) <= _ALLOWED:
        return False
    if vin[0] in NORTH_AMERICA:
        return vin[8] == check_digit(vin)
    return True
