"""Telematica webhook payloads (Svix; see tests/samples/telematica).

The event type is the body field `type`. Bodies carry no event time and no event id:
the Svix headers do. Telematica's document lists fields without saying which are
required; the ids and the one fact each event exists to report are required here,
everything else is optional and unknown fields are ignored (a legacy `vehicles` key on
`user.*` events, for instance, which is to be ignored).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]


class Payload(msgspec.Struct, kw_only=True, rename="camel", forbid_unknown_fields=False):
    """Base of every Telematica struct; fields are the camelCase names of the document."""


class Event(Payload, kw_only=True):
    type: str


class Command(Event, kw_only=True):
    """The outcome of a charging command (`charger-start`, `charge-start`, ...)."""

    action: str
    success: bool  # executed and confirmed
    code: str | None = None  # e.g. RESULT_CONFIRMED
    message: str | None = None
    job_id: str | None = None


class ChargerCommand(Command, kw_only=True):
    charger_id: str


class VehicleCommand(Command, kw_only=True):
    vehicle_id: str


class BatteryState(Payload, kw_only=True):
    charge_threshold_met: bool | None = None
    is_charging: bool | None = None
    is_plugged: bool | None = None
    last_updated: str | None = None
    range: float | None = None
    range_unit: str | None = None  # "km" in the samples; other units are converted
    soc: float | None = None  # percent


class Position(Payload, kw_only=True):
    last_updated: str | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class Odometer(Payload, kw_only=True):
    last_updated: str | None = None
    unit: str | None = None
    value: float | None = None


class StaticAttributes(Payload, kw_only=True):
    country: str | None = None
    make: str | None = None
    model: str | None = None
    nickname: str | None = None
    registration: str | None = None
    vin: str | None = None
    year: int | None = None


class VehicleState(Payload, kw_only=True):
    """The latest snapshot Telematica fetched; `state` is the data link (`ACTIVE`)."""

    battery_state: BatteryState | None = None
    id: str | None = None  # not the vehicleId; its meaning is not documented
    location: Position | None = None
    odo: Odometer | None = None
    state: str | None = None
    state_description: str | None = None
    static_attributes: StaticAttributes | None = None


class VehicleReport(Event, kw_only=True):
    job_id: str | None = None
    message: str | None = None
    vehicle_id: str
    vehicle_state: VehicleState | None = None


class StateChange(VehicleReport, kw_only=True):
    """`vehicle.charging-status` and `vehicle.plug-status`: the new state, as named."""

    current_state: str


class Soc(VehicleReport, kw_only=True):
    current_soc: float  # percent; may disagree with vehicleState.batteryState.soc
    target_soc: float | None = None


class Device(Payload, kw_only=True):
    device_id: str
    client_user_id: str | None = None
    country: str | None = None
    device_type: str | None = None
    engine_type: str | None = None
    make: str | None = None
    model: str | None = None
    nickname: str | None = None
    vin: str | None = None
    year: int | None = None


class Devices(Event, kw_only=True):
    """`user.devices-connected` lists device objects, `-disconnected` device ids; both
    shapes are read in both events."""

    devices: list[Device | str]
    user: str | None = None


ENVELOPE = msgspec.json.Decoder(Event)
CHARGER_COMMAND = msgspec.json.Decoder(ChargerCommand)
VEHICLE_COMMAND = msgspec.json.Decoder(VehicleCommand)
STATE_CHANGE = msgspec.json.Decoder(StateChange)
SOC = msgspec.json.Decoder(Soc)
DEVICES = msgspec.json.Decoder(Devices)
