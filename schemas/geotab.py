"""MyGeotab data-feed entities (see tests/samples/geotab), one struct per feed type.

A raw Geotab record is one entity of a `GetFeed` result, as Geotab returns it; the feed it
came from is the record's `geotab-type` header (Geotab's JSON does not name an entity's
type), so the normalizer picks the decoder by that header, not by the body.

Geotab's conventions (MyGeotab SDK, "Concepts" and the API reference):

- Names are camelCase; unknown fields are ignored (entities gain properties often).
- A nested entity carries only its `id` (`{"id": "b1"}`), and a system entity with no
  properties is written as its id alone, a bare string (`"driver": "UnknownDriverId"`,
  `"NoFailureModeId"`): every reference accepts both forms.
- Ids are opaque strings of no fixed format or length.
- Dates are UTC ISO 8601 (`yyyy-MM-ddTHH:mm:ss.fffZ`); durations are .NET TimeSpans
  written as text (`"00:22:44"`, `"1.02:03:04.5000000"`).
- Units are metric whatever the region: speeds km/h; `Trip.distance` and
  `ExceptionEvent.distance` km (the reference says so for both), while odometers and
  rule-condition distances are metres.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

# What the poller writes beside the entity on its raw record, and the normalizer reads:
# the feed's typeName (Device, LogRecord, ...), and the VIN of the entity's device from the
# poller's Device cache (absent when unknown, and on a Device, whose VIN is in its body).
TYPE_HEADER = "geotab-type"
DEVICE_VIN_HEADER = "geotab-device-vin"

Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]


class Entity(msgspec.Struct, kw_only=True, rename="camel", forbid_unknown_fields=False):
    """Base of every Geotab struct; fields are the camelCase names of the API reference."""


class Reference(Entity, kw_only=True):
    """A nested entity as the feed writes it: its id, sometimes with a few properties."""

    id: str
    code: str | int | None = None  # Diagnostic.code, FailureMode.code, when populated
    name: str | None = None


Ref = Reference | str  # a system entity with no properties is its id as a bare string


def ref_id(ref: Ref | None) -> str | None:
    """The id of a reference in either form; None for a missing or blank one."""
    if ref is None:
        return None
    ident = ref if isinstance(ref, str) else ref.id
    return ident.strip() or None


class Device(Entity, kw_only=True):
    """A tracking device and, in practice, its vehicle (GoDevice and its kin)."""

    id: str
    name: str | None = None
    serial_number: str | None = None
    vehicle_identification_number: str | None = None  # "" when unknown (Geotab's default)
    license_plate: str | None = None
    device_type: str | None = None


class LogRecord(Entity, kw_only=True):
    """A GPS log: where the device was, and how fast it went, at `dateTime`."""

    id: str
    device: Ref
    date_time: str
    latitude: Latitude
    longitude: Longitude
    speed: float | None = None  # km/h


class FaultData(Entity, kw_only=True):
    """A fault code the engine or the device reported.

    The feed names the diagnostic (the code), the failure mode (J1939 FMI) and the
    controller by reference only; their codes and names need lookups of their own.
    """

    id: str
    device: Ref
    date_time: str
    diagnostic: Ref
    failure_mode: Ref | None = None
    controller: Ref | None = None
    fault_state: str | None = None  # None | Pending | Active
    count: int | None = None


class Coordinate(Entity, kw_only=True):
    """A position as Geotab writes it: `x` is the longitude, `y` the latitude."""

    x: Longitude
    y: Latitude


class Trip(Entity, kw_only=True):
    """A drive from `start` to `stop`, plus the stop that followed it until `nextTripStart`."""

    id: str
    device: Ref
    start: str
    stop: str
    distance: float | None = None  # km
    driving_duration: str | None = None  # TimeSpan
    idling_duration: str | None = None  # TimeSpan
    stop_duration: str | None = None  # TimeSpan; 0 while the trip is the device's latest
    maximum_speed: float | None = None  # km/h
    average_speed: float | None = None  # km/h
    stop_point: Coordinate | None = None
    next_trip_start: str | None = None
    driver: Ref | None = None


class ExceptionEvent(Entity, kw_only=True):
    """A rule violation from `activeFrom` to `activeTo`; `rule.id` names the rule."""

    id: str
    device: Ref
    rule: Ref
    active_from: str
    active_to: str | None = None
    distance: float | None = None  # km
    duration: str | None = None  # TimeSpan
    state: str | int | None = None
    driver: Ref | None = None
    version: str | None = None


DEVICE = msgspec.json.Decoder(Device)
LOG_RECORD = msgspec.json.Decoder(LogRecord)
FAULT_DATA = msgspec.json.Decoder(FaultData)
TRIP = msgspec.json.Decoder(Trip)
EXCEPTION_EVENT = msgspec.json.Decoder(ExceptionEvent)
