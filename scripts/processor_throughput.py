"""Measure the processor's throughput in both delivery modes against the real broker.

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 .venv/bin/python -m scripts.processor_throughput [N]

For each mode: fresh topics under a unique prefix, N distinct raw Zubie trip records written
straight to the raw topic (6 partitions), then one `fleetwire process` started against that
backlog. The clock runs from the first record the processor reports consumed to the moment
its metrics report all N canonical events written (committed, in exactly-once mode), so
process start-up and the group join are not counted. It also reports how busy the
processor kept one core, and the machine's load average.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from fleetwire.provision import provision
from fleetwire.settings import Settings
from tests.support.backlog import produce, trips
from tests.support.kafka import BOOTSTRAP, free_port
from tests.support.processes import Service, environment


def metric(url: str, name: str) -> float:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local admin port
        text = response.read().decode()
    return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(mode: str, count: int, workdir: Path) -> tuple[float, float]:
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    settings = Settings(bootstrap_servers=BOOTSTRAP, topic_prefix=prefix)
    asyncio.run(provision(settings))
    asyncio.run(produce(f"{prefix}.raw.zubie", trips(count)))
    admin = free_port()
    env = environment(
        prefix,
        workdir / "sources.toml",
        FLEETWIRE_DELIVERY=mode,
        FLEETWIRE_ADMIN_PORT=str(admin),
        FLEETWIRE_LOG_LEVEL="WARNING",
    )
    url = f"http://127.0.0.1:{admin}/metrics"
    processor = Service(["process", "--provider", "zubie"], env, workdir / f"{mode}.log")
    try:
        processor.wait_http(url)
        while metric(url, "fleetwire_processor_records_consumed_total") == 0:
            time.sleep(0.005)
        started, cpu_started = time.perf_counter(), cpu_seconds(processor.process.pid)
        while metric(url, "fleetwire_processor_events_produced_total") < count:
            time.sleep(0.01)
        seconds = time.perf_counter() - started
        busy = (cpu_seconds(processor.process.pid) - cpu_started) / seconds
        return count / seconds, busy
    finally:
        processor.stop()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "sources.toml").write_text("")
        for mode in ("at-least-once", "exactly-once"):
            rate, busy = measure(mode, count, workdir)
            print(
                f"{mode:>14}: {count} records in one processor: {rate:,.0f} records/s "
                f"(processor busy {busy:.0%} of one core; load {os.getloadavg()[0]:.1f})"
            )


if __name__ == "__main__":
    main()
