"""Which normalizer turns which provider's raw records into canonical events."""

from __future__ import annotations

from collections.abc import Callable

from processors import azuga, enode, motive, smartcar, telematica, zf_scalar, zubie
from processors.record import RawRecord
from schemas.canonical import CanonicalEvent

Normalizer = Callable[[RawRecord], list[CanonicalEvent]]

NORMALIZERS: dict[str, Normalizer] = {
    "azuga": azuga.normalize,
    "zubie": zubie.normalize,
    "zf-scalar": zf_scalar.normalize,
    "telematica": telematica.normalize,
    "smartcar": smartcar.normalize,
    "motive": motive.normalize,
    "enode": enode.normalize,
}
