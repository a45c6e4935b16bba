"""Zubie to canonical.

Assumptions (Zubie does not document units): distances are miles and speeds mph, as a US
service; both are converted to km and km/h. `car.battery_level` is the 12 V battery's
voltage, never a state of charge. The occurrence time is the body's `timestamp`, which
carries the vehicle's local offset and is converted to UTC.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from fleetwire.errors import RejectedRecord
from processors import event
from processors.record import RawRecord
from processors.timestamps import iso_utc, parse_iso
from processors.units import miles_to_km, mph_to_kmh
from schemas import canonical as c
from schemas import zubie as z
from schemas.events import trips

PROVIDER = "zubie"


def normalize(record: RawRecord) -> list[c.CanonicalEvent]:
    try:
        envelope = z.ENVELOPE.decode(record.body)
    except msgspec.DecodeError as exc:
        raise event.decode_error(exc, record.body, "zubie body") from None
    handler = HANDLERS.get(envelope.event)
    if handler is None:
        raise RejectedRecord("unsupported-event", f"zubie event {envelope.event!r} is not supported")
    return handler(record)


def _vehicle(car: z.Car | None) -> c.Vehicle:
    if car is None:
        return event.vehicle()
    return event.vehicle(car.vin, provider_id=car.id, provider_key=car.key, name=car.nickname)


def _location(latitude: float | None, longitude: float | None) -> c.Location | None:
    if latitude is None or longitude is None:
        return None
    return c.Location(latitude=latitude, longitude=longitude)


def _subject(vehicle: c.Vehicle, car: z.Car | None) -> str:
    return event.subject(PROVIDER, vehicle, "vehicle", car.key or car.id if car else None)


def _trip(payload: z.TripEvent) -> trips.Trip:
    trip = payload.trip
    started = parse_iso(trip.started_timestamp, "trip.started_timestamp") \
        if trip.started_timestamp else None
    ended = parse_iso(trip.ended_timestamp, "trip.ended_timestamp") \
        if trip.ended_timestamp else None
    return trips.Trip(
        id=None if trip.id is None else str(trip.id),
        key=trip.key,
        started_at=iso_utc(trip.started_timestamp, "trip.started_timestamp")
        if trip.started_timestamp else None,
        ended_at=iso_utc(trip.ended_timestamp, "trip.ended_timestamp")
        if trip.ended_timestamp else None,
        start_location=_location(trip.started_latitude, trip.started_longitude),
        end_location=_location(trip.ended_latitude, trip.ended_longitude),
        distance_km=miles_to_km(trip.distance),
        duration_s=(ended - started).total_seconds() if started and ended else None,
        max_speed_kmh=mph_to_kmh(trip.max_speed),
        idle_time_s=trip.idle_time,
        hard_brakes=trip.hard_brakes,
        rapid_accelerations=trip.rapid_accels,
        start_address=trip.started_address,
        end_address=trip.ended_address,
        tags=tuple(trip.tags or ()),
    )


def _trip_event(ce_type: str) -> Callable[[RawRecord], list[c.CanonicalEvent]]:
    def handle(record: RawRecord) -> list[c.CanonicalEvent]:
        try:
            payload = z.TRIP_EVENT.decode(record.body)
        except msgspec.DecodeError as exc:
            raise event.decode_error(exc, record.body, "zubie trip event") from None
        car = payload.car
        vehicle = _vehicle(car)
        data = trips.TripEvent(
            vehicle=vehicle,
            trip=_trip(payload),
            location=_location(car.latitude, car.longitude) if car else None,
            fuel_level_percent=car.fuel_level if car else None,
            battery_voltage=car.battery_level if car else None,
        )
        return [event.build(
            record, index=0, ce_type=ce_type,
            time=iso_utc(payload.timestamp, "timestamp"),
            subject=_subject(vehicle, car), provider_event_type=payload.event, data=data,
        )]
    return handle


HANDLERS: dict[str, Callable[[RawRecord], list[c.CanonicalEvent]]] = {
    "trip_start": _trip_event("vehicle.trip.started"),
    "trip_end": _trip_event("vehicle.trip.ended"),
}
