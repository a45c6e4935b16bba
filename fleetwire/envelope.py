"""The raw record's envelope: what surrounds a provider's body on its way through Kafka.

The ingress (or a poller) writes a body byte for byte with these headers; the processors
read them back into a `RawRecord`; a dead letter keeps them and adds its own; replay
strips the dead-letter ones again. Every header name of a raw or dead-lettered record is
spelled here and nowhere else, so the two sides of the topic cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache

import msgspec

from fleetwire import traceparent

KafkaHeaders = list[tuple[str, bytes]]

# The raw record ------------------------------------------------------------------------

SOURCE = "fleetwire-source"
PROVIDER = "fleetwire-provider"
RECEIVED_AT = "fleetwire-received-at"
REQUEST_ID = "fleetwire-request-id"
CONTENT_TYPE = "content-type"
TRACEPARENT = traceparent.HEADER

# What each header says, for the AsyncAPI document; a provider's own delivery headers
# (`svix-id`, ...) follow these on the record.
RAW_HEADERS: dict[str, str] = {
    SOURCE: "the source (webhook subscription or pull source) the body arrived through",
    PROVIDER: "the provider of that source",
    RECEIVED_AT: "when fleetwire received the body, RFC 3339 UTC",
    REQUEST_ID: "fleetwire's id of the HTTP request or poll, as in its logs",
    CONTENT_TYPE: "the body's Content-Type",
    TRACEPARENT: "W3C trace context: the provider's, continued, or one fleetwire started",
}


@cache
def identity(source: str, provider: str) -> tuple[tuple[str, bytes], tuple[str, bytes]]:
    """The source and provider headers, built once per source."""
    return (SOURCE, source.encode()), (PROVIDER, provider.encode())


def raw_headers(
    source: str,
    provider: str,
    *,
    received_at: bytes,
    request_id: str,
    content_type: bytes,
    trace: tuple[str, bytes],
    delivery: Iterable[tuple[str, bytes]] = (),
) -> KafkaHeaders:
    """The headers of a raw record; `delivery` are the provider's own, lowercase names."""
    headers = [
        *identity(source, provider),
        (RECEIVED_AT, received_at),
        (REQUEST_ID, request_id.encode()),
        (CONTENT_TYPE, content_type),
        trace,
    ]
    headers.extend(delivery)
    return headers


class RawRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A raw record as the processors see it: the body plus what its writer recorded."""

    provider: str
    source: str
    key: str  # the delivery id (or the body's SHA-256), the same on every retry
    body: bytes
    headers: Mapping[str, str]  # lowercase names
    received_at: str

    @classmethod
    def from_kafka(
        cls,
        provider: str,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]],
    ) -> RawRecord:
        names = {name.lower(): raw.decode("utf-8", "replace") for name, raw in headers}
        return cls(
            provider=names.get(PROVIDER, provider),
            source=names.get(SOURCE, provider),
            key=(key or b"").decode("utf-8", "replace"),
            body=value or b"",
            headers=names,
            received_at=names.get(RECEIVED_AT, ""),
        )


# The dead letter -----------------------------------------------------------------------

ERROR_KIND = "fleetwire-error-kind"
ERROR = "fleetwire-error"
FAILED_AT = "fleetwire-failed-at"
ORIGINAL_TOPIC = "fleetwire-original-topic"
ORIGINAL_PARTITION = "fleetwire-original-partition"
ORIGINAL_OFFSET = "fleetwire-original-offset"
REPLAY_OF = "fleetwire-replay-of"  # on a raw record that replay sent again

DEAD_LETTER_HEADERS: dict[str, str] = {
    ERROR_KIND: "why it failed, one word: invalid-json, invalid-payload, "
    "unsupported-event, invalid-time, too-large, no-subject, internal-error",
    ERROR: "why it failed, for a person: names the field at fault",
    FAILED_AT: "when the processor dead-lettered it, RFC 3339 UTC",
    ORIGINAL_TOPIC: "the raw topic it was read from",
    ORIGINAL_PARTITION: "its partition there",
    ORIGINAL_OFFSET: "its offset there",
}
_ADDED_BY_REPLAY = frozenset({*DEAD_LETTER_HEADERS, REPLAY_OF})

# On the dead letter of one bad item of a batch, and kept on its replay, which then
# normalizes that item alone (processors/fanout.py). Not a dead-letter header: replay
# must not strip it.
ITEM = "fleetwire-item"
ITEM_DESCRIPTION = (
    "on the dead letter of one bad item of a batch only (and on its replay): the item's "
    "position in the batch, from 0; the processors then normalize that item alone"
)


def item(position: int) -> tuple[str, bytes]:
    """The header naming one item of a batch."""
    return ITEM, str(position).encode()


def without_dead_letter(headers: Iterable[tuple[str, bytes]]) -> KafkaHeaders:
    """A record's headers less those of an earlier dead letter (a replay failing again)."""
    return [(name, value) for name, value in headers if name not in DEAD_LETTER_HEADERS]


def for_replay(headers: Iterable[tuple[str, bytes]], dead_letter_ref: str) -> KafkaHeaders:
    """A dead letter's raw-record headers again, marked as a replay of that dead letter."""
    kept = [(name, value) for name, value in headers if name not in _ADDED_BY_REPLAY]
    return [*kept, (REPLAY_OF, dead_letter_ref.encode())]


def dead_letter_headers(
    kept: Iterable[tuple[str, bytes]],
    *,
    kind: str,
    reason: str,
    failed_at: str,
    topic: str,
    partition: int,
    offset: int,
) -> KafkaHeaders:
    """A dead letter's headers: `kept` (see `without_dead_letter`) and why and where it failed."""
    return [
        *kept,
        (ERROR_KIND, kind.encode()),
        (ERROR, reason.encode()),
        (FAILED_AT, failed_at.encode()),
        (ORIGINAL_TOPIC, topic.encode()),
        (ORIGINAL_PARTITION, str(partition).encode()),
        (ORIGINAL_OFFSET, str(offset).encode()),
    ]


def header(headers: Iterable[tuple[str, bytes]], name: str) -> str | None:
    """One header's value as text, or None if the record has no such header."""
    for key, value in headers:
        if key == name:
            return value.decode("utf-8", "replace")
    return None
