"""A write Kafka refuses: retried with backoff, never committed past, never spinning."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from fleetwire import clients
from tests.support.backlog import produce, raw, trip
from tests.support.kafka import CONNECTION
from tests.support.runtime import processed, provision, read_to_end, start, trip_ids, until

pytestmark = pytest.mark.kafka


async def limit_record_size(topic: str, max_bytes: int) -> None:
    """Set the topic's record size limit, and return once the broker reports it: the
    controller answers the change before the broker applies it, and a processor started
    in between wrote its first batch under the old limit."""
    admin = clients.admin_client(CONNECTION)
    await admin.start()
    resource = ConfigResource(ConfigResourceType.TOPIC, topic)
    try:
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, {"max.message.bytes": str(max_bytes)})]
        )

        async def applied() -> bool:
            [response] = await admin.describe_configs([resource])
            [(_code, _message, _kind, _name, entries)] = response.resources
            return {e[0]: e[1] for e in entries}.get("max.message.bytes") == str(max_bytes)

        await until(applied, 15, f"the broker to apply max.message.bytes={max_bytes}")
    finally:
        await admin.close()


async def committed_anything(prefix: str) -> bool:
    admin = clients.admin_client(CONNECTION)
    await admin.start()
    try:
        return bool(await admin.list_consumer_group_offsets(f"{prefix}.processor"))
    finally:
        await admin.close()


def retry_delays(log: str) -> list[float]:
    return [float(d) for d in re.findall(r"batch not committed; retrying in ([0-9.]+)s", log)]


@pytest.mark.parametrize("mode", ["exactly-once", "at-least-once"])
async def test_a_refused_write_is_retried_with_backoff(
    kafka: str, prefix: str, tmp_path: Path, mode: str
) -> None:
    env = provision(prefix, tmp_path)
    raw_topic, canonical = f"{prefix}.raw.zubie", f"{prefix}.canonical.trips"
    await limit_record_size(canonical, 200)  # every canonical event is larger
    await produce(raw_topic, [raw(trip(n)) for n in range(30)], partition=0)

    processor = start(env, tmp_path, "processor", mode)
    try:
        await until(lambda: len(retry_delays(processor.service.output())) >= 3, 30, "a few retries")
        delays = retry_delays(processor.service.output())
        assert delays == sorted(delays)
        assert delays[0] < delays[-1]
        assert not await committed_anything(prefix)

        await limit_record_size(canonical, 1_048_588)  # the operator fixes the topic
        await until(lambda: processed(prefix, raw_topic), 30, "the partition to be processed")
    finally:
        assert processor.service.stop() == 0, processor.service.output()

    counts = trip_ids(await read_to_end(canonical))
    assert set(counts) == {str(1_000_000 + n) for n in range(30)}
    if mode == "exactly-once":
        assert max(counts.values()) == 1
