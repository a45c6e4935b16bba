"""The poller's Device cache: which VIN each device id stands for.

LogRecords and the other feeds name only `device.id`; the VIN reaches the processors in
the `geotab-device-vin` header. The cache is filled from `Get` Device at start and kept
current by the Device feed; a device id never seen is looked up once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from poll.records import device_id

VIN_FIELD = "vehicleIdentificationNumber"


class DeviceVins(dict[str, str]):
    """device id -> VIN (devices without a VIN are left out)."""

    def __init__(self) -> None:
        super().__init__()
        self._looked_up: set[str] = set()  # asked for once, with no VIN found

    def learn(self, devices: Iterable[dict[str, Any]]) -> None:
        for device in devices:
            identifier = device.get("id")
            if not isinstance(identifier, str):
                continue
            vin = device.get(VIN_FIELD)
            if isinstance(vin, str) and vin.strip():
                self[identifier] = vin.strip()
                self._looked_up.discard(identifier)
            else:
                self.pop(identifier, None)

    def to_look_up(self, entities: Sequence[dict[str, Any]]) -> list[str]:
        """The device ids these entities name that are neither known nor looked up yet."""
        wanted = {device_id(e) for e in entities} - {None}
        return sorted(
            i for i in wanted if i is not None and i not in self and i not in self._looked_up
        )

    def looked_up(self, identifier: str) -> None:
        self._looked_up.add(identifier)
