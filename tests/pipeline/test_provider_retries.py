"""Provider retries through the real ingress, processor and broker: one canonical event.

A Svix retry carries the same `svix-id` with a new timestamp and signature; a Smartcar
retry the same `eventId` with a new `meta.deliveryId` and `deliveredAt`, so a different
body and signature. Both are authenticated and accepted again (the provider must see a
200), written raw again under the same key, and suppressed by the processor. Requests are
signed here, independently of the project's verifiers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from standardwebhooks import Webhook

from tests.support.kafka import read_all
from tests.support.processes import Pipeline, running_pipeline
from tests.support.runtime import read_to_end, until
from tests.support.samples import sample

pytestmark = pytest.mark.kafka
WHSEC = "whsec_" + base64.b64encode(b"retries: telematica key").decode()
SMARTCAR_TOKEN = "retries-smartcar-token"
SUPPRESSED = "fleetwire_processor_duplicates_suppressed_total"
SOURCES = f"""
[[sources]]
name = "telematica"
provider = "telematica"
secrets = ["{WHSEC}"]

[[sources]]
name = "smartcar"
provider = "smartcar"
secrets = ["{SMARTCAR_TOKEN}"]
"""


@pytest.fixture
def pipeline(kafka: str, prefix: str, tmp_path: Path) -> Iterator[Pipeline]:
    with running_pipeline(prefix, SOURCES, tmp_path) as running:  # exactly once, the default
        yield running


async def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    headers = {"Content-Type": "application/json", **headers}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as response,
    ):
        return response.status


def svix(message_id: str, at: float, body: bytes) -> dict[str, str]:
    signature = Webhook(WHSEC).sign(message_id, datetime.fromtimestamp(at, UTC), body.decode())
    return {"svix-id": message_id, "svix-timestamp": str(int(at)), "svix-signature": signature}


def smartcar_delivery(delivery_id: str, delivered_at: int) -> tuple[bytes, dict[str, str]]:
    body = json.loads(sample("smartcar", "variant-vehicle-state-v4"))
    body["meta"] = {**body["meta"], "deliveryId": delivery_id, "deliveredAt": delivered_at}
    raw = json.dumps(body).encode()
    digest = hmac.new(SMARTCAR_TOKEN.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"SC-Signature": digest}


async def test_provider_retries_yield_one_canonical_event(pipeline: Pipeline) -> None:
    now = time.time()
    telematica = sample("telematica", "vehicle.soc")
    first, retry = svix("msg_retry_1", now - 5, telematica), svix("msg_retry_1", now, telematica)
    assert first["svix-signature"] != retry["svix-signature"]
    assert await post(pipeline.url("telematica"), telematica, first) == 200
    assert await post(pipeline.url("telematica"), telematica, retry) == 200

    original, original_headers = smartcar_delivery("delivery-1", 1761896350412)
    again, again_headers = smartcar_delivery("delivery-2", 1761896375412)  # +25 s
    assert original != again
    assert await post(pipeline.url("smartcar"), original, original_headers) == 200
    assert await post(pipeline.url("smartcar"), again, again_headers) == 200

    # Both deliveries of each were written raw, under the same key (the delivery id).
    for provider, key in (("telematica", b"msg_retry_1"), ("smartcar", b"9b8f6c2e")):
        raws = await read_all(f"{pipeline.prefix}.raw.{provider}", expect=2)
        assert len(raws) == 2
        assert raws[0].key == raws[1].key
        assert raws[0].key.startswith(key)

    for provider in ("telematica", "smartcar"):

        def retried(p: str = provider) -> bool:
            return pipeline.processor_metric(SUPPRESSED, provider=p) == 1

        await until(retried, 30, f"the {provider} retry")

    # One event each, not two: the retries were suppressed, not written again.
    soc = [json.loads(r.value) for r in await read_to_end(f"{pipeline.prefix}.canonical.charging")]
    assert [e["type"] for e in soc] == ["vehicle.battery.soc_reached"]
    state = [json.loads(r.value) for r in await read_to_end(f"{pipeline.prefix}.canonical.state")]
    assert [e["type"] for e in state] == ["vehicle.state.reported"]
