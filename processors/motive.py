"""Motive (formerly KeepTruckin) company webhooks to canonical events.

A body is one object or an array of objects (accepted both ways: Motive does not document
batching). An array fans out to one event per object, its position being the event's
index, and each bad object becomes a dead letter of its own (processors/fanout.py); one
object is index 0. Motive sends no delivery id, so event ids derive from the body's
SHA-256, the record key.

`{"action": "test"}`, which Motive posts whenever a webhook is enabled or its URL or
secret change, is a ping: counted, never an event nor a dead letter.

Mapped: `vehicle_location_updated` and `vehicle_location_received` (the two actions
whose payload Motive publishes) to `vehicle.location.updated`. Every other action is
dead-lettered as `unsupported-event`, to be replayed once a published shape allows a
mapping (docs/normalization.md lists them).

Occurrence time: `located_at`. Subject: `motive:vehicle:{vehicle_id}` (the payload has no
VIN).

Units: Motive documents none for `speed`, `odometer` and `fuel`. Motive is a North
American fleet platform whose apps show miles: `speed` is taken as mph and `odometer`
as miles, both converted (the same assumption as Zubie's). `engine_hours`, `fuel` and
the location `type` have no canonical field and are not carried.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from fleetwire.envelope import RawRecord
from fleetwire.errors import Ping, RejectedRecord
from processors import event
from processors.fanout import fan_out
from processors.timestamps import iso_utc
from processors.units import miles_to_km, mph_to_kmh
from schemas import canonical as c
from schemas import motive as m
from schemas.events.location import LocationUpdate
from schemas.vss import vss_values

PROVIDER = "motive"
TEST_ACTION = "test"
MAX_OBJECTS_PER_BODY = 1000
"""A larger array is rejected (`too-large`) rather than fanned out: Motive does not
document batching at all, so a thousand objects in one request did not come from it."""

# Actions public receivers name, whose payload Motive does not publish: not guessed at.
NOT_MAPPED_YET = frozenset(
    {
        "fault_code_opened",
        "fault_code_closed",
        "engine_toggle_event",
        "vehicle_upserted",
        "inspection_report_upserted",
        "driver_performance_event_created",
        "driver_performance_event_updated",
        "speeding_event_created",
        "speeding_event_updated",
        "vehicle_gateway_disconnected",
        "vehicle_gateway_disconnect_ended",
        "user_upserted",
        "hos_violation_upserted",
        "vehicle_geofence_event",
    }
)

Handler = Callable[[RawRecord, int, bytes | msgspec.Raw], c.CanonicalEvent]


def normalize(record: RawRecord) -> list[c.CanonicalEvent]:
    if not record.body.lstrip().startswith(b"["):
        return [_one(record, 0, record.body)]
    objects = event.decode(m.BATCH, record.body, "motive body")
    if not objects:
        raise RejectedRecord("invalid-payload", "motive body is an empty array")
    if len(objects) > MAX_OBJECTS_PER_BODY:
        raise RejectedRecord(
            "too-large",
            f"motive body holds {len(objects)} objects, more than the "
            f"{MAX_OBJECTS_PER_BODY} one body may fan out to; if Motive really sends such "
            "arrays, raise processors.motive.MAX_OBJECTS_PER_BODY and replay",
        )
    return fan_out(record, objects, lambda index, raw: _one(record, index, raw), "motive body")


def _one(record: RawRecord, index: int, raw: bytes | msgspec.Raw) -> c.CanonicalEvent:
    action = event.decode(m.ACTION, raw, "motive object").action
    if action == TEST_ACTION:
        raise Ping("motive test")
    handler = HANDLERS.get(action)
    if handler is None:
        raise event.unsupported("motive action", action, NOT_MAPPED_YET)
    return handler(record, index, raw)


def _vehicle_location(record: RawRecord, index: int, raw: bytes | msgspec.Raw) -> c.CanonicalEvent:
    data = event.decode(m.VEHICLE_LOCATION, raw, "motive vehicle location")
    vehicle = event.vehicle(provider_id=str(data.vehicle_id))
    where = c.Location(
        latitude=data.lat,
        longitude=data.lon,
        address=data.description,
        heading_deg=data.bearing,
        speed_kmh=mph_to_kmh(data.speed),
    )
    return event.build(
        record,
        index=index,
        ce_type="vehicle.location.updated",
        time=iso_utc(data.located_at, "located_at"),
        subject=event.subject(PROVIDER, vehicle, "vehicle", vehicle.provider_id),
        provider_event_type=data.action,
        data=LocationUpdate(
            vehicle=vehicle,
            location=where,
            vss=vss_values("odometer_km", miles_to_km(data.odometer)),
        ),
    )


HANDLERS: dict[str, Handler] = {
    "vehicle_location_updated": _vehicle_location,
    "vehicle_location_received": _vehicle_location,
}
