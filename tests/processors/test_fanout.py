"""One dead letter per bad item of a batch, and a replay of it that yields that item only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition

from fleetwire.envelope import ITEM as ITEM_HEADER
from fleetwire.topics import TopicNames
from processors.batch import plan
from processors.dead_letter import DeadLetter
from processors.dedup import DedupWindow
from processors.output import InRecord, OutRecord, Transformer
from tests.support.providers import NORMALIZERS

TOPICS = TopicNames("f")
TRANSFORMER = Transformer(TOPICS, NORMALIZERS)
RAW_TOPIC = TOPICS.raw("enode")


def updated(vehicle_id: str, battery: Any = 50) -> dict[str, Any]:
    return {
        "event": "user:vehicle:updated",
        "createdAt": "2025-03-01T10:00:00Z",
        "version": "2024-10-01",
        "user": {"id": "u1"},
        "vehicle": {"id": vehicle_id, "chargeState": {"batteryLevel": battery}},
    }


GOOD_BAD_GOOD = json.dumps(
    [updated("v0"), updated("v1", battery="full"), {"event": "user:charger:updated"}, updated("v3")]
).encode()


def delivery(body: bytes, headers: list[tuple[str, bytes]] | None = None) -> InRecord:
    return InRecord(
        topic=RAW_TOPIC,
        partition=0,
        offset=5,
        key=b"delivery-1",
        value=body,
        headers=[
            ("fleetwire-source", b"enode"),
            ("fleetwire-provider", b"enode"),
            ("fleetwire-received-at", b"2025-03-01T10:00:01.000Z"),
            *(headers or []),
        ],
    )


def vehicles(outputs: list[OutRecord]) -> list[str]:
    return [json.loads(o.value)["data"]["vehicle"]["provider_id"] for o in outputs if o.event_type]


def letters(outputs: list[OutRecord]) -> list[dict[str, bytes]]:
    return [dict(o.headers) for o in outputs if o.event_type is None]


def as_dead_letter(out: OutRecord, offset: int) -> DeadLetter:
    return DeadLetter(out.topic, 0, offset, out.key, out.value, out.headers)


def test_the_good_items_are_published_and_each_bad_one_dead_lettered_alone() -> None:
    outputs = TRANSFORMER.transform("enode", delivery(GOOD_BAD_GOOD))
    assert vehicles(outputs) == ["v0", "v3"]
    found = letters(outputs)
    assert [(h[ITEM_HEADER], h["fleetwire-error-kind"]) for h in found] == [
        (b"1", b"invalid-payload"),
        (b"2", b"unsupported-event"),
    ]
    assert b"enode batch[1]" in found[0]["fleetwire-error"]
    assert b"'user:charger:updated' is not mapped yet" in found[1]["fleetwire-error"]
    dead = [o for o in outputs if o.event_type is None]
    assert {(o.topic, o.key, o.value) for o in dead} == {
        (TOPICS.dead_letter("enode"), b"delivery-1", GOOD_BAD_GOOD)
    }


def test_a_replayed_item_yields_that_item_alone_with_the_id_it_would_have_had() -> None:
    fixed_later = json.dumps([updated("v0"), updated("v1"), {}, updated("v3")]).encode()
    first = TRANSFORMER.transform("enode", delivery(GOOD_BAD_GOOD))
    letter = as_dead_letter(next(o for o in first if o.event_type is None), offset=0)
    replayed = letter.replay_headers()
    assert (ITEM_HEADER, b"1") in replayed

    # The same body replayed with a normalizer that accepts it now (here: a fixed body
    # stands in for the fixed normalizer) yields item 1 only.
    again = TRANSFORMER.transform("enode", delivery(fixed_later, replayed))
    assert vehicles(again) == ["v1"]
    everything = TRANSFORMER.transform("enode", delivery(fixed_later))
    assert json.loads(again[0].value)["id"] == json.loads(everything[1].value)["id"]


def test_a_replayed_item_that_fails_again_names_its_item_once() -> None:
    first = TRANSFORMER.transform("enode", delivery(GOOD_BAD_GOOD))
    letter = as_dead_letter(next(o for o in first if o.event_type is None), offset=0)
    again = TRANSFORMER.transform("enode", delivery(GOOD_BAD_GOOD, letter.replay_headers()))
    assert vehicles(again) == []
    [headers] = [o.headers for o in again]
    assert [value for name, value in headers if name == ITEM_HEADER] == [b"1"]


def test_an_item_header_naming_no_item_dead_letters_the_record() -> None:
    outputs = TRANSFORMER.transform("enode", delivery(GOOD_BAD_GOOD, [(ITEM_HEADER, b"9")]))
    [letter] = letters(outputs)
    assert letter["fleetwire-error-kind"] == b"invalid-payload"
    assert letter[ITEM_HEADER] == b"9"  # kept: the record as it was


@dataclass
class Message:
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


def test_a_partly_dead_lettered_delivery_is_not_remembered_as_done() -> None:
    """Otherwise the replay of its bad items would be suppressed as a repeat."""
    record = delivery(GOOD_BAD_GOOD)
    message = Message(5, record.key, record.value, list(record.headers))
    batch = plan(TRANSFORMER, DedupWindow(10), "enode", TopicPartition(RAW_TOPIC, 0), [message])
    assert vehicles(batch.outputs) == ["v0", "v3"]
    assert len(letters(batch.outputs)) == 2
    assert batch.delivered == []


def test_two_replayed_items_of_one_delivery_are_not_repeats_of_each_other() -> None:
    """Replayed together after a fix, both bad items of one batch are published."""
    fixed = json.dumps([updated("v0"), updated("v1"), updated("v2"), updated("v3")]).encode()
    first = TRANSFORMER.transform("enode", delivery(GOOD_BAD_GOOD))
    dead = [o for o in first if o.event_type is None]
    replays = [
        Message(10 + i, o.key, fixed, as_dead_letter(o, offset=i).replay_headers())
        for i, o in enumerate(dead)
    ]
    window = DedupWindow(10)
    batch = plan(TRANSFORMER, window, "enode", TopicPartition(RAW_TOPIC, 0), replays)
    assert vehicles(batch.outputs) == ["v1", "v2"]
    assert batch.duplicates == 0
    window.remember(batch.delivered)
    again = plan(TRANSFORMER, window, "enode", TopicPartition(RAW_TOPIC, 0), replays)
    assert (vehicles(again.outputs), again.duplicates) == ([], 2)  # a second replay: repeats
