"""A processor that Kafka does not accept waits, says why, and stops when asked."""

from __future__ import annotations

import asyncio

from fleetwire.settings import Settings
from localkafka.ports import free_port
from processors.worker import Worker
from tests.support.providers import NORMALIZERS


async def test_without_a_broker_the_worker_waits_and_readiness_says_why() -> None:
    port = free_port()
    worker = Worker(
        Settings(bootstrap_servers=f"127.0.0.1:{port}"), ["zubie"], {"zubie": NORMALIZERS["zubie"]}
    )
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        state = await worker.ready()
        for _ in range(50):
            if state is not False:
                break
            await asyncio.sleep(0.1)
            state = await worker.ready()
        assert isinstance(state, str)
        assert state.startswith(f"kafka 127.0.0.1:{port}: broker unreachable (")
        assert not running.done()
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
