"""Smartcar webhook payloads, v4 and the older variants (see tests/samples/smartcar).

Routing is on `eventType` (`VEHICLE_STATE`, `VEHICLE_ERROR`, `VERIFY`), or on the legacy
v2 `eventName` (`verify`). Older variants still read: `triggers` at the top level as
`{type: SIGNAL_UPDATED, signal}`, the envelope `meta` nested in `data`, a signal's
`meta.retrievedAt` instead of `fetchedAt`, and `deliveredAt` as epoch milliseconds, epoch
seconds or an ISO string. Signal times are epoch milliseconds. Smartcar documents few
fields as required; `eventId`, `eventType`, `data` and the list each event carries
(`signals`, `errors`) are required here, everything else optional; unknown fields are
ignored.
"""

from __future__ import annotations

from typing import Any

import msgspec

Number = int | float
Timestamp = int | float | str


class Payload(msgspec.Struct, kw_only=True, rename="camel", forbid_unknown_fields=False):
    """Base of every Smartcar struct; fields are the camelCase names Smartcar sends."""


class Envelope(Payload, kw_only=True):
    """Just enough to route: v4 bodies have `eventType`, the legacy v2 `eventName`."""

    event_type: str | None = None
    event_name: str | None = None


class Meta(Payload, kw_only=True):
    """The delivery's envelope meta (top-level in v4, inside `data` in older payloads)."""

    version: str | Number | None = None
    delivery_id: str | None = None
    delivered_at: Timestamp | None = None  # epoch ms, epoch s or ISO 8601
    webhook_id: str | None = None
    webhook_name: str | None = None
    signal_count: int | None = None
    mode: str | None = None  # LIVE or TEST


class UserRef(Payload, kw_only=True):
    id: str | None = None


class VehicleRef(Payload, kw_only=True):
    id: str | None = None
    make: str | None = None
    model: str | None = None
    year: int | None = None
    vin: str | None = None  # sometimes present


class SignalRef(Payload, kw_only=True):
    code: str
    name: str | None = None
    group: str | None = None


class SignalMeta(Payload, kw_only=True):
    oem_updated_at: Number | None = None  # epoch ms: when the vehicle recorded it
    fetched_at: Number | None = None  # epoch ms: when Smartcar fetched it
    retrieved_at: Number | None = None  # older name of fetched_at


class SignalErrorDetail(Payload, kw_only=True):
    code: str | None = None
    type: str | None = None


class SignalStatus(Payload, kw_only=True):
    error: SignalErrorDetail | None = None


class Signal(SignalRef, kw_only=True):
    """A signal with its `body` (e.g. `{value, unit}`), or `status.error` in its place."""

    body: dict[str, Any] | None = None
    status: SignalStatus | None = None
    meta: SignalMeta | None = None


class Trigger(Payload, kw_only=True):
    """Current shape: the signal that changed, or `code` `FIRST_DELIVERY`."""

    code: str
    name: str | None = None
    group: str | None = None


class LegacyTrigger(Payload, kw_only=True):
    """Older shape, at the top level: `{type: SIGNAL_UPDATED, signal: {...}}`."""

    type: str
    signal: SignalRef | None = None


class Data(Payload, kw_only=True):
    user: UserRef | None = None
    vehicle: VehicleRef | None = None
    meta: Meta | None = None  # older payloads nest the envelope meta here


class StateData(Data, kw_only=True):
    signals: list[Signal]
    triggers: list[Trigger] | None = None


class Resolution(Payload, kw_only=True):
    type: str | None = None


class Error(Payload, kw_only=True):
    type: str | None = None
    code: str | None = None  # may be null
    state: str  # ERROR or RESOLVED
    description: str | None = None
    suggested_user_message: str | None = None
    doc_url: str | None = msgspec.field(default=None, name="docURL")
    resolution: Resolution | None = None
    signals: list[SignalRef | str] | None = None  # element shape not documented


class ErrorData(Data, kw_only=True):
    errors: list[Error]


class Event(Payload, kw_only=True):
    event_id: str
    event_type: str
    vehicle_id: str | None = None
    meta: Meta | None = None


class VehicleState(Event, kw_only=True):
    data: StateData
    triggers: list[LegacyTrigger] | None = None


class VehicleError(Event, kw_only=True):
    data: ErrorData


ENVELOPE = msgspec.json.Decoder(Envelope)
VEHICLE_STATE = msgspec.json.Decoder(VehicleState)
VEHICLE_ERROR = msgspec.json.Decoder(VehicleError)
