"""A processor asked to stop while Kafka is gone exits cleanly and says what it left."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from localkafka.ports import free_port
from tests.faults.common import wait_status
from tests.support.backlog import produce, trips
from tests.support.broker import PrivateBroker
from tests.support.processes import Service, environment, run
from tests.support.runtime import until

pytestmark = pytest.mark.kafka


@pytest.mark.parametrize("delivery", ["exactly-once", "at-least-once"])
async def test_sigterm_with_the_broker_gone_is_a_clean_exit(
    private_broker: PrivateBroker, prefix: str, tmp_path: Path, delivery: str
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text("")
    env = {
        **environment(prefix, sources),
        "KAFKA_BOOTSTRAP_SERVERS": private_broker.bootstrap,
        "FLEETWIRE_DELIVERY": delivery,
        "FLEETWIRE_RAW_PARTITIONS": "2",
    }
    created = run(["topics"], env)
    assert created.returncode == 0, created.stderr
    admin = free_port()
    processor = Service(
        ["process", "--provider", "zubie"],
        {**env, "FLEETWIRE_ADMIN_PORT": str(admin)},
        tmp_path / "processor.log",
    )
    try:
        await wait_status(f"http://127.0.0.1:{admin}/readyz", 200)
        await produce(f"{prefix}.raw.zubie", trips(200), bootstrap=private_broker.bootstrap)
        await until(lambda: f"processing {prefix}.raw.zubie[" in processor.output(), 30, "work")
        await asyncio.to_thread(private_broker.stop)
        await asyncio.sleep(1)
        code = await asyncio.to_thread(processor.stop, signal.SIGTERM, 40)
    finally:
        processor.stop()
        private_broker.start()  # the fixture stops it again
    output = processor.output()
    assert code == 0, output[-4000:]
    assert "Traceback" not in output, output[-4000:]
    # One closing line. Whether some step found Kafka missing depends on what was in
    # flight when the broker went; when one did, the line names the partitions left.
    [line] = [ln for ln in output.splitlines() if "processor stopped" in ln]
    if "without Kafka" in line:
        assert "could not " in line, line
        assert f"{prefix}.raw.zubie[" in line, line
