"""Shared fixtures. Integration tests talk to the real broker that `make test` starts."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest

from fleetwire.kafka import reachable
from tests.support.kafka import BOOTSTRAP

RUN_ID = uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def kafka() -> str:
    """The bootstrap address of a broker that answers; fails clearly when there is none."""
    from aiokafka import AIOKafkaClient

    async def probe() -> bool:
        client = AIOKafkaClient(bootstrap_servers=BOOTSTRAP)
        try:
            await client.bootstrap()
        except Exception:
            return False
        try:
            return await reachable(client)
        finally:
            await client.close()

    if not asyncio.run(probe()):
        pytest.fail(
            f"no Kafka broker at {BOOTSTRAP}: run the suite with `make test`, "
            "which starts the local broker"
        )
    return BOOTSTRAP


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    """A topic prefix unique to this test run and test, so reruns never see old records."""
    name = re.sub(r"[^A-Za-z0-9.-]+", "-", request.node.name)[:60].strip("-")
    return f"t{RUN_ID}.{name}"
