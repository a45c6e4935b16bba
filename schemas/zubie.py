"""Zubie webhook payloads (see tests/samples/zubie), one struct per event.

The body names its event in `event`; every event struct is tagged with its name, so one
decoder of the union `Body` picks the struct and validates it in a single pass.

Zubie's document says every body carries `event`, `timestamp`, `user_key` and
`account_key`, but its own maintenance sample has no `user_key` or `account_key`: only
`event` and `timestamp` are required here, plus the object that defines each event
(`trip`, `geofence`, `trouble_code`, `maintenance`, `schedule`, `tag`, `device`).
Everything else is optional because Zubie sends many nulls; unknown fields are ignored.

The vehicle comes in two forms: `car` (flat `latitude`/`longitude`, has an `id`) or
`vehicle` (`vehicle_location.point.{lat, lon}`, no `id`); either may be absent. Trips and
trip points also come in two shapes: the one of most events, and the one of
`trip_over_speeding` (`top_speed`, `start_point`, `hard_brake_count`, nested
`point.point`); `Trip` and `Point` accept both.

Units are not documented. Distances are taken as miles, speeds as mph, `acceleration` as
mph per second and `geofence.radius` as miles (a US service; the values fit);
`battery_level` is the 12 V battery's voltage and `fuel_level` a percentage.
"""

from __future__ import annotations

from typing import Annotated, get_args

import msgspec

Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]
Id = str | int  # ids are strings in the samples; numbers are taken too and kept as text


class Payload(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    """Base of every Zubie struct."""


class LatLon(Payload, kw_only=True):
    lat: Latitude
    lon: Longitude


class Address(Payload, kw_only=True):
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zipcode: str | None = None


class VehicleLocation(Payload, kw_only=True):
    point: LatLon | None = None


class VehicleBase(Payload, kw_only=True):
    key: str | None = None
    vin: str | None = None
    nickname: str | None = None
    battery_level: float | None = None  # volts of the 12 V battery, not a state of charge
    fuel_level: float | None = None  # percent


class Car(VehicleBase, kw_only=True):
    """The `car` form."""

    id: Id | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None

    def position(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return self.latitude, self.longitude

    def vehicle_id(self) -> str | None:
        return None if self.id is None else str(self.id)


class Vehicle(VehicleBase, kw_only=True):
    """The `vehicle` form."""

    id: Id | None = None  # not in the samples; taken if Zubie ever sends it
    vehicle_location: VehicleLocation | None = None

    def position(self) -> tuple[float, float] | None:
        point = self.vehicle_location.point if self.vehicle_location else None
        return None if point is None else (point.lat, point.lon)

    def vehicle_id(self) -> str | None:
        return None if self.id is None else str(self.id)


class TripEndpoint(Payload, kw_only=True):
    """`trip.start_point` / `trip.end_point` of the speeding shape."""

    address: Address | str | None = None
    point: LatLon | None = None
    timestamp: str | None = None


class Trip(Payload, kw_only=True):
    """Both trip shapes: most events use the first group, trip_over_speeding the second."""

    id: Id | None = None
    key: str | None = None
    distance: float | None = None  # miles
    fuel_cost: float | None = None
    fuel_cost_currency_code: str | None = None
    speeding_city_minor_count: int | None = None
    speeding_city_major_count: int | None = None
    speeding_hwy_minor_count: int | None = None
    speeding_hwy_major_count: int | None = None
    tags: list[str] | None = None
    # the shape of most events
    started_timestamp: str | None = None
    ended_timestamp: str | None = None
    started_latitude: Latitude | None = None
    started_longitude: Longitude | None = None
    ended_latitude: Latitude | None = None
    ended_longitude: Longitude | None = None
    started_address: Address | str | None = None
    ended_address: Address | str | None = None
    max_speed: float | None = None  # mph
    idle_time: float | None = None  # seconds
    hard_brakes: int | None = None
    rapid_accels: int | None = None
    # the shape of trip_over_speeding
    start_point: TripEndpoint | None = None
    end_point: TripEndpoint | None = None
    top_speed: float | None = None  # mph
    idle_seconds: float | None = None
    hard_brake_count: int | None = None
    hard_accel_count: int | None = None


class Point(Payload, kw_only=True):
    """A trip point: flat `latitude`/`longitude`, or nested `point.{lat, lon}` (speeding).

    `speed_by_second` and `gps_timestamp` are not read: they are empty or null in every
    sample and their shapes are undocumented.
    """

    id: Id | None = None
    key: str | None = None
    timestamp: str | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    point: LatLon | None = None
    speed: float | None = None  # mph
    heading: float | None = None  # degrees
    acceleration: float | None = None  # mph per second
    rpm: float | None = None
    gps_quality: float | None = None

    def position(self) -> tuple[float, float] | None:
        if self.latitude is not None and self.longitude is not None:
            return self.latitude, self.longitude
        return None if self.point is None else (self.point.lat, self.point.lon)


class Geofence(Payload, kw_only=True):
    id: Id | None = None
    key: str | None = None
    name: str | None = None
    address: str | None = None
    radius: float | None = None  # miles


class TroubleCode(Payload, kw_only=True):
    code: str
    description: str | None = None
    detailed_description: str | None = None
    severity: int | None = None
    repair_cost_low: float | None = None
    repair_cost_high: float | None = None


class Maintenance(Payload, kw_only=True):
    id: Id | None = None
    key: str | None = None
    summary: str | None = None
    description: str | None = None
    next_service_date: str | None = None
    next_service_miles: float | None = None


class Schedule(Payload, kw_only=True):
    name: str | None = None
    category: str | None = None


class Tag(Payload, kw_only=True):
    value: str


class Device(Payload, kw_only=True):
    id: Id | None = None
    key: str | None = None
    serial: str | None = None


class Claim(Payload, kw_only=True):
    id: Id | None = None
    key: str | None = None


# Bodies ------------------------------------------------------------------------------


class Event(Payload, tag_field="event", kw_only=True):
    """What every body has; `event` is the tag that selects the subclass."""

    timestamp: str  # ISO 8601 with the vehicle's local offset
    user_key: str | None = None
    account_key: str | None = None


class VehicleEvent(Event, kw_only=True):
    car: Car | None = None
    vehicle: Vehicle | None = None

    def reported_vehicle(self) -> Car | Vehicle | None:
        return self.car if self.car is not None else self.vehicle


class TripEvent(VehicleEvent, kw_only=True):
    trip: Trip


class TripStart(TripEvent, tag="trip_start", kw_only=True):
    pass


class TripEnd(TripEvent, tag="trip_end", kw_only=True):
    pass


class TripTagged(TripEvent, tag="trip_tagged", kw_only=True):
    tag: Tag


class DrivingEvent(VehicleEvent, kw_only=True):
    point: Point | None = None
    trip: Trip | None = None


class TripHardBrake(DrivingEvent, tag="trip_hard_brake", kw_only=True):
    pass


class TripSevereHardBrake(DrivingEvent, tag="trip_severe_hard_brake", kw_only=True):
    pass


class TripRapidAccel(DrivingEvent, tag="trip_rapid_accel", kw_only=True):
    pass


class TripOverSpeeding(DrivingEvent, tag="trip_over_speeding", kw_only=True):
    pass


class VehicleScheduleException(VehicleEvent, tag="vehicle_schedule_exception", kw_only=True):
    schedule: Schedule
    trip: Trip | None = None


class VehicleLocationUpdate(VehicleEvent, tag="vehicle_location_update", kw_only=True):
    pass


class GeofenceEvent(VehicleEvent, kw_only=True):
    geofence: Geofence
    point: Point | None = None


class VehicleGeofenceArrival(GeofenceEvent, tag="vehicle_geofence_arrival", kw_only=True):
    pass


class VehicleGeofenceDeparture(GeofenceEvent, tag="vehicle_geofence_departure", kw_only=True):
    pass


class TroubleCodeEvent(VehicleEvent, kw_only=True):
    trouble_code: TroubleCode


class VehicleTroubleCode(TroubleCodeEvent, tag="vehicle_trouble_code", kw_only=True):
    pass


class VehicleTroubleCodeCleared(TroubleCodeEvent, tag="vehicle_trouble_code_cleared", kw_only=True):
    pass


class VehicleLowBattery(VehicleEvent, tag="vehicle_low_battery", kw_only=True):
    pass


class VehicleFuelLow(VehicleEvent, tag="vehicle_fuel_low", kw_only=True):
    pass


class VehicleMaintenance(VehicleEvent, tag="vehicle_maintenance", kw_only=True):
    id: Id | None = None
    maintenance: Maintenance


class DeviceEvent(VehicleEvent, kw_only=True):
    device: Device


class DeviceClaimSuccess(DeviceEvent, tag="device_claim_success", kw_only=True):
    claim: Claim | None = None


class DeviceUnplug(DeviceEvent, tag="device_unplug", kw_only=True):
    pass


class DeviceReconnect(DeviceEvent, tag="device_reconnect", kw_only=True):
    last_gasp_timestamp: str | None = None


class DeviceVehicleChange(DeviceEvent, tag="device_vehicle_change", kw_only=True):
    pass


Body = (
    TripStart
    | TripEnd
    | TripTagged
    | TripHardBrake
    | TripSevereHardBrake
    | TripRapidAccel
    | TripOverSpeeding
    | VehicleScheduleException
    | VehicleLocationUpdate
    | VehicleGeofenceArrival
    | VehicleGeofenceDeparture
    | VehicleTroubleCode
    | VehicleTroubleCodeCleared
    | VehicleLowBattery
    | VehicleFuelLow
    | VehicleMaintenance
    | DeviceClaimSuccess
    | DeviceUnplug
    | DeviceReconnect
    | DeviceVehicleChange
)


class Envelope(Payload, kw_only=True):
    """Just the event name, to tell an unsupported event from a malformed one."""

    event: str


BODY: msgspec.json.Decoder[Body] = msgspec.json.Decoder(Body)
ENVELOPE = msgspec.json.Decoder(Envelope)


def event_name(body: Event) -> str:
    """The `event` value the body was decoded by."""
    return str(type(body).__struct_config__.tag)


EVENTS: frozenset[str] = frozenset(str(cls.__struct_config__.tag) for cls in get_args(Body))
