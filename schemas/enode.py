"""Enode webhooks (see tests/samples/enode).

A body is an array of up to 100 events. Every event names itself (`event`), when it was
created (`createdAt`, UTC ISO 8601) and, on current API versions, the `version` of its
payload; the rest depends on the event. The array keeps each event as raw JSON so that
the batch is counted, and capped, before any event is decoded, and so that one bad event
fails alone.

`user:vehicle:updated` carries the user and the vehicle "following the same schema as
Get Vehicle, only changed fields populated" (Enode API 1.3.10, Webhooks): every vehicle
field but `id` is optional here. Enode's own example sends `batteryLevel` and `range` as
strings ("38", "127.5") although the schema says numbers: both are accepted.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]
Number = int | float | str  # a number, or a number written as a string (Enode's example)


class Payload(msgspec.Struct, kw_only=True, rename="camel", forbid_unknown_fields=False):
    """Base of every Enode struct; fields are the camelCase names of the API reference."""


class Item(Payload, kw_only=True):
    """What every event of a batch says about itself."""

    event: str
    created_at: str | None = None  # UTC ISO 8601; required where a time is needed
    version: str | None = None


class User(Payload, kw_only=True):
    id: str


class Information(Payload, kw_only=True):
    vin: str | None = None
    brand: str | None = None
    model: str | None = None
    year: int | None = None
    display_name: str | None = None


class ChargeState(Payload, kw_only=True):
    battery_level: Number | None = None  # percent
    range: Number | None = None  # km
    is_plugged_in: bool | None = None
    is_charging: bool | None = None
    is_fully_charged: bool | None = None
    charge_rate: Number | None = None  # kW
    charge_limit: Number | None = None  # percent of batteryCapacity
    charge_time_remaining: Number | None = None  # minutes
    battery_capacity: Number | None = None  # kWh
    max_current: Number | None = None  # A
    power_delivery_state: str | None = None
    last_updated: str | None = None


class Location(Payload, kw_only=True):
    latitude: Latitude
    longitude: Longitude
    last_updated: str | None = None


class Odometer(Payload, kw_only=True):
    distance: Number | None = None  # km
    last_updated: str | None = None


class Vehicle(Payload, kw_only=True):
    id: str
    user_id: str | None = None
    vendor: str | None = None
    last_seen: str | None = None
    is_reachable: bool | None = None
    information: Information | None = None
    charge_state: ChargeState | None = None
    location: Location | None = None
    odometer: Odometer | None = None


class VehicleUpdated(Payload, kw_only=True):
    """`user:vehicle:updated`."""

    event: str
    created_at: str
    version: str | None = None
    user: User | None = None
    vehicle: Vehicle


BATCH = msgspec.json.Decoder(list[msgspec.Raw])
ITEM = msgspec.json.Decoder(Item)
VEHICLE_UPDATED = msgspec.json.Decoder(VehicleUpdated)
