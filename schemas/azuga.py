"""Azuga webhook payloads (see tests/samples/azuga).

Azuga names the kind of message in `messageType` and sends other message types with
other shapes, so the envelope is read first and the message decoded by its own struct.
Field names are camelCase on the wire. Times are epoch milliseconds as numbers.

Azuga's document does not say which fields are required. Required here is what the event
means nothing without: `messageType`, `action`, `eventInfo.eventTime` and
`eventInfo.driverId`; the vehicle id `entityId` is checked when the subject is chosen.
Unknown fields are ignored. The UUIDs are not validated as UUIDs (the document's own
examples are not well-formed ones).
"""

from __future__ import annotations

import msgspec


class Payload(msgspec.Struct, kw_only=True, forbid_unknown_fields=False, rename="camel"):
    """Base of every Azuga struct."""


class Envelope(Payload, kw_only=True):
    message_type: str


class PairingInfo(Payload, kw_only=True):
    driver_id: str
    action_by: str | None = None  # the user or system that caused the event
    name: str | None = None  # the driver's name; null in the document's example
    event_time: float  # epoch ms: when the pairing happened


class VehiclePairing(Payload, kw_only=True):
    """`messageType` VEHICLE_PAIRING: a driver's beacon came into (Pair) or out of (Unpair)
    range of a vehicle."""

    message_type: str
    event_info: PairingInfo
    action: str  # Pair | Unpair
    entity_id: str | None = None  # the vehicle
    entity_name: str | None = None  # the vehicle's name
    customer_id: int | str | None = None
    time: float | None = None  # epoch ms: when the message was built (may precede eventTime)


ENVELOPE = msgspec.json.Decoder(Envelope)
VEHICLE_PAIRING = msgspec.json.Decoder(VehiclePairing)
