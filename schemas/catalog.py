"""The canonical event types: for each, its `data` struct and the domain topic it goes to.

Domains group what one downstream team subscribes to together
(`{prefix}.canonical.{domain}`); the README explains the choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas import canonical as c
from schemas.events import (
    assignments,
    charging,
    connectivity,
    devices,
    driving,
    health,
    location,
    pairing,
    state,
    trips,
)
from schemas.published import DEFAULT_SCHEMA_BASE_URL

# Where the JSON Schemas in schemas/json/ are published by default (every process's admin
# listener serves them); events are built pointing there and committed schemas carry it in
# `$id`. A processor configured with another FLEETWIRE_SCHEMA_BASE_URL rewrites `dataschema`.
SCHEMA_BASE_URL = DEFAULT_SCHEMA_BASE_URL


@dataclass(frozen=True)
class EventType:
    name: str
    data: type[c.EventData]
    domain: str
    version: int = 1

    @property
    def schema_file(self) -> str:
        return f"{self.name}.v{self.version}.json"

    @property
    def schema_url(self) -> str:
        return f"{SCHEMA_BASE_URL}{self.schema_file}"


def _types(*entries: tuple[str, type[c.EventData], str]) -> dict[str, EventType]:
    return {name: EventType(name, data, domain) for name, data, domain in entries}


EVENT_TYPES: dict[str, EventType] = _types(
    ("vehicle.trip.started", trips.TripEvent, "trips"),
    ("vehicle.trip.ended", trips.TripEvent, "trips"),
    ("vehicle.trip.tagged", trips.TripEvent, "trips"),
    ("driving.harsh_braking", driving.HarshBraking, "driving"),
    ("driving.rapid_acceleration", driving.RapidAcceleration, "driving"),
    ("driving.harsh_cornering", driving.HarshCornering, "driving"),
    ("driving.speeding", driving.Speeding, "driving"),
    ("vehicle.schedule.violated", driving.ScheduleViolation, "driving"),
    ("vehicle.location.updated", location.LocationUpdate, "location"),
    ("vehicle.geofence.entered", location.GeofenceCrossing, "location"),
    ("vehicle.geofence.exited", location.GeofenceCrossing, "location"),
    ("vehicle.dtc.detected", health.DtcEvent, "health"),
    ("vehicle.dtc.cleared", health.DtcEvent, "health"),
    ("vehicle.battery.low", health.BatteryLow, "health"),
    ("vehicle.fuel.low", health.FuelLow, "health"),
    ("vehicle.maintenance.due", health.MaintenanceDue, "health"),
    ("device.activated", devices.DeviceActivated, "devices"),
    ("device.unplugged", devices.DeviceUnplugged, "devices"),
    ("device.reconnected", devices.DeviceReconnected, "devices"),
    ("device.vehicle_changed", devices.DeviceVehicleChanged, "devices"),
    ("device.updated", devices.DeviceUpdated, "devices"),
    ("driver.vehicle.paired", assignments.DriverVehicleAssignment, "assignments"),
    ("driver.vehicle.unpaired", assignments.DriverVehicleAssignment, "assignments"),
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
