"""Geotab data-feed entities to canonical events (docs/normalization.md, "Geotab").

One raw record is one feed entity; the poller names its feed in the `geotab-type`
header and, when it knows it, the VIN of the entity's device in `geotab-device-vin`
(a LogRecord, a FaultData, a Trip or an ExceptionEvent names only its device's id).

Subject: `vin:{VIN}` when that VIN (a Device's own `vehicleIdentificationNumber`) passes
the VIN rule, else `geotab:device:{device id}`. Units are Geotab's: km/h for speeds and,
as the API reference states for `Trip.distance` and `ExceptionEvent.distance`, km for
distances, so nothing is converted; .NET TimeSpans become seconds.

Trips are recalculated while in progress and each new version comes with a new id, so
each version is its own raw record and its own `vehicle.trip.ended` (ids stay derived
from the raw key). `data.trip.key` is `{device id}/{start}`, the same for every version
of one trip: Geotab replaces a trip by a newer one with the same device and start.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fleetwire.envelope import RawRecord
from fleetwire.errors import RejectedRecord
from processors import event
from processors.timestamps import format_utc, iso_utc, parse_iso
from schemas import canonical as c
from schemas import geotab as g
from schemas.events import devices, driving, health, location, trips

PROVIDER = "geotab"

Normalize = Callable[[RawRecord], list[c.CanonicalEvent]]


def normalize(record: RawRecord) -> list[c.CanonicalEvent]:
    feed = record.headers.get(g.TYPE_HEADER)
    if not feed:
        raise RejectedRecord(
            "invalid-payload",
            f"geotab record without a {g.TYPE_HEADER} header: the poller names each "
            "entity's feed there, and the body alone does not say it",
        )
    handler = HANDLERS.get(feed)
    if handler is None:
        raise RejectedRecord("unsupported-event", f"geotab {feed} entities are not supported")
    return handler(record)


# Parts --------------------------------------------------------------------------------


def _vehicle(record: RawRecord, device: g.Ref) -> tuple[c.Vehicle, str]:
    """The vehicle of the entity's device and the event's subject."""
    device_id = g.ref_id(device)
    vehicle = event.vehicle(record.headers.get(g.DEVICE_VIN_HEADER), device_id=device_id)
    return vehicle, event.subject(PROVIDER, vehicle, "device", device_id)


def _build(
    record: RawRecord, ce_type: str, time: str, subject: str, data: c.EventData
) -> list[c.CanonicalEvent]:
    feed = record.headers[g.TYPE_HEADER]
    return [
        event.build(
            record,
            index=0,
            ce_type=ce_type,
            time=time,
            subject=subject,
            provider_event_type=feed,
            data=data,
        )
    ]


def _later_time(text: str | None, field: str) -> str | None:
    """A time that is not the event's own; Geotab's unset date (its minimum or maximum
    DateTime) is read as unknown, anything else must be a sane time."""
    if not text or _UNSET.match(text):
        return None
    return iso_utc(text, field)


# Geotab's DateTime.MinValue and MaxValue: how .NET writes a date that was never set.
_UNSET = re.compile(r"\s*(0001-01-01|9999-12-31)")

# .NET TimeSpan text: [-][d.]hh:mm:ss[.fffffff]
_TIMESPAN = re.compile(r"(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?")


def _seconds(text: str | None, field: str) -> float | None:
    if text is None:
        return None
    match = _TIMESPAN.fullmatch(text.strip())
    if match is None:
        raise RejectedRecord("invalid-payload", f"{field}: {text!r} is not a duration")
    sign, days, hours, minutes, seconds, fraction = match.groups()
    total = int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    value = total + (int(fraction.ljust(7, "0")) / 10**7 if fraction else 0.0)
    return round(-value if sign else value, 3)


def _km(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _code(ref: g.Ref | None) -> str | None:
    """A referenced entity's code when the feed gives it, else its id."""
    if isinstance(ref, g.Reference) and ref.code is not None and str(ref.code).strip():
        return str(ref.code).strip()
    return g.ref_id(ref)


# Handlers, one per feed ----------------------------------------------------------------


def _device(record: RawRecord) -> list[c.CanonicalEvent]:
    """A Device has no time of its own: the time is when the poller fetched it."""
    body = event.decode(g.DEVICE, record.body, "geotab Device")
    device_id = body.id.strip() or None
    vehicle = event.vehicle(
        body.vehicle_identification_number,
        name=body.name,
        registration=body.license_plate or None,
        device_id=device_id,
    )
    data = devices.DeviceUpdated(
        vehicle=vehicle,
        device=devices.Device(id=device_id, serial=body.serial_number or None),
        device_type=body.device_type,
    )
    subject = event.subject(PROVIDER, vehicle, "device", device_id)
    time = iso_utc(record.received_at, "fleetwire-received-at")
    return _build(record, "device.updated", time, subject, data)


def _log_record(record: RawRecord) -> list[c.CanonicalEvent]:
    body = event.decode(g.LOG_RECORD, record.body, "geotab LogRecord")
    vehicle, subject = _vehicle(record, body.device)
    where = c.Location(latitude=body.latitude, longitude=body.longitude, speed_kmh=body.speed)
    data = location.LocationUpdate(vehicle=vehicle, location=where)
    time = iso_utc(body.date_time, "dateTime")
    return _build(record, "vehicle.location.updated", time, subject, data)


def _fault_data(record: RawRecord) -> list[c.CanonicalEvent]:
    body = event.decode(g.FAULT_DATA, record.body, "geotab FaultData")
    vehicle, subject = _vehicle(record, body.device)
    code = _code(body.diagnostic)
    if code is None:
        raise RejectedRecord("invalid-payload", "geotab FaultData: diagnostic has no id")
    diagnostic = body.diagnostic
    dtc = health.TroubleCode(
        code=code,
        description=diagnostic.name if isinstance(diagnostic, g.Reference) else None,
        failure_mode=_code(body.failure_mode),
        controller=_code(body.controller),
        state=body.fault_state,
    )
    data = health.DtcEvent(vehicle=vehicle, dtc=dtc)
    time = iso_utc(body.date_time, "dateTime")
    return _build(record, "vehicle.dtc.detected", time, subject, data)


def _trip(record: RawRecord) -> list[c.CanonicalEvent]:
    body = event.decode(g.TRIP, record.body, "geotab Trip")
    vehicle, subject = _vehicle(record, body.device)
    started = parse_iso(body.start, "start")
    stopped = parse_iso(body.stop, "stop")
    if stopped < started:
        raise RejectedRecord("invalid-time", f"geotab Trip: stop {body.stop!r} is before start")
    started_at, stopped_at = format_utc(started), format_utc(stopped)
    point = body.stop_point
    end = None if point is None else c.Location(latitude=point.y, longitude=point.x)
    trip = trips.Trip(
        id=body.id,
        key=f"{vehicle.device_id}/{started_at}" if vehicle.device_id else None,
        started_at=started_at,
        ended_at=stopped_at,
        end_location=end,
        distance_km=_km(body.distance),
        duration_s=round((stopped - started).total_seconds(), 3),
        max_speed_kmh=body.maximum_speed,
        idle_time_s=_seconds(body.idling_duration, "idlingDuration"),
    )
    data = trips.TripEvent(vehicle=vehicle, location=end, trip=trip)
    return _build(record, "vehicle.trip.ended", stopped_at, subject, data)


def _exception_event(record: RawRecord) -> list[c.CanonicalEvent]:
    body = event.decode(g.EXCEPTION_EVENT, record.body, "geotab ExceptionEvent")
    rule = g.ref_id(body.rule)
    mapped = RULES.get(rule or "")
    if mapped is None:
        raise RejectedRecord(
            "unsupported-event",
            f"geotab ExceptionEvent of rule {rule!r}: only the built-in harsh braking, hard "
            f"acceleration, harsh cornering and speeding rules ({', '.join(RULES)}) map to "
            "canonical types",
        )
    ce_type, data_type = mapped
    vehicle, subject = _vehicle(record, body.device)
    started_at = iso_utc(body.active_from, "activeFrom")
    episode = driving.Episode(
        started_at=started_at,
        ended_at=_later_time(body.active_to, "activeTo"),
        duration_s=_seconds(body.duration, "duration"),
        distance_km=_km(body.distance),
        rule_id=rule,
        provider_event_id=body.id,
        state=None if body.state is None else str(body.state),
    )
    return _build(record, ce_type, started_at, subject, data_type(vehicle, episode))


def _harsh_braking(vehicle: c.Vehicle, episode: driving.Episode) -> c.EventData:
    return driving.HarshBraking(vehicle=vehicle, episode=episode, severity="normal")


def _rapid_acceleration(vehicle: c.Vehicle, episode: driving.Episode) -> c.EventData:
    return driving.RapidAcceleration(vehicle=vehicle, episode=episode)


def _harsh_cornering(vehicle: c.Vehicle, episode: driving.Episode) -> c.EventData:
    return driving.HarshCornering(vehicle=vehicle, episode=episode)


def _speeding(vehicle: c.Vehicle, episode: driving.Episode) -> c.EventData:
    return driving.Speeding(vehicle=vehicle, episode=episode)


RULES: dict[str, tuple[str, Callable[[c.Vehicle, driving.Episode], c.EventData]]] = {
    "RuleHarshBrakingId": ("driving.harsh_braking", _harsh_braking),
    "RuleJackrabbitStartsId": ("driving.rapid_acceleration", _rapid_acceleration),
    "RuleHarshCorneringId": ("driving.harsh_cornering", _harsh_cornering),
    "RulePostedSpeedingId": ("driving.speeding", _speeding),
}
"""Geotab's built-in rules (KnownId) that are canonical driving events; Geotab names the
hard-acceleration rule after jackrabbit starts."""

HANDLERS: dict[str, Normalize] = {
    "Device": _device,
    "LogRecord": _log_record,
    "FaultData": _fault_data,
    "Trip": _trip,
    "ExceptionEvent": _exception_event,
}
