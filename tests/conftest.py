"""Shared fixtures. Integration tests talk to the real broker that `make test` starts."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetwire.clients import admin_client, client_options
from fleetwire.kafka import reachable
from tests.support.broker import PrivateBroker
from tests.support.kafka import BOOTSTRAP, CONNECTION
from tests.support.secured import SecuredCluster, secured_cluster

RUN_ID = uuid.uuid4().hex[:8]
MAX_TEST_NAME_CHARS = 60
# Set to keep a run's topics for a look afterwards; by default they are deleted, since a
# broker that keeps every run's partitions runs out of file descriptors after a few runs.
KEEP_TOPICS = "FLEETWIRE_TEST_KEEP_TOPICS"

log = logging.getLogger(__name__)


# A test that uses one of these needs a running broker, whether or not it says so with
# the marker: `-m "not kafka"` (the suite on a second Python) must leave all of them out.
BROKER_FIXTURES = frozenset({"kafka", "private_broker", "secured_kafka"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if BROKER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.kafka)


@pytest.fixture(scope="session")
def kafka() -> Iterator[str]:
    """The bootstrap address of a broker that answers; fails clearly when there is none."""
    from aiokafka import AIOKafkaClient

    async def probe() -> bool:
        client = AIOKafkaClient(**client_options(CONNECTION))
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
    yield BOOTSTRAP
    if not os.environ.get(KEEP_TOPICS):
        asyncio.run(_delete_run_topics())


async def _delete_run_topics() -> None:
    admin = admin_client(CONNECTION)
    try:
        await admin.start()
        ours = [t for t in await admin.list_topics() if t.startswith(f"t{RUN_ID}.")]
        for start in range(0, len(ours), 200):
            await admin.delete_topics(ours[start : start + 200])
    except Exception as exc:  # cleaning up must not turn a passing run into a failure
        log.warning("could not delete this run's topics: %s", exc)
    finally:
        await admin.close()


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    """A topic prefix unique to this test run and test, so reruns never see old records."""
    name = re.sub(r"[^A-Za-z0-9.-]+", "-", request.node.name).strip("-")
    if len(name) > MAX_TEST_NAME_CHARS:  # keep long names of different tests apart
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = f"{name[: MAX_TEST_NAME_CHARS - 9].strip('-')}-{digest}"
    return f"t{RUN_ID}.{name}"


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    """A broker of the test's own, for tests that stop and start it (never the shared one)."""
    broker = PrivateBroker(tmp_path / "kafka")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def secured_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredCluster]:
    """A secured local cluster of its own (SASL_SSL, mTLS, ACLs enforced), started once."""
    yield from secured_cluster(tmp_path_factory)
