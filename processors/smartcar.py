"""Smartcar to canonical state and connectivity events.

Size: Smartcar's payload limit is 50 KB; a larger body did not come from Smartcar and is
rejected (`too-large`) before it is parsed. 50 KB is read as 51 200 bytes, the larger
reading, so that no genuine delivery is refused.

Occurrence time: the delivery's `meta.deliveredAt` (top-level `meta`, or `data.meta` in
older payloads) in any of its three forms: a number of at least 10^11 is epoch
milliseconds, a smaller one epoch seconds (10^11 seconds is the year 5138, 10^11
milliseconds 1973), a string of digits the same, any other string ISO 8601. Without it,
the time the ingress received the delivery. Signals keep their own times (`oemUpdatedAt`,
`fetchedAt` or the older `retrievedAt`, epoch milliseconds) in `data.signals[]`. Each
signal with a VSS counterpart also carries its VSS paths and values (schemas/vss.py).

Subject: `vin:{VIN}` when `data.vehicle.vin` passes the VIN rule, else
`smartcar:vehicle:{id}` with `data.vehicle.id`, or the top-level `vehicleId` when the
vehicle object has none. VEHICLE_ERROR fans out to one event per error, its position
being the index (ids are deterministic per `eventId`, the record key).

A VERIFY challenge is answered by the ingress and never published; one that reaches a
processor anyway is rejected as `unsupported-event`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeGuard

from fleetwire.envelope import RawRecord
from fleetwire.errors import RejectedRecord
from processors import event
from processors.timestamps import epoch_ms_utc, epoch_s_utc, iso_utc
from processors.units import distance_km, speed_kmh
from schemas import canonical as c
from schemas import smartcar as s
from schemas.events import connectivity, state
from schemas.vss import vss_values

PROVIDER = "smartcar"
MAX_BODY_BYTES = 50 * 1024
EPOCH_MS_FROM = 10**11
FIRST_DELIVERY = "FIRST_DELIVERY"
SIGNAL_UPDATED = "SIGNAL_UPDATED"

Handler = Callable[[RawRecord], list[c.CanonicalEvent]]


def normalize(record: RawRecord) -> list[c.CanonicalEvent]:
    if len(record.body) > MAX_BODY_BYTES:
        raise RejectedRecord(
            "too-large",
            f"smartcar body is {len(record.body)} bytes; Smartcar sends at most "
            f"{MAX_BODY_BYTES}, so this did not come from Smartcar",
        )
    envelope = event.decode(s.ENVELOPE, record.body, "smartcar body")
    name = envelope.event_type or (envelope.event_name or "").upper()
    handler = HANDLERS.get(name)
    if handler is None:
        raise _unroutable(name)
    return handler(record)


def _unroutable(name: str) -> RejectedRecord:
    if not name:
        return RejectedRecord(
            "invalid-payload", "smartcar body has neither eventType nor eventName"
        )
    if name == "VERIFY":
        return RejectedRecord(
            "unsupported-event",
            "smartcar VERIFY is a challenge the ingress answers, not a vehicle event",
        )
    return event.unsupported("smartcar event", name)


def delivered_at(value: s.Timestamp, field: str) -> str:
    """A `deliveredAt` in any of its three forms as RFC 3339 UTC."""
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()):
            return iso_utc(text, field)
        value = int(text)
    if value >= EPOCH_MS_FROM:
        return epoch_ms_utc(value, field)
    return epoch_s_utc(value, field)


def _time(record: RawRecord, payload: s.Event, data: s.Data) -> str:
    meta = payload.meta or data.meta
    if meta is not None and meta.delivered_at is not None:
        where = "meta" if payload.meta is not None else "data.meta"
        return delivered_at(meta.delivered_at, f"{where}.deliveredAt")
    return iso_utc(record.received_at, "fleetwire-received-at")


def _mode(payload: s.Event, data: s.Data) -> str | None:
    meta = payload.meta or data.meta
    return meta.mode if meta else None


def _vehicle(payload: s.Event, data: s.Data) -> tuple[c.Vehicle, str]:
    ref = data.vehicle or s.VehicleRef()
    vehicle = event.vehicle(
        ref.vin,
        provider_id=ref.id or payload.vehicle_id,
        make=ref.make,
        model=ref.model,
        year=ref.year,
    )
    return vehicle, event.subject(PROVIDER, vehicle, "vehicle", vehicle.provider_id)


def _epoch_ms(value: s.Number | None, field: str) -> str | None:
    return None if value is None else epoch_ms_utc(value, field)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _in_canonical_units(value: Any, unit: str | None) -> tuple[Any, str | None]:
    """Distances to km and speeds to km/h; any other unit is kept as reported."""
    if unit is None or not _is_number(value):
        return value, unit
    try:
        km = distance_km(value, unit)
        if km is not None and math.isfinite(km):
            return km, "km"
        kmh = speed_kmh(value, unit)
        if kmh is not None and math.isfinite(kmh):
            return kmh, "km/h"
    except OverflowError:  # an integer beyond any float: keep it as it came
        pass
    return value, unit


def _value(body: dict[str, Any] | None) -> tuple[Any, str | None]:
    if body is None:
        return None, None
    unit = body.get("unit")
    unit = unit if isinstance(unit, str) else None
    if "value" in body:
        return _in_canonical_units(body["value"], unit)
    rest = {key: item for key, item in body.items() if key != "unit"}
    return rest, unit


def _signal(index: int, signal: s.Signal) -> state.Signal:
    value, unit = _value(signal.body)
    meta = signal.meta or s.SignalMeta()
    error = signal.status.error if signal.status else None
    where = f"data.signals[{index}].meta"
    fetched = meta.fetched_at if meta.fetched_at is not None else meta.retrieved_at
    return state.Signal(
        code=signal.code,
        name=signal.name,
        group=signal.group,
        value=value,
        unit=unit,
        error=state.SignalError(code=error.code, type=error.type) if error else None,
        oem_updated_at=_epoch_ms(meta.oem_updated_at, f"{where}.oemUpdatedAt"),
        fetched_at=_epoch_ms(fetched, f"{where}.fetchedAt"),
        vss=vss_values(f"smartcar:{signal.code}", value, unit),
    )


def _ref(ref: s.SignalRef | None) -> state.SignalRef | None:
    return None if ref is None else state.SignalRef(code=ref.code, name=ref.name, group=ref.group)


def _triggers(payload: s.VehicleState) -> tuple[state.Trigger, ...]:
    current = (
        state.Trigger(type=FIRST_DELIVERY)
        if trigger.code == FIRST_DELIVERY
        else state.Trigger(
            type=SIGNAL_UPDATED,
            signal=state.SignalRef(code=trigger.code, name=trigger.name, group=trigger.group),
        )
        for trigger in payload.data.triggers or ()
    )
    legacy = (
        state.Trigger(type=trigger.type, signal=_ref(trigger.signal))
        for trigger in payload.triggers or ()
    )
    return (*current, *legacy)


def _location(signals: tuple[state.Signal, ...]) -> c.Location | None:
    """The first signal whose value is a position in decimal degrees."""
    for signal in signals:
        value = signal.value
        if not isinstance(value, dict):
            continue
        latitude, longitude = value.get("latitude"), value.get("longitude")
        if (
            _is_number(latitude)
            and _is_number(longitude)
            and -90 <= latitude <= 90
            and -180 <= longitude <= 180
        ):
            return c.Location(latitude=float(latitude), longitude=float(longitude))
    return None


def _vehicle_state(record: RawRecord) -> list[c.CanonicalEvent]:
    payload = event.decode(s.VEHICLE_STATE, record.body, "smartcar VEHICLE_STATE")
    data = payload.data
    vehicle, subject = _vehicle(payload, data)
    signals = tuple(_signal(index, signal) for index, signal in enumerate(data.signals))
    triggers = _triggers(payload)
    report = state.StateReport(
        vehicle=vehicle,
        signals=signals,
        triggers=triggers,
        first_delivery=any(trigger.type == FIRST_DELIVERY for trigger in triggers),
        user_id=data.user.id if data.user else None,
        mode=_mode(payload, data),
        location=_location(signals),
    )
    return [
        event.build(
            record,
            index=0,
            ce_type="vehicle.state.reported",
            time=_time(record, payload, data),
            subject=subject,
            provider_event_type=payload.event_type,
            data=report,
        )
    ]


_ERROR_STATES = {"ERROR": "vehicle.connection.failed", "RESOLVED": "vehicle.connection.restored"}


def _error_signal(ref: s.SignalRef | str) -> state.SignalRef:
    if isinstance(ref, str):
        return state.SignalRef(code=ref)
    return state.SignalRef(code=ref.code, name=ref.name, group=ref.group)


def _error(error: s.Error) -> connectivity.VehicleError:
    return connectivity.VehicleError(
        type=error.type,
        code=error.code,
        state=error.state,
        description=error.description,
        suggested_user_message=error.suggested_user_message,
        doc_url=error.doc_url,
        resolution=error.resolution.type if error.resolution else None,
        signals=tuple(_error_signal(ref) for ref in error.signals or ()),
    )


def _vehicle_error(record: RawRecord) -> list[c.CanonicalEvent]:
    payload = event.decode(s.VEHICLE_ERROR, record.body, "smartcar VEHICLE_ERROR")
    data = payload.data
    if not data.errors:
        raise RejectedRecord("invalid-payload", "smartcar VEHICLE_ERROR: data.errors is empty")
    vehicle, subject = _vehicle(payload, data)
    time = _time(record, payload, data)
    events = []
    for index, error in enumerate(data.errors):
        ce_type = _ERROR_STATES.get(error.state.strip().upper())
        if ce_type is None:
            raise RejectedRecord(
                "unsupported-event",
                f"smartcar VEHICLE_ERROR data.errors[{index}].state {error.state!r} is not "
                "supported (expected ERROR or RESOLVED)",
            )
        events.append(
            event.build(
                record,
                index=index,
                ce_type=ce_type,
                time=time,
                subject=subject,
                provider_event_type=payload.event_type,
                data=connectivity.ConnectionErrorEvent(
                    vehicle=vehicle,
                    error=_error(error),
                    user_id=data.user.id if data.user else None,
                    mode=_mode(payload, data),
                ),
            )
        )
    return events


HANDLERS: dict[str, Handler] = {
    "VEHICLE_STATE": _vehicle_state,
    "VEHICLE_ERROR": _vehicle_error,
}
