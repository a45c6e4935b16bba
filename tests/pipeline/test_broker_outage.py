"""Kafka down: the ingress answers 503 with Retry-After in time, and 200 once it is back.

Uses a private broker (the shared one is never stopped).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from fleetwire.connection import KafkaConnection
from fleetwire.topics import TopicLayout, TopicNames, ensure_topics
from localkafka.ports import free_port
from tests.support.broker import PrivateBroker
from tests.support.kafka import read_all
from tests.support.processes import Service, environment
from tests.support.samples import sample

pytestmark = pytest.mark.kafka
SECRET = "outage-secret"
PUBLISH_TIMEOUT_S = 2.0


def readiness(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0  # not listening (yet)


async def wait_readiness(url: str, status: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while (found := await asyncio.to_thread(readiness, url)) != status:
        assert time.monotonic() < deadline, f"/readyz stayed {found}, expected {status}"
        await asyncio.sleep(0.2)


async def post(url: str, body: bytes) -> tuple[int, dict[str, str], float]:
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest())
    # The provider's patience: ZF gives up after 3 to 5 s, so must the answer come.
    deadline = aiohttp.ClientTimeout(total=PUBLISH_TIMEOUT_S + 2)
    started = time.monotonic()
    async with (
        aiohttp.ClientSession(timeout=deadline) as session,
        session.post(url, data=body, headers={"Zubie-Signature": signature.decode()}) as response,
    ):
        await response.read()
        return response.status, dict(response.headers), time.monotonic() - started


async def test_a_stopped_broker_means_503_then_200_once_it_is_back(
    private_broker: PrivateBroker, prefix: str, tmp_path: Path
) -> None:
    topic = TopicNames(prefix).raw("zubie")
    await ensure_topics(
        KafkaConnection(private_broker.bootstrap), [TopicLayout().spec(topic, 1, 24)]
    )
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[sources]]\nname = "zubie"\nprovider = "zubie"\nsecrets = ["{SECRET}"]\n')
    port, admin = free_port(), free_port()
    env = {
        **environment(prefix, sources),
        "KAFKA_BOOTSTRAP_SERVERS": private_broker.bootstrap,
        "FLEETWIRE_HTTP_PORT": str(port),
        "FLEETWIRE_ADMIN_PORT": str(admin),
        "FLEETWIRE_PUBLISH_TIMEOUT": str(PUBLISH_TIMEOUT_S),
    }
    ingress = Service(["ingress"], env, tmp_path / "ingress.log")
    url = f"http://127.0.0.1:{port}/webhooks/zubie"
    ready = f"http://127.0.0.1:{admin}/readyz"
    try:
        await wait_readiness(ready, 200)
        before = sample("zubie", "trip_start")
        assert (await post(url, before))[0] == 200

        private_broker.stop()
        await wait_readiness(ready, 503)
        during = sample("zubie", "trip_end")
        status, headers, _ = await post(url, during)
        assert status == 503
        assert int(headers["Retry-After"]) > 0
        # Also when the request comes before the ingress has noticed anything.
        status, headers, _ = await post(url, sample("zubie", "trip_tagged"))
        assert status == 503

        private_broker.start()
        await wait_readiness(ready, 200)
        # The provider's retry of the refused delivery now succeeds.
        assert (await post(url, during))[0] == 200
        records = await read_all(
            topic,
            bootstrap=KafkaConnection(private_broker.bootstrap),
            until=lambda found: during in [r.value for r in found],
            timeout=20,
        )
        assert {before, during} <= {r.value for r in records}
    finally:
        assert ingress.stop() == 0, ingress.output()
