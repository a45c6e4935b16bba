"""Samsara webhook payloads (see tests/samples/samsara), one struct per event type.

Both generations name their event in `eventType`, so one decoder of the union `Body`
picks the struct and validates it in a single pass:

- Webhooks 2.0: `eventId`, `eventTime` (ISO 8601), `eventType`, `orgId` (a number),
  `webhookId` (a string) and `data`, whose shape depends on the event (Samsara's
  developer docs publish one example per event).
- Webhooks 1.0: `eventId`, `eventMs` (epoch milliseconds, when Samsara sent it),
  `eventType` (always `Alert` or `Ping`) and `event`.

Only the 2.0 events whose `data` shape Samsara publishes have a struct here; any other
event type is told apart from a malformed body by `Envelope`. Every field but the ones
that define an event is optional, and unknown fields are ignored: Samsara marks most of
these events beta and adds fields to them.

Traps the structs absorb: the vehicle's VIN is `vin` in fault and geofence events and
`vehicleVin` in speeding events (both are read everywhere); `SevereSpeedingStarted` nests
its payload one level deeper, in `data.data` (a flat one is read too); J1939 `spn.id` and
`fmi.id` are strings in the examples and `troubleCode` a number (either is taken).
"""

from __future__ import annotations

from typing import Annotated, get_args

import msgspec

Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]
Id = str | int  # ids are strings in the examples; numbers are taken too and kept as text


class Payload(msgspec.Struct, kw_only=True, rename="camel", forbid_unknown_fields=False):
    """Base of every Samsara struct; fields are the camelCase names of the docs."""


# Parts --------------------------------------------------------------------------------


class Gateway(Payload, kw_only=True):
    """The Samsara device in the vehicle (`VG34`, ...)."""

    model: str | None = None
    serial: str | None = None


class Vehicle(Payload, kw_only=True):
    id: Id | None = None
    name: str | None = None
    license_plate: str | None = None
    vin: str | None = None  # fault and geofence events
    vehicle_vin: str | None = None  # speeding events
    asset_type: str | None = None
    gateway: Gateway | None = None

    def reported_vin(self) -> str | None:
        return self.vin or self.vehicle_vin


class CodeRef(Payload, kw_only=True):
    """A J1939 SPN or FMI: its number (a string in the examples) and its meaning."""

    id: Id | None = None
    description: str | None = None


class J1939(Payload, kw_only=True):
    spn: CodeRef | None = None
    fmi: CodeRef | None = None
    occurrence_count: int | None = None
    tx_id: Id | None = None
    vendor_dtc_description: str | None = None
    volvo_repair_instructions: str | None = None


class Oem(Payload, kw_only=True):
    code_identifier: str | None = None
    code_description: str | None = None
    code_severity: str | None = None
    code_source: str | None = None


class PassengerDtc(Payload, kw_only=True):
    short_code: str | None = None
    trouble_code: Id | None = None
    description: str | None = None


class Passenger(Payload, kw_only=True):
    dtc: PassengerDtc | None = None


class Fault(Payload, kw_only=True):
    """One engine fault, in up to three code systems: J1939, the OEM's, OBD-II."""

    j1939: J1939 | None = None
    oem: Oem | None = None
    passenger: Passenger | None = None


class Circle(Payload, kw_only=True):
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    radius_meters: float | None = None


class GeofenceShape(Payload, kw_only=True):
    circle: Circle | None = None
    # `polygon` and `settings` are not read: a polygon has no radius, and its vertices
    # describe the place, not where the vehicle was.


class Address(Payload, kw_only=True):
    """A Samsara address: the place a geofence surrounds."""

    id: Id | None = None
    name: str | None = None
    formatted_address: str | None = None
    geofence: GeofenceShape | None = None


class Speeding(Payload, kw_only=True):
    start_time: str | None = None
    trip_start_time: str | None = None
    severity_level: str | None = None  # Light, Moderate, Heavy, Severe
    vehicle: Vehicle | None = None


# `data` of each 2.0 event -----------------------------------------------------------------


class FaultData(Payload, kw_only=True):
    fault: Fault
    vehicle: Vehicle | None = None


class GeofenceData(Payload, kw_only=True):
    address: Address
    vehicle: Vehicle | None = None


class SevereSpeedingData(Speeding, kw_only=True):
    """Published nested one level deeper (`data.data`); a flat one is read as well."""

    data: Speeding | None = None

    def detail(self) -> Speeding:
        return self.data if self.data is not None else self


class GatewayUnpluggedGateway(Gateway, kw_only=True):
    vehicle: Vehicle | None = None


class GatewayData(Payload, kw_only=True):
    gateway: GatewayUnpluggedGateway


# Bodies --------------------------------------------------------------------------------


class Event(Payload, tag_field="eventType", kw_only=True):
    """What both generations have; `eventType` is the tag that selects the subclass."""

    event_id: str | None = None


class Event2(Event, kw_only=True):
    """A Webhooks 2.0 event."""

    event_time: str
    org_id: Id | None = None
    webhook_id: str | None = None


class EngineFaultOn(Event2, tag="EngineFaultOn", kw_only=True):
    data: FaultData


class EngineFaultOff(Event2, tag="EngineFaultOff", kw_only=True):
    data: FaultData


class GeofenceEntry(Event2, tag="GeofenceEntry", kw_only=True):
    data: GeofenceData


class GeofenceExit(Event2, tag="GeofenceExit", kw_only=True):
    data: GeofenceData


class SpeedingEventStarted(Event2, tag="SpeedingEventStarted", kw_only=True):
    data: Speeding


class SevereSpeedingStarted(Event2, tag="SevereSpeedingStarted", kw_only=True):
    data: SevereSpeedingData


class GatewayUnplugged(Event2, tag="GatewayUnplugged", kw_only=True):
    data: GatewayData


class Event1(Event, kw_only=True):
    """A Webhooks 1.0 event: `eventMs` is when Samsara sent it, in epoch milliseconds."""

    event_ms: int | None = None


class Alert1(Payload, kw_only=True):
    """A 1.0 alert: a condition in words, with no vehicle identifier or position."""

    alert_condition_id: str | None = None
    alert_condition_description: str | None = None
    alert_event_url: str | None = None
    details: str | None = None
    summary: str | None = None
    start_ms: int | None = None
    org_id: Id | None = None
    resolved: bool | None = None


class Alert(Event1, tag="Alert", kw_only=True):
    event: Alert1 | None = None


class Ping(Event1, tag="Ping", kw_only=True):
    """Samsara's test delivery; its `event`, if any, is not read."""


Body = (
    EngineFaultOn
    | EngineFaultOff
    | GeofenceEntry
    | GeofenceExit
    | SpeedingEventStarted
    | SevereSpeedingStarted
    | GatewayUnplugged
    | Alert
    | Ping
)


class Envelope(Payload, kw_only=True):
    """Just the event type, to tell an unsupported event from a malformed one."""

    event_type: str


BODY: msgspec.json.Decoder[Body] = msgspec.json.Decoder(Body)
ENVELOPE = msgspec.json.Decoder(Envelope)


def event_type(body: Event) -> str:
    """The `eventType` value the body was decoded by."""
    return str(type(body).__struct_config__.tag)


EVENTS: frozenset[str] = frozenset(str(cls.__struct_config__.tag) for cls in get_args(Body))
