"""Poison records and provider retries, through a real processor and the real broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.backlog import produce, raw, trip
from tests.support.runtime import events, processed, provision, read_to_end, start, trip_ids, until
from tests.support.samples import sample

pytestmark = pytest.mark.kafka
LAG = "fleetwire_processor_consumer_lag_records"


async def test_a_poison_record_is_dead_lettered_and_the_partition_moves_on(
    kafka: str, prefix: str, tmp_path: Path
) -> None:
    env = provision(prefix, tmp_path)
    raw_topic = f"{prefix}.raw.zubie"
    poison = raw(sample("zubie", "trip_over_speeding.invalid"))
    records = [raw(trip(n)) for n in range(20)] + [poison] + [raw(trip(n)) for n in range(20, 40)]
    await produce(raw_topic, records, partition=0)

    processor = start(env, tmp_path, "processor", "exactly-once")
    try:
        await until(lambda: processed(prefix, raw_topic), 30, "the partition to be processed")
        assert processor.metric("fleetwire_processor_dead_letters_total") == 1
        assert processor.consumed() == 41
        assert processor.produced() == 40
        assert processor.metric("fleetwire_processor_end_to_end_seconds_count") == 40
        assert processor.metric("fleetwire_processor_batch_seconds_count") >= 1
        await until(lambda: processor.metric(LAG) == 0, 5, "the lag to be reported as none")
        assert 'partition="0"' in processor.metrics_text()
    finally:
        assert processor.service.stop() == 0, processor.service.output()

    [dead] = await read_to_end(f"{prefix}.dlq.zubie")
    assert (dead.key, dead.value) == (poison.key, poison.value)
    headers = dict(dead.headers)
    assert headers["fleetwire-error-kind"] == b"invalid-json"
    assert (headers["fleetwire-original-partition"], headers["fleetwire-original-offset"]) == (
        b"0",
        b"20",
    )
    canonical = await read_to_end(f"{prefix}.canonical.trips")
    assert trip_ids(canonical) == {str(1_000_000 + n): 1 for n in range(40)}


async def test_the_same_delivery_twice_yields_one_canonical_event(
    kafka: str, prefix: str, tmp_path: Path
) -> None:
    env = provision(prefix, tmp_path)
    raw_topic = f"{prefix}.raw.zubie"
    body = trip(7, "trip_end")
    # Zubie has no delivery id: a retry is the same body, so the same key; the ingress
    # gives it a new request id and receive time.
    first, retry, later_retry = raw(body), raw(body), raw(body)
    elsewhere = raw(body, source="zubie-second")  # another subscription: another delivery
    await produce(raw_topic, [first, retry, elsewhere])

    processor = start(env, tmp_path, "processor", "exactly-once")
    try:
        await until(lambda: processed(prefix, raw_topic), 30, "the first deliveries")
        await produce(raw_topic, [later_retry])  # a retry after the first was committed
        await until(lambda: processed(prefix, raw_topic), 30, "the later retry")
        assert processor.metric("fleetwire_processor_duplicates_suppressed_total") == 2
    finally:
        assert processor.service.stop() == 0, processor.service.output()

    canonical = events(await read_to_end(f"{prefix}.canonical.trips"))
    assert sorted(e["source"] for e in canonical) == [
        "/fleetwire/zubie-main",
        "/fleetwire/zubie-second",
    ]
    assert {e["id"] for e in canonical if e["source"] == "/fleetwire/zubie-main"} == {
        first.expected_id()
    }


async def test_the_largest_body_the_ingress_takes_can_be_dead_lettered(
    kafka: str, prefix: str, tmp_path: Path
) -> None:
    # A dead letter carries the body whole: over the producer's default 1 MB request
    # limit, it would be refused on every retry and hold its partition for ever.
    env = provision(prefix, tmp_path)
    raw_topic = f"{prefix}.raw.zubie"
    huge = raw(b"[" * 1_048_576)  # FLEETWIRE_MAX_BODY_BYTES, the default
    await produce(raw_topic, [huge, raw(trip(1))], partition=0)

    processor = start(env, tmp_path, "processor", "at-least-once")
    try:
        await until(lambda: processed(prefix, raw_topic), 30, "the partition to be processed")
    finally:
        assert processor.service.stop() == 0, processor.service.output()

    [dead] = await read_to_end(f"{prefix}.dlq.zubie")
    assert dead.value == huge.value
    assert dict(dead.headers)["fleetwire-error-kind"] == b"invalid-json"
    assert len(await read_to_end(f"{prefix}.canonical.trips")) == 1
