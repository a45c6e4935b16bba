"""ZF SCALAR Datahub asset pairing to canonical device events.

A batch fans out to one event per element of `eventsData`, its position being the
event's index, so ids are deterministic per batch (`eventBatchId`, the record key). A
batch is all or nothing: if any of its events cannot be normalized the whole batch is
dead-lettered with the position at fault, because a raw record cannot be half published
and a replay after the fix then yields every event with the same ids.

Occurrence time: the event's `registeredOn`, else the batch's `eventBatchTime` (both
ISO 8601 UTC; the batch time has 7 fractional digits). A time outside 2000-2100 (one
published sample has a 1970 batch time) is rejected as `invalid-time` only when it is
the time used: an event with its own sane `registeredOn` is not held back by its batch.

Subject: `vin:{assetVIN}` when the asset's VIN passes the VIN rule, else
`zf-scalar:unit:{unitId}`. `sensorVIN` (the VIN configured in the trailer's braking
system, 9 characters in every sample) is kept in `data.vehicle.sensor_vin` and never
becomes the subject: a mismatch between it and the asset is exactly what pairing
failures report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import msgspec

from fleetwire.envelope import RawRecord
from fleetwire.errors import RejectedRecord
from processors import event
from processors.timestamps import iso_utc
from processors.vin import clean_vin
from schemas import canonical as c
from schemas import zf_scalar as z
from schemas.events.pairing import PairingEvent, UnpairingEvent

PROVIDER = "zf-scalar"
MAX_EVENTS_PER_BATCH = 1000
"""A larger batch is rejected (`too-large`) rather than fanned out; ZF batches events
"occurring close together", and a thousand pairings at once is beyond any real fleet."""

P = TypeVar("P", bound=z.Paired)
Handler = Callable[[RawRecord, int, z.Batch, msgspec.Raw], c.CanonicalEvent]


def normalize(record: RawRecord) -> list[c.CanonicalEvent]:
    batch = event.decode(z.BATCH, record.body, "zf-scalar batch")
    count = len(batch.events_data)
    if count == 0:
        raise RejectedRecord("invalid-payload", "zf-scalar batch: eventsData is empty")
    if count > MAX_EVENTS_PER_BATCH:
        raise RejectedRecord(
            "too-large",
            f"zf-scalar batch holds {count} events, more than the {MAX_EVENTS_PER_BATCH} "
            "one batch may fan out to; if ZF really sends such batches, raise "
            "processors.zf_scalar.MAX_EVENTS_PER_BATCH and replay",
        )
    return [_one(record, index, batch, raw) for index, raw in enumerate(batch.events_data)]


def _one(record: RawRecord, index: int, batch: z.Batch, raw: msgspec.Raw) -> c.CanonicalEvent:
    item = event.decode(z.ITEM, raw, f"zf-scalar eventsData[{index}]")
    handler = HANDLERS.get((item.event_type, item.event_version))
    if handler is None:
        raise RejectedRecord(
            "unsupported-event",
            f"zf-scalar eventsData[{index}]: {item.event_type!r} version "
            f"{item.event_version} is not supported",
        )
    try:
        return handler(record, index, batch, item.event_data)
    except RejectedRecord as exc:
        raise RejectedRecord(exc.kind, f"zf-scalar eventsData[{index}]: {exc}") from None


def _times(registered_on: str | None, batch: z.Batch) -> tuple[str | None, str]:
    """The event's `registered_at` and its occurrence time (the batch's when it has none)."""
    if registered_on is not None:
        registered_at = iso_utc(registered_on, "registeredOn")
        return registered_at, registered_at
    return None, iso_utc(batch.event_batch_time, "eventBatchTime")


def _location(location: z.LocationV1 | z.LocationV2 | None) -> c.Location | None:
    if isinstance(location, z.LocationV1):
        return c.Location(latitude=location.lat, longitude=location.lon)
    if isinstance(location, z.LocationV2):
        return c.Location(latitude=location.latitude, longitude=location.longitude)
    return None


def _vehicle(
    asset_vin: str | None, asset_id: str | None, unit_id: str, sensor_vin: str | None = None
) -> c.Vehicle:
    return event.vehicle(
        asset_vin, asset_id=asset_id, device_id=unit_id, sensor_vin=clean_vin(sensor_vin)
    )


_OUTCOMES = {"success": "device.paired", "failed": "device.pairing_failed"}


def _paired(decoder: msgspec.json.Decoder[P]) -> Handler:
    def handle(record: RawRecord, index: int, batch: z.Batch, raw: msgspec.Raw) -> c.CanonicalEvent:
        data = event.decode(decoder, raw, "eventData")
        ce_type = _OUTCOMES.get(data.status.strip().lower())
        if ce_type is None:
            raise RejectedRecord(
                "unsupported-event", f"unit.paired status {data.status!r} is not supported"
            )
        if ce_type == "device.paired" and not data.asset_id:
            raise RejectedRecord(
                "invalid-payload", "a successful unit.paired must name its assetId"
            )
        vehicle = _vehicle(data.asset_vin, data.asset_id, data.unit_id, data.sensor_vin)
        registered_at, time = _times(data.registered_on, batch)
        return event.build(
            record,
            index=index,
            ce_type=ce_type,
            time=time,
            subject=event.subject(PROVIDER, vehicle, "unit", data.unit_id),
            provider_event_type="unit.paired",
            data=PairingEvent(
                vehicle=vehicle,
                status=data.status,
                reason=data.reason,
                organization_id=data.organization_id,
                registered_at=registered_at,
                candidate_asset_ids=tuple(data.candidate_asset_ids or ()),
                location=_location(data.location),
            ),
        )

    return handle


def _unpaired(record: RawRecord, index: int, batch: z.Batch, raw: msgspec.Raw) -> c.CanonicalEvent:
    data = event.decode(z.UNPAIRED, raw, "eventData")
    vehicle = _vehicle(data.asset_vin, data.asset_id, data.unit_id)
    registered_at, time = _times(data.registered_on, batch)
    return event.build(
        record,
        index=index,
        ce_type="device.unpaired",
        time=time,
        subject=event.subject(PROVIDER, vehicle, "unit", data.unit_id),
        provider_event_type="unit.unpaired",
        data=UnpairingEvent(
            vehicle=vehicle,
            organization_id=data.organization_id,
            registered_at=registered_at,
        ),
    )


HANDLERS: dict[tuple[str, int], Handler] = {
    ("unit.paired", 1): _paired(z.PAIRED_V1),
    ("unit.paired", 2): _paired(z.PAIRED_V2),
    ("unit.unpaired", 1): _unpaired,
    ("unit.unpaired", 2): _unpaired,
}
