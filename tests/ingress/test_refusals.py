"""The status a refused request gets is the provider's: 403 for Motive, 401 for the rest.

Motive retries every 4xx but 403, so a 401 would bring a forged or mis-signed request
back eight times; every other provider reads 401 as "authentication failed".
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import RawTestServer
from prometheus_client import REGISTRY

from fleetwire.topics import TopicNames
from ingress.app import IngressConfig, WebhookHandler
from ingress.publisher import RawPublisher
from ingress.sources import Secret, Source
from tests.support.ingress import create_raw_topics
from tests.support.kafka import connection, read_all
from tests.support.providers import verifier_for

LIMIT = 4096
SOURCES = {
    "motive": Source(name="motive", provider="motive", secrets=(Secret("motive-secret"),)),
    "enode": Source(name="enode", provider="enode", secrets=(Secret("enode-secret"),)),
    "zubie": Source(name="zubie", provider="zubie", secrets=(Secret("zubie-secret"),)),
}
LOCATION = json.dumps(
    {"action": "vehicle_location_updated", "vehicle_id": 7, "located_at": "2025-01-01T00:00:00Z"}
).encode()


class Ingress:
    def __init__(self, prefix: str, url: str) -> None:
        self.prefix = prefix
        self.url = url


@pytest.fixture
async def ingress(kafka: str, prefix: str) -> AsyncIterator[Ingress]:
    await create_raw_topics(kafka, prefix, LIMIT)
    publisher = RawPublisher(connection(kafka), timeout_s=5.0, max_record_bytes=LIMIT + 65536)
    await publisher.start(wait=True)
    config = IngressConfig(
        verifiers={name: verifier_for(source) for name, source in SOURCES.items()},
        topics=TopicNames(prefix),
        max_body_bytes=LIMIT,
        max_in_flight=8,
    )
    handler = WebhookHandler(config, publisher)
    server = RawTestServer(handler.dispatch, host="127.0.0.1")
    await server.start_server()
    try:
        yield Ingress(prefix, str(server.make_url("/webhooks")))
    finally:
        await server.close()
        await publisher.stop()


async def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as r,
    ):
        return r.status, await r.read()


def failures(source: str, reason: str) -> float:
    labels = {"source": source, "reason": reason}
    return REGISTRY.get_sample_value("fleetwire_ingress_auth_failures_total", labels) or 0.0


@pytest.mark.parametrize(
    ("source", "headers", "status"),
    [
        ("motive", {"X-KT-Webhook-Signature": "0" * 40}, 403),
        ("motive", {}, 403),
        ("enode", {"x-enode-signature": "sha1=" + "0" * 40}, 401),
        ("zubie", {"Zubie-Signature": "AAAA"}, 401),
    ],
)
async def test_a_refusal_gets_the_providers_status(
    ingress: Ingress, source: str, headers: dict[str, str], status: int
) -> None:
    reason = "missing-header" if not headers else "bad-signature"
    before = failures(source, reason)
    answer, body = await post(f"{ingress.url}/{source}", LOCATION, headers)
    assert (answer, json.loads(body)) == (status, {"error": "authentication failed"})
    assert failures(source, reason) == before + 1


async def test_motive_signed_is_published_keyed_by_the_body_hash(ingress: Ingress) -> None:
    signature = hmac.new(b"motive-secret", LOCATION, hashlib.sha1).hexdigest()
    status, _ = await post(f"{ingress.url}/motive", LOCATION, {"X-KT-Webhook-Signature": signature})
    assert status == 200
    [record] = await read_all(f"{ingress.prefix}.raw.motive", expect=1)
    assert (record.key, record.value) == (hashlib.sha256(LOCATION).hexdigest().encode(), LOCATION)


async def test_enode_signed_is_published_keyed_by_its_delivery_header(ingress: Ingress) -> None:
    body = b'[{"event":"system:heartbeat","createdAt":"2025-01-01T00:00:00Z"}]'
    signature = "sha1=" + hmac.new(b"enode-secret", body, hashlib.sha1).hexdigest()
    sent = {"x-enode-signature": signature, "x-enode-delivery": "delivery-42"}
    assert (await post(f"{ingress.url}/enode", body, sent))[0] == 200
    [record] = await read_all(f"{ingress.prefix}.raw.enode", expect=1)
    assert record.key == b"delivery-42"
    assert dict(record.headers)["x-enode-delivery"] == b"delivery-42"
