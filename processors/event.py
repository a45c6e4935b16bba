"""Building canonical events: deterministic ids, the subject rule and the envelope."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection
from typing import TypeVar

import msgspec

from fleetwire.envelope import RawRecord
from fleetwire.errors import RejectedRecord
from processors import trace
from processors.vin import clean_vin, is_valid_vin
from schemas.canonical import CanonicalEvent, EventData, Vehicle
from schemas.catalog import EVENT_TYPES, SCHEMA_BASE_URL

# Fixed namespace: ids must stay the same across releases for the same delivery.
ID_NAMESPACE = uuid.UUID("6f1c2d8e-4b7a-5e3f-9a0d-2c6b8e1f4a57")
_NAMESPACE_BYTES = ID_NAMESPACE.bytes

T = TypeVar("T")


def event_id(record: RawRecord, index: int) -> str:
    """The same delivery (same source and delivery id) and position give the same id.

    This is `str(uuid.uuid5(ID_NAMESPACE, name))` written out (RFC 4122, section 4.3):
    the UUID object in between cost more than the hash itself. The version and variant
    bits are set in the hex text (one character each), not in a copy of the digest.
    """
    name = f"{record.source}\x1f{record.key}\x1f{index}".encode()
    # SHA-1 is what UUID version 5 is defined over; it names, it does not protect.
    h = hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


# The variant's top two bits are 10: the hex digit keeps its low two bits under an 8.
_VARIANT = {digit: "89ab"[int(digit, 16) & 0b11] for digit in "0123456789abcdef"}


def vehicle(vin: str | None = None, **ids: str | int | None) -> Vehicle:
    """A Vehicle with the VIN cleaned and judged by the VIN rule; other ids as given."""
    cleaned = clean_vin(vin)
    return Vehicle(vin=cleaned, vin_valid=is_valid_vin(cleaned), **ids)  # type: ignore[arg-type]


def subject(provider: str, vehicle: Vehicle, kind: str, fallback_id: str | None) -> str:
    """`vin:{VIN}` when the VIN is valid, else `{provider}:{kind}:{id}`."""
    if vehicle.vin_valid and vehicle.vin:
        return f"vin:{vehicle.vin}"
    if fallback_id:
        return f"{provider}:{kind}:{fallback_id}"
    raise RejectedRecord("no-subject", f"neither a valid VIN nor a {kind} id to key the event by")


def build(
    record: RawRecord,
    *,
    index: int,
    ce_type: str,
    time: str,
    subject: str,
    provider_event_type: str,
    data: EventData,
    schema_base_url: str = SCHEMA_BASE_URL,
) -> CanonicalEvent:
    event_type = EVENT_TYPES[ce_type]
    if not isinstance(data, event_type.data):
        raise TypeError(f"{ce_type} carries {event_type.data.__name__}, not {type(data).__name__}")
    ce_id = event_id(record, index)
    context = trace.of_record(record.source, record.key, record.headers)
    return CanonicalEvent(
        id=ce_id,
        source=f"/fleetwire/{record.source}",
        type=ce_type,
        time=time,
        subject=subject,
        dataschema=f"{schema_base_url}{event_type.schema_file}",
        provider=record.provider,
        providereventtype=provider_event_type,
        receivedtime=record.received_at,
        data=data,
        traceparent=trace.of_event(context, ce_id),
    )


# What decoding a body can raise: msgspec reports invalid UTF-8 inside a JSON string as a
# UnicodeDecodeError, not as a DecodeError, and JSON nested deeper than the interpreter's
# recursion limit (a body of 100 000 `[`, say) as a RecursionError.
DECODE_ERRORS = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)
DecodeFailure = msgspec.DecodeError | UnicodeDecodeError | RecursionError


def unsupported(what: str, name: str, not_mapped_yet: Collection[str] = ()) -> RejectedRecord:
    """The dead letter of an event fleetwire does not map: `what` names it for a person
    ("enode event"). One the provider names but publishes no payload for says so, so
    that an operator knows a replay will map it once a mapping lands."""
    if name in not_mapped_yet:
        return RejectedRecord(
            "unsupported-event",
            f"{what} {name!r} is not mapped yet: its provider publishes no payload for it; "
            "replay once a mapping lands",
        )
    return RejectedRecord("unsupported-event", f"{what} {name!r} is not supported")


def decode_error(exc: DecodeFailure, body: bytes, what: str) -> RejectedRecord:
    """A dead-letter reason from a msgspec error, which names the field path at fault.

    msgspec validates while it parses, so a syntax error late in a body can surface as a
    type error first; the body is re-checked as plain JSON to name the real problem.
    msgspec reports a string that is not UTF-8 as UnicodeDecodeError, not DecodeError.
    """
    try:
        msgspec.json.decode(body)
    except DECODE_ERRORS as syntax:
        return RejectedRecord("invalid-json", f"{what} is not valid JSON: {syntax}")
    return RejectedRecord("invalid-payload", f"{what}: {exc}")


def decode(decoder: msgspec.json.Decoder[T], body: bytes | msgspec.Raw, what: str) -> T:
    """Decode with a prebuilt decoder; a failure becomes a dead-letter reason naming `what`."""
    try:
        return decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise decode_error(exc, bytes(body), what) from None
    except (UnicodeDecodeError, RecursionError) as exc:  # JSON text must be UTF-8 (RFC 8259)
        raise RejectedRecord("invalid-json", f"{what} is not valid JSON: {exc}") from None
