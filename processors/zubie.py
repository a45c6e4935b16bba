"""Zubie to canonical: one body, one event (docs/normalization.md, "Zubie").

Time: the body's `timestamp`, which carries the vehicle's local offset, converted to UTC;
a timestamp without a zone is taken as UTC (Zubie documents it as "UTC with local
offset"). Units are not documented: distances are taken as miles, speeds as mph,
acceleration as mph per second and geofence radii as miles (a US service; the values
fit), and converted to km, km/h and km/h per second. `battery_level` is the 12 V
battery's voltage, never a state of charge. Fuel level and battery voltage are also
listed under their VSS names in `data.vss` (schemas/vss.py).

Subject: `vin:{VIN}` when the VIN passes the VIN rule; else the first id present of the
vehicle (`zubie:vehicle:{key or id}`), the device (`zubie:device:{serial or key}`) or
the trip (`zubie:trip:{key or id}`); a body with none of them is dead-lettered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any, Literal, TypedDict, TypeVar

from fleetwire.envelope import RawRecord
from fleetwire.errors import RejectedRecord
from processors import event
from processors.timestamps import format_utc, iso_utc, parse_iso
from processors.units import miles_to_km, mph_to_kmh
from schemas import canonical as c
from schemas import zubie as z
from schemas.events import devices, driving, health, location, trips
from schemas.events.common import TripPoint, VssValue
from schemas.vss import vss_values

PROVIDER = "zubie"

Normalized = tuple[str, c.EventData]  # canonical type, data
Handler = Callable[[Any], Normalized]
T = TypeVar("T")


def normalize(record: RawRecord) -> list[c.CanonicalEvent]:
    body = _decode(record.body)
    ce_type, data = HANDLERS[type(body)](body)
    return [
        event.build(
            record,
            index=0,
            ce_type=ce_type,
            time=iso_utc(body.timestamp, "timestamp"),
            subject=_subject(data),
            provider_event_type=z.event_name(body),
            data=data,
        )
    ]


def _decode(body: bytes) -> z.Event:
    try:
        return z.BODY.decode(body)
    except event.DECODE_ERRORS as exc:
        name = _event_name(body)
        if name is not None and name not in z.EVENTS:
            raise event.unsupported("zubie event", name) from None
        raise event.decode_error(exc, body, f"zubie {name or 'body'}") from None


def _event_name(body: bytes) -> str | None:
    try:
        return z.ENVELOPE.decode(body).event
    except event.DECODE_ERRORS:
        return None


# Subject ------------------------------------------------------------------------------


def _subject(data: c.EventData) -> str:
    """A valid VIN wins whatever the fallback; without one, the first id present keys it."""
    kind, ident = "vehicle", None
    if not data.vehicle.vin_valid:  # the usual case needs no fallback: skip looking for one
        kind, ident = next(((k, i) for k, i in _fallback_ids(data) if i), (kind, ident))
    return event.subject(PROVIDER, data.vehicle, kind, ident)


def _fallback_ids(data: c.EventData) -> Iterator[tuple[str, str | None]]:
    """The ids that key the event when the VIN does not, most stable first."""
    yield "vehicle", data.vehicle.provider_key or data.vehicle.provider_id
    if isinstance(data, devices.DeviceEventData):
        yield "device", data.device.serial or data.device.key or data.device.id
    trip = data.trip if isinstance(data, _WITH_TRIP) else None
    if trip is not None:
        yield "trip", trip.key or trip.id


_WITH_TRIP = (trips.TripEvent, driving.DrivingEventData, driving.ScheduleViolation)


# Parts --------------------------------------------------------------------------------


class _Status(TypedDict):
    """The fields every Zubie event's data has but its location: vehicle, account, readings."""

    vehicle: c.Vehicle
    account_id: str | None
    user_id: str | None
    fuel_level_percent: float | None
    battery_voltage: float | None
    vss: tuple[VssValue, ...]


def _status(body: z.VehicleEvent, device: z.Device | None = None) -> _Status:
    reported = body.reported_vehicle()
    fuel = reported.fuel_level if reported else None
    voltage = reported.battery_level if reported else None
    return _Status(
        vehicle=_vehicle(reported, device),
        account_id=body.account_key,
        user_id=body.user_key,
        fuel_level_percent=fuel,
        battery_voltage=voltage,
        vss=(*vss_values("fuel_level_percent", fuel), *vss_values("battery_voltage", voltage)),
    )


def _vehicle(reported: z.Car | z.Vehicle | None, device: z.Device | None) -> c.Vehicle:
    device_id = (device.serial or device.key or _text(device.id)) if device else None
    if reported is None:
        return event.vehicle(device_id=device_id)
    return event.vehicle(
        reported.vin,
        provider_id=reported.vehicle_id(),
        provider_key=reported.key,
        name=reported.nickname,
        device_id=device_id,
    )


def _location(body: z.VehicleEvent, point: z.Point | None = None) -> c.Location | None:
    """Where the event happened: the trip point's position, else the vehicle's.

    The point's speed and heading go with it, so that `data.location` alone says where
    the vehicle was and how it moved.
    """
    reported = body.reported_vehicle()
    position = point.position() if point else None
    if position is None and reported is not None:
        position = reported.position()
    if position is None:
        return None
    return c.Location(
        latitude=position[0],
        longitude=position[1],
        speed_kmh=mph_to_kmh(point.speed) if point else None,
        heading_deg=point.heading if point else None,
    )


def _point(point: z.Point | None) -> TripPoint | None:
    if point is None:
        return None
    return TripPoint(
        id=_text(point.id),
        key=point.key,
        time=_utc(point.timestamp, "point.timestamp"),
        speed_kmh=mph_to_kmh(point.speed),
        heading_deg=point.heading,
        # mph per second to km/h per second: the same factor as mph to km/h
        acceleration_kmh_per_s=mph_to_kmh(point.acceleration),
        engine_rpm=point.rpm,
        gps_quality=point.gps_quality,
    )


def _trip(trip: z.Trip, tag: str | None = None) -> trips.Trip:
    """Either trip shape; the speeding shape's names fill what the other shape lacks."""
    start = trip.start_point or z.TripEndpoint()
    end = trip.end_point or z.TripEndpoint()
    started = _moment(trip.started_timestamp or start.timestamp, "trip.started_timestamp")
    ended = _moment(trip.ended_timestamp or end.timestamp, "trip.ended_timestamp")
    tags = tuple(trip.tags or ())
    return trips.Trip(
        id=_text(trip.id),
        key=trip.key,
        started_at=format_utc(started) if started else None,
        ended_at=format_utc(ended) if ended else None,
        start_location=_position(trip.started_latitude, trip.started_longitude, start),
        end_location=_position(trip.ended_latitude, trip.ended_longitude, end),
        distance_km=miles_to_km(trip.distance),
        duration_s=(ended - started).total_seconds() if started and ended else None,
        max_speed_kmh=mph_to_kmh(_first(trip.max_speed, trip.top_speed)),
        idle_time_s=_first(trip.idle_time, trip.idle_seconds),
        hard_brakes=_first(trip.hard_brakes, trip.hard_brake_count),
        rapid_accelerations=_first(trip.rapid_accels, trip.hard_accel_count),
        start_address=_address(trip.started_address or start.address),
        end_address=_address(trip.ended_address or end.address),
        tags=tags if tag is None or tag in tags else (*tags, tag),
        fuel_cost=trip.fuel_cost,
        fuel_cost_currency=trip.fuel_cost_currency_code,
        speeding=_speeding(trip),
    )


def _position(
    latitude: float | None, longitude: float | None, endpoint: z.TripEndpoint
) -> c.Location | None:
    if latitude is not None and longitude is not None:
        return c.Location(latitude=latitude, longitude=longitude)
    if endpoint.point is not None:
        return c.Location(latitude=endpoint.point.lat, longitude=endpoint.point.lon)
    return None


def _speeding(trip: z.Trip) -> trips.SpeedingCounts | None:
    counts = trips.SpeedingCounts(
        city_minor=trip.speeding_city_minor_count,
        city_major=trip.speeding_city_major_count,
        highway_minor=trip.speeding_hwy_minor_count,
        highway_major=trip.speeding_hwy_major_count,
    )
    return None if counts == trips.SpeedingCounts() else counts


def _address(address: z.Address | str | None) -> str | None:
    """One line, `street, city, state zipcode`, like the addresses Zubie sends as text."""
    if address is None or isinstance(address, str):
        return address or None
    region = " ".join(part for part in (address.state, address.zipcode) if part)
    return ", ".join(part for part in (address.street, address.city, region) if part) or None


def _moment(text: str | None, field: str) -> datetime | None:
    return parse_iso(text, field) if text else None


def _utc(text: str | None, field: str) -> str | None:
    return iso_utc(text, field) if text else None


def _date(text: str | None, field: str) -> str | None:
    """A calendar date; a date-time is cut to its date."""
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()[:10]).isoformat()
    except ValueError:
        raise RejectedRecord("invalid-time", f"{field}: {text!r} is not a date") from None


def _text(value: str | int | None) -> str | None:
    return None if value is None else str(value)


def _first(value: T | None, fallback: T | None) -> T | None:
    return fallback if value is None else value


# Handlers, one per Zubie event ----------------------------------------------------------


def _trip_event(ce_type: str) -> Handler:
    def handle(body: z.TripEvent) -> Normalized:
        tag = body.tag.value if isinstance(body, z.TripTagged) else None
        return ce_type, trips.TripEvent(
            **_status(body), location=_location(body), trip=_trip(body.trip, tag)
        )

    return handle


def _harsh_braking(severity: Literal["normal", "severe"]) -> Handler:
    def handle(body: z.DrivingEvent) -> Normalized:
        return "driving.harsh_braking", driving.HarshBraking(
            **_status(body),
            location=_location(body, body.point),
            point=_point(body.point),
            trip=_trip(body.trip) if body.trip else None,
            severity=severity,
        )

    return handle


def _rapid_acceleration(body: z.DrivingEvent) -> Normalized:
    return "driving.rapid_acceleration", driving.RapidAcceleration(
        **_status(body),
        location=_location(body, body.point),
        point=_point(body.point),
        trip=_trip(body.trip) if body.trip else None,
    )


def _speeding_event(body: z.DrivingEvent) -> Normalized:
    return "driving.speeding", driving.Speeding(
        **_status(body),
        location=_location(body, body.point),
        point=_point(body.point),
        trip=_trip(body.trip) if body.trip else None,
    )


def _schedule_violation(body: z.VehicleScheduleException) -> Normalized:
    schedule = driving.Schedule(name=body.schedule.name, category=body.schedule.category)
    return "vehicle.schedule.violated", driving.ScheduleViolation(
        **_status(body),
        location=_location(body),
        schedule=schedule,
        trip=_trip(body.trip) if body.trip else None,
    )


def _location_update(body: z.VehicleLocationUpdate) -> Normalized:
    where = _location(body)
    if where is None:
        raise RejectedRecord(
            "invalid-payload",
            "zubie vehicle_location_update has no position in `car` or `vehicle`",
        )
    return "vehicle.location.updated", location.LocationUpdate(**_status(body), location=where)


def _geofence(ce_type: str) -> Handler:
    def handle(body: z.GeofenceEvent) -> Normalized:
        fence = body.geofence
        geofence = location.Geofence(
            id=_text(fence.id),
            key=fence.key,
            name=fence.name,
            address=fence.address,
            radius_km=miles_to_km(fence.radius),
        )
        return ce_type, location.GeofenceCrossing(
            **_status(body),
            location=_location(body, body.point),
            geofence=geofence,
            point=_point(body.point),
        )

    return handle


def _trouble_code(ce_type: str) -> Handler:
    def handle(body: z.TroubleCodeEvent) -> Normalized:
        code = body.trouble_code
        dtc = health.TroubleCode(
            code=code.code,
            description=code.description,
            detailed_description=code.detailed_description,
            severity=code.severity,
            repair_cost_low=code.repair_cost_low,
            repair_cost_high=code.repair_cost_high,
        )
        return ce_type, health.DtcEvent(**_status(body), location=_location(body), dtc=dtc)

    return handle


def _battery_low(body: z.VehicleLowBattery) -> Normalized:
    return "vehicle.battery.low", health.BatteryLow(**_status(body), location=_location(body))


def _fuel_low(body: z.VehicleFuelLow) -> Normalized:
    return "vehicle.fuel.low", health.FuelLow(**_status(body), location=_location(body))


def _maintenance(body: z.VehicleMaintenance) -> Normalized:
    due = body.maintenance
    maintenance = health.Maintenance(
        id=_text(due.id),
        key=due.key,
        summary=due.summary,
        description=due.description,
        next_service_date=_date(due.next_service_date, "maintenance.next_service_date"),
        next_service_km=miles_to_km(due.next_service_miles),
    )
    return "vehicle.maintenance.due", health.MaintenanceDue(
        **_status(body),
        location=_location(body),
        maintenance=maintenance,
        provider_event_id=_text(body.id),
    )


def _device(body: z.DeviceEvent) -> devices.Device:
    return devices.Device(id=_text(body.device.id), key=body.device.key, serial=body.device.serial)


def _device_activated(body: z.DeviceClaimSuccess) -> Normalized:
    claim = devices.Claim(id=_text(body.claim.id), key=body.claim.key) if body.claim else None
    return "device.activated", devices.DeviceActivated(
        **_status(body, body.device), location=_location(body), device=_device(body), claim=claim
    )


def _device_unplugged(body: z.DeviceUnplug) -> Normalized:
    return "device.unplugged", devices.DeviceUnplugged(
        **_status(body, body.device), location=_location(body), device=_device(body)
    )


def _device_reconnected(body: z.DeviceReconnect) -> Normalized:
    return "device.reconnected", devices.DeviceReconnected(
        **_status(body, body.device),
        location=_location(body),
        device=_device(body),
        last_gasp_at=_utc(body.last_gasp_timestamp, "last_gasp_timestamp"),
    )


def _device_vehicle_changed(body: z.DeviceVehicleChange) -> Normalized:
    return "device.vehicle_changed", devices.DeviceVehicleChanged(
        **_status(body, body.device), location=_location(body), device=_device(body)
    )


HANDLERS: dict[type[z.Event], Handler] = {
    z.TripStart: _trip_event("vehicle.trip.started"),
    z.TripEnd: _trip_event("vehicle.trip.ended"),
    z.TripTagged: _trip_event("vehicle.trip.tagged"),
    z.TripHardBrake: _harsh_braking("normal"),
    z.TripSevereHardBrake: _harsh_braking("severe"),
    z.TripRapidAccel: _rapid_acceleration,
    z.TripOverSpeeding: _speeding_event,
    z.VehicleScheduleException: _schedule_violation,
    z.VehicleLocationUpdate: _location_update,
    z.VehicleGeofenceArrival: _geofence("vehicle.geofence.entered"),
    z.VehicleGeofenceDeparture: _geofence("vehicle.geofence.exited"),
    z.VehicleTroubleCode: _trouble_code("vehicle.dtc.detected"),
    z.VehicleTroubleCodeCleared: _trouble_code("vehicle.dtc.cleared"),
    z.VehicleLowBattery: _battery_low,
    z.VehicleFuelLow: _fuel_low,
    z.VehicleMaintenance: _maintenance,
    z.DeviceClaimSuccess: _device_activated,
    z.DeviceUnplug: _device_unplugged,
    z.DeviceReconnect: _device_reconnected,
    z.DeviceVehicleChange: _device_vehicle_changed,
}
