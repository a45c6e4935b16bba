"""Which provider events become each canonical type: the contract's type table, as data.

The events document (schemas/eventsdoc.py) renders it, and tests check it against what
the golden files show the normalizers really do, so it cannot claim a mapping that does
not happen or miss one that does.
"""

from __future__ import annotations

from dataclasses import dataclass

PROVIDER_NAMES = {
    "azuga": "Azuga",
    "zf-scalar": "ZF SCALAR",
    "telematica": "Telematica",
    "zubie": "Zubie",
    "smartcar": "Smartcar",
    "motive": "Motive",
    "enode": "Enode",
}


@dataclass(frozen=True)
class Origin:
    provider: str
    event: str  # as the event's `providereventtype` carries it
    when: str = ""  # what else decides the type, or how the event fans out

    def describe(self) -> str:
        text = f"{PROVIDER_NAMES[self.provider]} `{self.event}`"
        return f"{text}, {self.when}" if self.when else text


def _from(provider: str, *events: tuple[str, str] | str) -> tuple[Origin, ...]:
    return tuple(
        Origin(provider, e) if isinstance(e, str) else Origin(provider, *e) for e in events
    )


ORIGINS: dict[str, tuple[Origin, ...]] = {
    "vehicle.trip.started": _from("zubie", "trip_start"),
    "vehicle.trip.ended": _from("zubie", "trip_end"),
    "vehicle.trip.tagged": _from("zubie", "trip_tagged"),
    "driving.harsh_braking": _from(
        "zubie",
        ("trip_hard_brake", "`data.severity` `normal`"),
        ("trip_severe_hard_brake", "`data.severity` `severe`"),
    ),
    "driving.rapid_acceleration": _from("zubie", "trip_rapid_accel"),
    "driving.speeding": _from("zubie", "trip_over_speeding"),
    "vehicle.schedule.violated": _from("zubie", "vehicle_schedule_exception"),
    "vehicle.location.updated": (
        *_from("zubie", "vehicle_location_update"),
        *_from(
            "motive",
            ("vehicle_location_updated", "one event per object of an array"),
            ("vehicle_location_received", "one event per object of an array"),
        ),
    ),
    "vehicle.geofence.entered": _from("zubie", "vehicle_geofence_arrival"),
    "vehicle.geofence.exited": _from("zubie", "vehicle_geofence_departure"),
    "vehicle.dtc.detected": _from("zubie", "vehicle_trouble_code"),
    "vehicle.dtc.cleared": _from("zubie", "vehicle_trouble_code_cleared"),
    "vehicle.battery.low": _from("zubie", "vehicle_low_battery"),
    "vehicle.fuel.low": _from("zubie", "vehicle_fuel_low"),
    "vehicle.maintenance.due": _from("zubie", "vehicle_maintenance"),
    "device.activated": _from("zubie", "device_claim_success"),
    "device.unplugged": _from("zubie", "device_unplug"),
    "device.reconnected": _from("zubie", "device_reconnect"),
    "device.vehicle_changed": _from("zubie", "device_vehicle_change"),
    "driver.vehicle.paired": _from("azuga", ("VEHICLE_PAIRING", "`action` `Pair`")),
    "driver.vehicle.unpaired": _from("azuga", ("VEHICLE_PAIRING", "`action` `Unpair`")),
    "device.paired": _from(
        "zf-scalar", ("unit.paired", "`status` `success`, one event per batch item")
    ),
    "device.pairing_failed": _from(
        "zf-scalar", ("unit.paired", "`status` `failed`, one event per batch item")
    ),
    "device.unpaired": _from("zf-scalar", ("unit.unpaired", "one event per batch item")),
    "charger.command.completed": _from("telematica", "charger.charging-command"),
    "vehicle.command.completed": _from("telematica", "vehicle.charging-command"),
    "vehicle.charging.changed": _from("telematica", "vehicle.charging-status"),
    "vehicle.plug.changed": _from("telematica", "vehicle.plug-status"),
    "vehicle.battery.soc_reached": _from("telematica", "vehicle.soc"),
    "vehicle.connected": _from("telematica", ("user.devices-connected", "one event per device")),
    "vehicle.disconnected": _from(
        "telematica", ("user.devices-disconnected", "one event per device")
    ),
    "vehicle.connection.failed": _from(
        "smartcar", ("VEHICLE_ERROR", "error `state` `ERROR`, one event per error")
    ),
    "vehicle.connection.restored": _from(
        "smartcar", ("VEHICLE_ERROR", "error `state` `RESOLVED`, one event per error")
    ),
    "vehicle.state.reported": (
        *_from("smartcar", "VEHICLE_STATE"),
        *_from("enode", ("user:vehicle:updated", "one event per batch item, changed fields only")),
    ),
}
