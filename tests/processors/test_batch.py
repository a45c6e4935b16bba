"""Planning one partition's batch: outputs, offsets and which deliveries are repeats."""

from __future__ import annotations

import json
from dataclasses import dataclass

from aiokafka import TopicPartition

from fleetwire.topics import TopicNames
from processors.batch import delivery_key, plan
from processors.dedup import DedupWindow
from processors.output import Transformer
from tests.support.backlog import Raw, raw, trip
from tests.support.providers import NORMALIZERS
from tests.support.samples import sample

TOPICS = TopicNames("p")
TP = TopicPartition(TOPICS.raw("zubie"), 0)
TRANSFORMER = Transformer(TOPICS, NORMALIZERS)


@dataclass
class Message:
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


def messages(*records: Raw, start: int = 10) -> list[Message]:
    return [Message(start + i, r.key, r.value, r.headers) for i, r in enumerate(records)]


def trip_ids(outputs: list) -> list[str]:  # type: ignore[type-arg]
    return [json.loads(o.value)["data"]["trip"]["id"] for o in outputs if o.event_type]


def test_a_batch_commits_past_its_last_record_and_counts_it() -> None:
    batch = plan(TRANSFORMER, DedupWindow(10), "zubie", TP, messages(raw(trip(1)), raw(trip(2))))
    assert batch.next_offset == 12
    assert batch.consumed == 2
    assert trip_ids(batch.outputs) == ["1000001", "1000002"]
    assert batch.duplicates == 0
    assert len(batch.received_at) == 2


def test_a_retry_in_the_same_batch_is_suppressed() -> None:
    first, retry = raw(trip(1)), raw(trip(1))  # same body: same key, new request id
    assert first.headers != retry.headers
    batch = plan(TRANSFORMER, DedupWindow(10), "zubie", TP, messages(first, retry))
    assert trip_ids(batch.outputs) == ["1000001"]
    assert batch.duplicates == 1
    assert batch.next_offset == 12  # the repeat is committed past all the same


def test_a_retry_of_a_delivery_in_the_window_is_suppressed() -> None:
    window = DedupWindow(10)
    first = plan(TRANSFORMER, window, "zubie", TP, messages(raw(trip(1))))
    window.remember(first.delivered)  # as the worker does once the batch is committed
    again = plan(TRANSFORMER, window, "zubie", TP, messages(raw(trip(1)), start=11))
    assert again.outputs == []
    assert again.duplicates == 1


def test_a_delivery_not_yet_committed_is_not_suppressed() -> None:
    window = DedupWindow(10)
    plan(TRANSFORMER, window, "zubie", TP, messages(raw(trip(1))))  # never committed
    again = plan(TRANSFORMER, window, "zubie", TP, messages(raw(trip(1))))
    assert trip_ids(again.outputs) == ["1000001"]


def test_the_same_body_from_two_sources_is_two_deliveries() -> None:
    body = trip(1)
    batch = plan(
        TRANSFORMER,
        DedupWindow(10),
        "zubie",
        TP,
        messages(raw(body, source="zubie-main"), raw(body, source="zubie-second")),
    )
    events = [json.loads(o.value) for o in batch.outputs]
    assert [e["source"] for e in events] == ["/fleetwire/zubie-main", "/fleetwire/zubie-second"]
    assert events[0]["id"] != events[1]["id"]
    assert batch.duplicates == 0


def test_a_dead_lettered_delivery_is_not_remembered() -> None:
    poison = raw(sample("zubie", "trip_over_speeding.invalid"))
    window = DedupWindow(10)
    first = plan(TRANSFORMER, window, "zubie", TP, messages(poison, poison))
    assert [o.error_kind for o in first.outputs] == ["invalid-json", "invalid-json"]
    assert first.delivered == []
    assert first.received_at == []


def test_a_record_without_a_key_is_never_suppressed() -> None:
    body = trip(1)
    keyless = Raw(b"", body, raw(body).headers)
    assert delivery_key(TP.topic, b"", {"fleetwire-source": "zubie-main"}) is None
    batch = plan(TRANSFORMER, DedupWindow(10), "zubie", TP, messages(keyless, keyless))
    assert len(trip_ids(batch.outputs)) == 2
