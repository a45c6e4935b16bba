"""Deterministic Geotab entities: the same index always gives the same entity.

Each feed is an endless, ordered list computed on demand (nothing is stored, so a
benchmark can read millions): entity `i` of a feed happened at `start + i * spacing`.
`available` says how many exist now, so a feed can grow while it is polled.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

FEEDS = ("Device", "LogRecord", "FaultData", "Trip", "ExceptionEvent")
START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
DEFAULT_SPACING = timedelta(seconds=7)
# Geotab's built-in rules the demo fleet breaks, and one rule of the customer's own.
RULES = (
    "RuleHarshBrakingId",
    "RuleJackrabbitStartsId",
    "RuleHarshCorneringId",
    "RulePostedSpeedingId",
    "RuleIdlingId",
    "aK3vQx9Lm2EyQ0v1c7dPAbw",
)
DIAGNOSTICS = (
    ("DiagnosticEngineLightId", "dQ1w2e3r4t5y6u7i8o9p0"),
    ("DiagnosticLowBatteryVoltageId", "dA1s2d3f4g5h6j7k8l9z0"),
    ("DiagnosticCoolantTemperatureId", "dZ1x2c3v4b5n6m7q8w9e0"),
)
VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O, Q
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}


def iso(moment: datetime) -> str:
    """Geotab's date format: UTC `yyyy-MM-ddTHH:mm:ss.fffZ`."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def vin(index: int) -> str:
    """A VIN with a valid check digit (position 9), unique per device index."""
    digest = hashlib.sha256(f"vin-{index}".encode()).digest()
    chars = ["1", "F", "T"] + [VIN_CHARS[b % len(VIN_CHARS)] for b in digest[:14]]
    chars[8] = "0"
    chars[9] = "R"  # model year 2024
    chars[11:] = f"{index:06d}"
    total = sum(VIN_VALUES[c] * w for c, w in zip(chars, VIN_WEIGHTS, strict=True))
    check = total % 11
    chars[8] = "X" if check == 10 else str(check)
    return "".join(chars)


@dataclass
class Fleet:
    """`devices` vehicles; each feed but Device holds `entities` (None: endless) entities.

    `per_second`: when set, a feed's entities appear at that rate from when the fleet was
    made (a live feed); otherwise all of them exist from the start. Entity `i` happened at
    `start + i * spacing`.
    """

    devices: int = 3
    entities: int | None = 100
    per_second: float | None = None
    spacing: timedelta = DEFAULT_SPACING
    start: datetime = START  # when entity 0 happened
    clock: Callable[[], float] = time.monotonic
    _born: float = field(init=False)

    def __post_init__(self) -> None:
        self._born = self.clock()

    def total(self, feed: str) -> int | None:
        return self.devices if feed == "Device" else self.entities

    def available(self, feed: str) -> int:
        total = self.total(feed)
        if self.per_second is None or feed == "Device":
            return total if total is not None else 1 << 62
        grown = int((self.clock() - self._born) * self.per_second)
        return grown if total is None else min(total, grown)

    def moment(self, index: int) -> datetime:
        return self.start + index * self.spacing

    def first_at_or_after(self, feed: str, moment: datetime) -> int:
        """The index of the feed's first entity at or after `moment` (Device: 0)."""
        if feed == "Device" or moment <= self.start:
            return 0
        return -(-(moment - self.start) // self.spacing)

    def entity(self, feed: str, index: int) -> dict[str, Any]:
        return BUILDERS[feed](self, index)

    def device_id(self, index: int) -> str:
        return f"b{index + 1:X}"

    def device_of(self, index: int) -> dict[str, str]:
        return {"id": self.device_id(index % self.devices)}


def _device(fleet: Fleet, index: int) -> dict[str, Any]:
    return {
        "id": fleet.device_id(index),
        "name": f"Truck {index + 1:03d}",
        "serialNumber": f"G9{index + 0x1A2B3C4D:010X}",
        "vehicleIdentificationNumber": vin(index),
        "deviceType": "GO9",
        "licensePlate": f"FW-{index + 1:04d}",
        "activeFrom": "2025-01-01T00:00:00.000Z",
        "activeTo": "2050-01-01T00:00:00.000Z",
        "groups": [{"id": "GroupCompanyId"}],
    }


def _log_record(fleet: Fleet, index: int) -> dict[str, Any]:
    step = index // fleet.devices
    return {
        "id": f"b{index + 0x100000:X}",
        "device": fleet.device_of(index),
        "dateTime": iso(fleet.moment(index)),
        "latitude": round(43.4516 + (step % 1000) * 0.00031 + (index % fleet.devices) * 0.01, 6),
        "longitude": round(-80.4925 - (step % 1000) * 0.00027, 6),
        "speed": float((step * 7) % 110),
    }


def _fault_data(fleet: Fleet, index: int) -> dict[str, Any]:
    diagnostic, failure = DIAGNOSTICS[index % len(DIAGNOSTICS)]
    return {
        "id": f"a{index + 0x200000:X}",
        "device": fleet.device_of(index),
        "diagnostic": {"id": diagnostic},
        "failureMode": {"id": failure},
        "controller": {"id": "ControllerNoneId"},
        "dateTime": iso(fleet.moment(index)),
        "faultState": "Active" if index % 2 == 0 else "Inactive",
        "count": 1 + index % 3,
        "malfunctionLamp": index % 5 == 0,
    }


def _trip(fleet: Fleet, index: int) -> dict[str, Any]:
    stop = fleet.moment(index)
    driving = timedelta(minutes=5 + index % 40)
    start = stop - driving
    distance_km = round(driving.total_seconds() / 3600 * (30 + index % 60), 3)
    return {
        "id": f"b{index + 0x300000:X}",
        "device": fleet.device_of(index),
        "driver": "UnknownDriverId",
        "start": iso(start),
        "stop": iso(stop),
        "nextTripStart": iso(stop + timedelta(minutes=3)),
        "distance": distance_km,
        "drivingDuration": _duration(driving),
        "stopDuration": "00:03:00",
        "idlingDuration": _duration(timedelta(seconds=index % 300)),
        "maximumSpeed": float(60 + index % 50),
        "averageSpeed": float(30 + index % 60),
        "isSeatBeltOff": False,
    }


def _exception_event(fleet: Fleet, index: int) -> dict[str, Any]:
    start = fleet.moment(index)
    length = timedelta(seconds=2 + index % 20)
    return {
        "id": f"a{index + 0x400000:X}",
        "device": fleet.device_of(index),
        "rule": {"id": RULES[index % len(RULES)]},
        "driver": "UnknownDriverId",
        "activeFrom": iso(start),
        "activeTo": iso(start + length),
        "duration": _duration(length),
        "distance": round((index % 50) / 100, 3),
        "version": f"{index + 1:016x}",
        "state": "Valid",
    }


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


BUILDERS: dict[str, Callable[[Fleet, int], dict[str, Any]]] = {
    "Device": _device,
    "LogRecord": _log_record,
    "FaultData": _fault_data,
    "Trip": _trip,
    "ExceptionEvent": _exception_event,
}
