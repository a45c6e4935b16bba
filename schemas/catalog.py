"""The canonical event types: for each, its `data` struct and the domain topic it goes to.

Domains group what one downstream team subscribes to together
(`{prefix}.canonical.{domain}`); the README explains the choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas import canonical as c
from schemas.events import charging, connectivity, pairing, state


@dataclass(frozen=True)
class EventType:
    name: str
    data: type[c.EventData]
    domain: str
    version: int = 1

    @property
    def schema_file(self) -> str:
        return f"{self.name}.v{self.version}.json"


def _types(*entries: tuple[str, type[c.EventData], str]) -> dict[str, EventType]:
    return {name: EventType(name, data, domain) for name, data, domain in entries}


EVENT_TYPES: dict[str, EventType] = _types(
    ("vehicle.trip.started", c.TripEvent, "trips"),
    ("vehicle.trip.ended", c.TripEvent, "trips"),
    ("vehicle.trip.tagged", c.TripEvent, "trips"),
    ("device.paired", pairing.PairingEvent, "devices"),
    ("device.pairing_failed", pairing.PairingEvent, "devices"),
    ("device.unpaired", pairing.UnpairingEvent, "devices"),
    ("charger.command.completed", charging.CommandEvent, "charging"),
    ("vehicle.command.completed", charging.CommandEvent, "charging"),
    ("vehicle.charging.changed", charging.ChargingChanged, "charging"),
    ("vehicle.plug.changed", charging.PlugChanged, "charging"),
    ("vehicle.battery.soc_reached", charging.SocReached, "charging"),
    ("vehicle.connected", connectivity.ConnectionEvent, "connectivity"),
    ("vehicle.disconnected", connectivity.ConnectionEvent, "connectivity"),
    ("vehicle.connection.failed", connectivity.ConnectionErrorEvent, "connectivity"),
    ("vehicle.connection.restored", connectivity.ConnectionErrorEvent, "connectivity"),
    ("vehicle.state.reported", state.StateReport, "state"),
)

DOMAINS: tuple[str, ...] = tuple(sorted({t.domain for t in EVENT_TYPES.values()}))
