"""The end-to-end phase's reader: when does each marked canonical event become readable?

Runs in its own process so that the sender's work does not delay what it observes.
Reads the canonical topics with read_committed from their current end and writes one
line `INDEX UNIX_TIME` per marked event it sees. Prints READY once positioned.

    python -m bench.reader --bootstrap HOST:PORT --run-id ID --out FILE TOPIC...
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from pathlib import Path

import uvloop
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.broker import connection
from bench.payloads import find_marker
from fleetwire import clients


async def read(bootstrap: str, topics: list[str], run_id: str, out: Path) -> None:
    consumer = clients.consumer(
        connection(bootstrap),
        isolation_level="read_committed",
        enable_auto_commit=False,
        fetch_max_wait_ms=50,
    )
    await consumer.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        partitions = [
            TopicPartition(topic, number)
            for topic in topics
            for number in sorted(await _partitions(consumer, topic))
        ]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for tp in partitions:
            await consumer.position(tp)
        print("READY", flush=True)
        with out.open("w", encoding="utf-8") as sink:
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=100)
                seen = time.time()
                for messages in batch.values():
                    for message in messages:
                        index = find_marker(message.value or b"", run_id)
                        if index is not None:
                            sink.write(f"{index} {seen:.6f}\n")
                sink.flush()
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    for _ in range(50):
        await consumer._client.force_metadata_update()
        found = consumer.partitions_for_topic(topic)
        if found:
            return set(found)
        await asyncio.sleep(0.2)
    raise SystemExit(f"topic {topic} has no partitions")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reader")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("topics", nargs="+")
    args = parser.parse_args()
    uvloop.run(read(args.bootstrap, args.topics, args.run_id, args.out))
    sys.exit(0)


if __name__ == "__main__":
    main()
