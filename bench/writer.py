"""The raw writer alone: CPU per record of `RawPublisher.publish`, without HTTP.

    python -m bench.writer [--concurrency 32,200] [--seconds 6] [--rounds 2]
                           [--compare-with REF]

Within the HTTP phases the write is a fifth of a webhook's CPU at most, and the
figures of a shared machine move by more than that between rounds; here only the
write is measured. Each probe is its own process: `--concurrency` tasks each publish
a 1.5 KB record with the ingress's raw headers, wait for the acknowledgement and
publish the next, to a fresh six-partition topic; after a second of warm-up, the
records acknowledged and the process's CPU time (user + system) are counted for
`--seconds`. With `--compare-with REF` the publisher of that commit is probed too,
alternating with this one in every round. The broker is the benchmark's
(`KAFKA_BOOTSTRAP_SERVERS`, or the local one).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import uvloop

from bench import broker, loadtest, services
from bench.context import say

# Run with `python -c` from an empty directory, so that PYTHONPATH alone decides whose
# `ingress` is imported: this tree's or an earlier commit's.
PROBE = """
import asyncio, json, os, sys, time
import uvloop
from fleetwire.topics import TopicSpec, ensure_topics
from ingress.publisher import RawPublisher

HEADERS = [
    ("fleetwire-source", b"zubie"),
    ("fleetwire-provider", b"zubie"),
    ("fleetwire-received-at", b"2026-12-02T05:00:00.000Z"),
    ("fleetwire-request-id", b"0123456789abcdef0123456789abcdef"),
    ("content-type", b"application/json"),
]

try:
    from fleetwire.connection import KafkaConnection
except ImportError:  # a checkout from before connection objects took a bootstrap string
    KafkaConnection = str

async def main(bootstrap, topic, concurrency, seconds):
    target = KafkaConnection(bootstrap)
    await ensure_topics(target, [TopicSpec(topic, 6)])
    publisher = RawPublisher(target, timeout_s=5.0, max_record_bytes=2 << 20)
    await publisher.start(wait=True)
    body = b"x" * 1500
    done = 0
    stopping = False

    async def writer(i):
        nonlocal done
        n = 0
        while not stopping:
            await publisher.publish(topic, b"k%d-%d" % (i, n), body, HEADERS)
            n += 1
            done += 1

    tasks = [asyncio.create_task(writer(i)) for i in range(concurrency)]
    await asyncio.sleep(1.0)
    count, cpu, wall = done, time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    count, cpu, wall = done - count, time.process_time() - cpu, time.monotonic() - wall
    stopping = True
    await asyncio.gather(*tasks)
    await publisher.stop()
    print(json.dumps({
        "records_per_s": round(count / wall, 1),
        "cpu_us_per_record": round(1e6 * cpu / max(count, 1), 2),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }))

uvloop.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
"""


def probe(
    bootstrap: str, topic: str, concurrency: int, seconds: float, tree: Path
) -> dict[str, object]:
    with TemporaryDirectory() as empty:
        done = subprocess.run(  # noqa: S603 - this interpreter with our own probe
            [sys.executable, "-c", PROBE, bootstrap, topic, str(concurrency), str(seconds)],
            cwd=empty,
            env={**os.environ, "PYTHONPATH": str(tree)},
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        )
    figures: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.writer", description=__doc__)
    parser.add_argument("--concurrency", default="32,200")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--compare-with", default="", metavar="REF")
    args = parser.parse_args()
    bootstrap = broker.bootstrap_servers()
    run_id = time.strftime("%Y%m%dt%H%M%S")
    with TemporaryDirectory() as workdir:
        trees = {"this": services.ROOT}
        if args.compare_with:
            trees[args.compare_with] = loadtest.checkout(args.compare_with, Path(workdir))
        try:
            for number in range(1, args.rounds + 1):
                for concurrency in (int(c) for c in args.concurrency.split(",")):
                    for index, (name, tree) in enumerate(trees.items()):
                        topic = f"bench{run_id}.writer.r{number}c{concurrency}t{index}"
                        found = probe(bootstrap, topic, concurrency, args.seconds, tree)
                        say(
                            f"round {number}, {concurrency} concurrent, {name}: "
                            f"{found['records_per_s']:,.0f} records/s, "
                            f"{found['cpu_us_per_record']} us CPU per record, "
                            f"load average {found['load_average']}"
                        )
        finally:
            uvloop.run(broker.delete_topics(bootstrap, f"bench{run_id}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
