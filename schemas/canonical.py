"""The canonical event: a CloudEvents 1.0 envelope around one frozen `data` struct per type.

Canonical structs are frozen and evolve only by adding fields with defaults, so that a
reader built against an older schema keeps working.
"""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

import msgspec

SPEC_VERSION = "1.0"
DATA_CONTENT_TYPE = "application/json"
CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"


class Canonical(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=False):
    """Base of every canonical struct."""


class Vehicle(Canonical, frozen=True, kw_only=True):
    """Every identifier the provider reported for the vehicle (or the trailer, or charger).

    `vin` is the reported VIN, trimmed and uppercased; `vin_valid` says whether it passed
    the VIN rule and therefore became the event's subject.
    """

    vin: str | None = None
    vin_valid: bool = False
    provider_id: str | None = None
    provider_key: str | None = None
    name: str | None = None
    make: str | None = None
    model: str | None = None
    year: int | None = None
    device_id: str | None = None
    asset_id: str | None = None
    sensor_vin: str | None = None  # a VIN as a sensor reports it: kept, never the subject
    registration: str | None = None


class Location(Canonical, frozen=True, kw_only=True):
    """A position in decimal degrees, with what the provider reported along with it.

    `heading_deg` is the heading in degrees as the provider reports it; `speed_kmh` is the
    speed there, in km/h.
    """

    latitude: float
    longitude: float
    address: str | None = None
    heading_deg: float | None = None
    speed_kmh: float | None = None


class EventData(Canonical, frozen=True, kw_only=True):
    """Base of every `data` struct: the vehicle is always there, if only as empty ids."""

    vehicle: Vehicle


DataT = TypeVar("DataT")


class Envelope(msgspec.Struct, Generic[DataT], frozen=True, kw_only=True):
    """The CloudEvents 1.0 envelope in structured JSON mode, generic in its `data`.

    Readers decode `Envelope[SomeData]` for the type they see (the client does); the
    processors build `CanonicalEvent`. `traceparent` is the CloudEvents Distributed Tracing
    extension: the W3C trace context of this event, a child of the webhook's.
    """

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str
    type: str
    time: str
    subject: str
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str
    provider: str
    providereventtype: str
    receivedtime: str
    data: DataT
    traceparent: str | None = None


class CanonicalEvent(Envelope[EventData], frozen=True, kw_only=True):
    """A canonical event as the processors build it."""
