"""The processor SIGKILLed again and again while webhooks flow: nothing acknowledged is lost.

Webhooks go through a real ingress to the raw topic and a real processor. The processor
is killed outright (no drain, no commit, a transaction left open) three times and
started again each time. Afterwards every webhook the ingress acknowledged is in the
canonical topic, read with read_committed: exactly once in exactly-once mode, at
least once in at-least-once mode.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from pathlib import Path

import pytest

from localkafka.ports import free_port
from schemas.catalog import EVENT_TYPES
from tests.faults.common import LEAN_TOPICS, Load, start_ingress, wait_status, write_sources
from tests.support.kafka import read_all
from tests.support.processes import Service, environment, run

pytestmark = pytest.mark.kafka
KILLS = 3
RATE = 40.0
CONCURRENCY = 16


def trip_key(value: bytes) -> str:
    return str(json.loads(value)["data"]["trip"]["key"])


@pytest.mark.parametrize("delivery", ["exactly-once", "at-least-once"])
async def test_every_acknowledged_webhook_survives_processor_crashes(
    kafka: str, prefix: str, tmp_path: Path, delivery: str
) -> None:
    sources = write_sources(tmp_path)
    env = {**environment(prefix, sources, **LEAN_TOPICS), "FLEETWIRE_DELIVERY": delivery}
    created = run(["topics"], env)
    assert created.returncode == 0, created.stderr
    ingress = start_ingress(prefix, tmp_path, sources)
    load = Load(f"{ingress.base}/webhooks/zubie", RATE, CONCURRENCY, client_timeout_s=10)

    def processor(generation: int) -> tuple[Service, str]:
        admin = free_port()
        service = Service(
            ["process"],
            {**env, "FLEETWIRE_ADMIN_PORT": str(admin)},
            tmp_path / f"processor-{generation}.log",
        )
        return service, f"http://127.0.0.1:{admin}/readyz"

    current, ready = processor(0)
    killed = []
    try:
        await wait_status(ingress.readyz, 200)
        await wait_status(ready, 200)
        sender = asyncio.create_task(load.run(lambda i: f"{prefix}-{i}"))
        for generation in range(1, KILLS + 1):
            await asyncio.sleep(2.5)
            current.stop(signal.SIGKILL)
            killed.append(current.process.returncode)
            current, ready = processor(generation)
            await wait_status(ready, 200)
        await asyncio.sleep(2.5)
        load.stop()
        await sender
        acknowledged = {o.marker for o in load.outcomes if o.status == 200}
        topic = f"{prefix}.canonical.{EVENT_TYPES['vehicle.trip.started'].domain}"
        records = await read_all(
            topic,
            until=lambda found: acknowledged <= {trip_key(r.value) for r in found},
            timeout=90,
        )
        assert current.process.poll() is None, current.output()[-3000:]
    finally:
        load.stop()
        current.stop()
        assert ingress.service.stop() == 0, ingress.service.output()[-3000:]

    copies = Counter(trip_key(r.value) for r in records)
    ids = Counter(json.loads(r.value)["id"] for r in records)
    lost = acknowledged - set(copies)
    duplicated = {key for key, n in copies.items() if n > 1}
    print(
        f"\n[processor crashes, {delivery}] sent={len(load.outcomes)} ok={len(acknowledged)} "
        f"refused={len(load.outcomes) - len(acknowledged)} kills={len(killed)} "
        f"canonical={len(records)} distinct={len(copies)} lost={len(lost)} "
        f"duplicated={len(duplicated)}"
    )
    assert killed == [-signal.SIGKILL] * KILLS
    assert {o.status for o in load.outcomes} == {200}
    assert not lost, sorted(lost)[:10]
    assert set(copies) == acknowledged  # nothing that was never sent
    if delivery == "exactly-once":
        assert not duplicated, sorted(duplicated)[:10]
        assert set(ids.values()) == {1}
