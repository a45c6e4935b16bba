"""Motive (formerly KeepTruckin) company webhooks (see tests/samples/motive).

A body is one object or an array of objects (Motive does not document batching; both
are accepted). Every object names its `action`; the rest depends on the action. The
array keeps each object as raw JSON so that the batch is counted, and capped, before any
object in it is decoded, and so that one bad object fails alone.

Only `vehicle_location_updated` / `vehicle_location_received` have a published payload
(KeepTruckin's 2017 webhook page). Its fields are read as documented there; `vehicle_id`
and `located_at` are required (no subject and no time without them), the rest is
optional, unknown fields are ignored.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]


class Payload(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    """Base of every Motive struct; fields are the snake_case names Motive uses."""


class Action(Payload, kw_only=True):
    """What every object says: which action it reports."""

    action: str


class VehicleLocation(Payload, kw_only=True):
    """`vehicle_location_updated` (newer than the current location) and
    `vehicle_location_received` (every location)."""

    action: str
    id: str | None = None  # the location object's id
    vehicle_id: int | str
    located_at: str  # ISO 8601
    lat: Latitude
    lon: Longitude
    bearing: float | None = None  # degrees, 0-360
    engine_hours: float | None = None
    speed: float | None = None  # unit undocumented
    odometer: float | None = None  # unit undocumented
    fuel: float | None = None  # fuel used, unit undocumented
    type: str | None = None  # vehicle_moving, ... (started, stopped or in motion)
    description: str | None = None  # e.g. "3.2 mi SE of San Francisco, CA"


BATCH = msgspec.json.Decoder(list[msgspec.Raw])
ACTION = msgspec.json.Decoder(Action)
VEHICLE_LOCATION = msgspec.json.Decoder(VehicleLocation)
