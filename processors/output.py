"""The pure step of processing: one raw Kafka record in, the records to write out.

A record becomes canonical events, or, if it cannot, one dead-letter record carrying
the raw body unchanged and the reason. Nothing here touches Kafka.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec
from aiokafka import TopicPartition

from fleetwire import envelope
from fleetwire.envelope import RawRecord
from fleetwire.errors import Ping, RejectedItems, RejectedRecord
from fleetwire.logs import record_ref
from fleetwire.topics import TopicNames
from processors import metrics, trace
from schemas.canonical import CLOUDEVENTS_CONTENT_TYPE, CanonicalEvent
from schemas.catalog import EVENT_TYPES, SCHEMA_BASE_URL

log = logging.getLogger(__name__)

_ENCODER = msgspec.json.Encoder()
_CLOUDEVENTS_CONTENT_TYPE = CLOUDEVENTS_CONTENT_TYPE.encode()
KafkaHeaders = list[tuple[str, bytes]]
# A provider's normalizer: one raw record in, its canonical events out. It raises
# RejectedRecord for what cannot be normalized and Ping for a test delivery.
Normalizer = Callable[[RawRecord], list[CanonicalEvent]]
MAX_REASON_CHARS = 1000


# msgspec structs rather than frozen dataclasses: a frozen dataclass's __init__ costs a
# microsecond per record, a struct's a tenth of that, and every record makes one of each.
class OutRecord(msgspec.Struct, frozen=True, kw_only=True):
    topic: str
    key: bytes
    value: bytes
    headers: KafkaHeaders
    event_type: str | None = None  # None for a dead letter
    error_kind: str | None = None
    # The raw record's trace context, kept only when spans are exported (fleetwire.otel).
    parent_context: str | None = None


class Consumed(Protocol):
    """What the processor needs of a consumed record of a known partition: aiokafka's
    ConsumerRecord has it, so the consume loop hands its records over without a copy."""

    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


class InRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A consumed record and where it was read."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


class Transformer:
    def __init__(
        self,
        topics: TopicNames,
        normalizers: Mapping[str, Normalizer],
        schema_base_url: str = SCHEMA_BASE_URL,
        keep_parent_context: bool = False,
    ) -> None:
        self._topics = topics
        self._keep_parent_context = keep_parent_context
        self._normalizers = normalizers
        # Normalizers build `dataschema` under the default base; only another base costs a
        # copy of each event.
        self._schema_base_url = None if schema_base_url == SCHEMA_BASE_URL else schema_base_url

    def transform(
        self,
        provider: str,
        message: InRecord | Consumed,
        raw: RawRecord | None = None,
        tp: TopicPartition | None = None,
    ) -> list[OutRecord]:
        """`raw`, if the caller made it already, is `message` as the normalizers see it;
        `tp` is where `message` was read, if it is a bare `Consumed`."""
        if raw is None:
            raw = RawRecord.from_kafka(provider, message.key, message.value, message.headers)
        try:
            events = self._normalizers[provider](raw)
        except Ping:
            metrics.PINGS.labels(provider).inc()
            return []
        except RejectedItems as exc:
            return self._partly(_located(message, tp), provider, raw, exc)
        except RejectedRecord as exc:
            return [self.dead_letter(_located(message, tp), provider, exc.kind, str(exc))]
        except Exception as exc:  # a normalizer bug must dead-letter, never stall a partition
            located = _located(message, tp)
            log.exception(
                "normalizer raised",
                extra={"provider": provider, "delivery_id": raw.key, "record": _ref(located)},
            )
            return [
                self.dead_letter(
                    located, provider, "internal-error", f"{type(exc).__name__}: {exc}"
                )
            ]
        return self._published(message, provider, raw, events, tp)

    def _published(
        self,
        message: InRecord | Consumed,
        provider: str,
        raw: RawRecord,
        events: Sequence[CanonicalEvent],
        tp: TopicPartition | None = None,
    ) -> list[OutRecord]:
        outputs = [self.canonical(ev) for ev in events]
        for ev, out in zip(events, outputs, strict=True):
            path = _has_long_digit_run(out.value) and _beyond_64_bits(
                msgspec.json.decode(out.value)
            )
            if path:
                reason = f"{ev.type}: {path.lstrip('.')} is an integer beyond 64 bits"
                return [
                    self.dead_letter(_located(message, tp), provider, "invalid-payload", reason)
                ]
        if self._keep_parent_context:
            parent = trace.of_record(raw.source, raw.key, raw.headers)
            return [msgspec.structs.replace(out, parent_context=parent) for out in outputs]
        return outputs

    def _partly(
        self, message: InRecord, provider: str, raw: RawRecord, exc: RejectedItems
    ) -> list[OutRecord]:
        """The good items' events, then one dead letter per bad item."""
        events = [ev for ev in exc.events if isinstance(ev, CanonicalEvent)]
        published = self._published(message, provider, raw, events) if events else []
        if any(out.event_type is None for out in published):
            return published  # the whole record was dead-lettered after all
        letters = [
            self.dead_letter(message, provider, rejected.kind, str(rejected), item=index)
            for index, rejected in exc.rejected
        ]
        return [*published, *letters]

    def canonical(self, event: CanonicalEvent) -> OutRecord:
        event_type = EVENT_TYPES[event.type]
        if self._schema_base_url is not None:
            event = msgspec.structs.replace(
                event, dataschema=f"{self._schema_base_url}{event_type.schema_file}"
            )
        return OutRecord(
            topic=self._topics.canonical(event_type.domain),
            key=event.subject.encode(),
            value=_ENCODER.encode(event),
            headers=[
                (envelope.CONTENT_TYPE, _CLOUDEVENTS_CONTENT_TYPE),
                (trace.HEADER, (event.traceparent or "").encode()),
            ],
            event_type=event.type,
        )

    def dead_letter(
        self, message: InRecord, provider: str, kind: str, reason: str, item: int | None = None
    ) -> OutRecord:
        """The raw record as a dead letter; `item`, if given, is the one bad item of a batch
        (a replayed record already naming its item keeps that name)."""
        failed_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        kept = envelope.without_dead_letter(message.headers)
        if item is not None:
            kept = [*((k, v) for k, v in kept if k != envelope.ITEM), envelope.item(item)]
        headers = envelope.dead_letter_headers(
            _with_context(kept, _record_context(message, provider).encode()),
            kind=kind,
            reason=reason[:MAX_REASON_CHARS],
            failed_at=failed_at,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
        )
        log.warning(
            "dead-lettered: %s: %s",
            kind,
            reason[:200],
            extra={"provider": provider, "record": _ref(message)},
        )
        return OutRecord(
            topic=self._topics.dead_letter(provider),
            key=message.key or b"",
            value=message.value or b"",
            headers=headers,
            error_kind=kind,
        )


# Provider structs pass integers of any size through (msgspec reads them all), but
# most consumers of the canonical topics (JSON Schema int64, Java long, JavaScript)
# cannot. 2**63 has 19 digits: only an event with a run of 20 is looked at in detail.
# Mapping every digit to "0" and everything else to " " and then looking for twenty "0"s
# is ten times cheaper than the regular expression `\d{20}`, which every event pays.
_DIGITS_AS_ZEROS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_RUN = b"0" * 20
_INT64 = 1 << 63


def _has_long_digit_run(value: bytes) -> bool:
    return _LONG_RUN in value.translate(_DIGITS_AS_ZEROS)


def _beyond_64_bits(value: Any, path: str = "") -> str | None:
    """The path of the first integer in `value` that does not fit in 64 bits, if any."""
    if isinstance(value, int) and not isinstance(value, bool):
        return None if -_INT64 <= value < _INT64 else path
    if isinstance(value, dict):
        items = [(f"{path}.{key}", item) for key, item in value.items()]
    elif isinstance(value, list):
        items = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
    else:
        return None
    for where, item in items:
        found = _beyond_64_bits(item, where)
        if found:
            return found
    return None


def _located(message: InRecord | Consumed, tp: TopicPartition | None) -> InRecord:
    """Only a dead letter needs to say where its record was read: only it pays the copy."""
    if isinstance(message, InRecord):
        return message
    assert tp is not None, "a bare consumed record needs its topic partition"
    return InRecord(
        topic=tp.topic,
        partition=tp.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        headers=message.headers,
    )


def _with_context(headers: KafkaHeaders, context: bytes) -> KafkaHeaders:
    """`headers` with `traceparent` set to `context`: in its place, or added at the end."""
    if any(name == trace.HEADER for name, _ in headers):
        return [(name, context if name == trace.HEADER else v) for name, v in headers]
    return [*headers, (trace.HEADER, context)]


def _record_context(message: InRecord, provider: str) -> str:
    """The record's own trace context if valid, else the one the processors derive."""
    raw = RawRecord.from_kafka(provider, message.key, message.value, message.headers)
    return trace.of_record(raw.source, raw.key, raw.headers)


def _ref(message: InRecord) -> str:
    return record_ref(message.topic, message.partition, message.offset)
