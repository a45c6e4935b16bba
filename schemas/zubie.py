"""Zubie webhook payloads (see tests/samples/zubie).

Structs tolerate unknown fields; nearly everything is optional because Zubie sends many
nulls. `car` and `vehicle` are two shapes of the same vehicle, used by different events.
"""

from __future__ import annotations

import msgspec


class Payload(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    """Base of every Zubie struct."""


class Car(Payload, kw_only=True):
    id: str | None = None
    key: str | None = None
    vin: str | None = None
    nickname: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    battery_level: float | None = None  # volts of the 12 V battery, not a state of charge
    fuel_level: float | None = None  # percent


class Trip(Payload, kw_only=True):
    id: str | int | None = None
    key: str | None = None
    started_timestamp: str | None = None
    ended_timestamp: str | None = None
    started_latitude: float | None = None
    started_longitude: float | None = None
    ended_latitude: float | None = None
    ended_longitude: float | None = None
    started_address: str | None = None
    ended_address: str | None = None
    distance: float | None = None  # miles (Zubie is a US service; not documented)
    max_speed: float | None = None  # mph
    idle_time: float | None = None  # seconds
    hard_brakes: int | None = None
    rapid_accels: int | None = None
    tags: list[str] | None = None


class Event(Payload, kw_only=True):
    """The fields every Zubie body has; the type is in `event`."""

    event: str
    timestamp: str
    user_key: str | None = None
    account_key: str | None = None
    car: Car | None = None


class TripEvent(Event, kw_only=True):
    trip: Trip


ENVELOPE = msgspec.json.Decoder(Event)
TRIP_EVENT = msgspec.json.Decoder(TripEvent)
