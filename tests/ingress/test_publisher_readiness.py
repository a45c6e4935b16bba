"""The raw publisher's readiness says why Kafka is not there, and webhooks are not taken."""

from __future__ import annotations

import asyncio
import logging

import pytest

from fleetwire.connection import KafkaConnection
from fleetwire.errors import PublishError
from ingress.publisher import RawPublisher
from localkafka.ports import free_port


async def test_without_a_broker_readiness_gives_the_reason_and_writes_fail(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    publisher = RawPublisher(KafkaConnection(f"127.0.0.1:{port}"), 1.0, 1 << 20)
    with caplog.at_level(logging.WARNING, logger="ingress.publisher"):
        await publisher.start()
        try:
            deadline = asyncio.get_running_loop().time() + 10
            state = await publisher.ready()
            while state is False and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.1)
                state = await publisher.ready()
            with pytest.raises(PublishError):
                await publisher.publish("t.raw.zubie", b"k", b"v", [])
        finally:
            await publisher.stop()
    assert isinstance(state, str)
    assert state.startswith(f"kafka 127.0.0.1:{port}: broker unreachable (")
    assert "check KAFKA_BOOTSTRAP_SERVERS" in state
    # Said once, however often the connection is retried.
    said = [r.getMessage() for r in caplog.records if "broker unreachable" in r.getMessage()]
    assert said == [f"{state}; retrying until that is fixed"]
