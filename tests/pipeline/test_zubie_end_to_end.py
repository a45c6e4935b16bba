"""The whole pipeline over real HTTP and the real broker, with Zubie's own samples."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest

from tests.support.kafka import read_all
from tests.support.processes import Pipeline, running_pipeline
from tests.support.runtime import read_to_end, until
from tests.support.samples import sample

pytestmark = pytest.mark.kafka
SOURCE = "zubie-main"
SECRET = "e2e-zubie-secret"
SUPPRESSED = "fleetwire_processor_duplicates_suppressed_total"


@pytest.fixture
def pipeline(kafka: str, prefix: str, tmp_path: Path) -> Iterator[Pipeline]:
    sources = f'[[sources]]\nname = "{SOURCE}"\nprovider = "zubie"\nsecrets = ["{SECRET}"]\n'
    with running_pipeline(prefix, sources, tmp_path, FLEETWIRE_DELIVERY="at-least-once") as p:
        yield p


def zubie_signature(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


async def post(url: str, body: bytes, signature: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url,
            data=body,
            headers={"Zubie-Signature": signature, "Content-Type": "application/json"},
        ) as response,
    ):
        return response.status, await response.text()


async def test_signed_trip_end_becomes_a_canonical_event(pipeline: Pipeline) -> None:
    body = sample("zubie", "trip_end")
    status, answer = await post(pipeline.url(SOURCE), body, zubie_signature(body))
    assert (status, json.loads(answer)) == (200, {"status": "accepted"})

    [raw] = await read_all(f"{pipeline.prefix}.raw.zubie", expect=1)
    assert raw.value == body
    assert raw.key == hashlib.sha256(body).hexdigest().encode()
    headers = dict(raw.headers)
    assert headers["fleetwire-source"] == b"zubie-main"
    assert headers["fleetwire-provider"] == b"zubie"
    assert headers["content-type"] == b"application/json"
    assert len(headers["fleetwire-request-id"]) == 32
    received = datetime.fromisoformat(headers["fleetwire-received-at"].decode())
    offset = received.utcoffset()
    assert offset is not None
    assert offset.total_seconds() == 0

    [record] = await read_all(f"{pipeline.prefix}.canonical.trips", expect=1)
    assert dict(record.headers)["content-type"] == b"application/cloudevents+json"
    event = json.loads(record.value)
    assert record.key == b"vin:5FNRL38249B044393"
    assert event["specversion"] == "1.0"
    assert event["type"] == "vehicle.trip.ended"
    assert event["subject"] == "vin:5FNRL38249B044393"
    assert event["source"] == "/fleetwire/zubie-main"
    assert event["time"] == "2019-09-27T17:35:35.000Z"  # 13:35:35-04:00 in UTC
    assert event["provider"] == "zubie"
    assert event["providereventtype"] == "trip_end"
    assert event["data"]["vehicle"]["vin"] == "5FNRL38249B044393"

    # A provider retry of the same delivery is accepted again and suppressed: one event.
    status, _ = await post(pipeline.url(SOURCE), body, zubie_signature(body))
    assert status == 200
    await until(lambda: pipeline.processor_metric(SUPPRESSED) == 1, 20, "the retry to be processed")
    events = await read_to_end(f"{pipeline.prefix}.canonical.trips")
    assert [json.loads(r.value)["id"] for r in events] == [event["id"]]


async def test_wrong_signature_is_401_and_publishes_nothing(pipeline: Pipeline) -> None:
    body = sample("zubie", "trip_start")
    status, _ = await post(pipeline.url(SOURCE), body, zubie_signature(body, "not-the-secret"))
    assert status == 401
    tampered = body.replace(b"trip_start", b"trip_end")
    status, _ = await post(pipeline.url(SOURCE), tampered, zubie_signature(body))
    assert status == 401
    # A valid request afterwards is the only raw record.
    good = sample("zubie", "trip_end")
    assert (await post(pipeline.url(SOURCE), good, zubie_signature(good)))[0] == 200
    raws = await read_all(f"{pipeline.prefix}.raw.zubie", expect=2, timeout=5)
    assert [r.value for r in raws] == [good]


async def test_invalid_json_is_accepted_then_dead_lettered(pipeline: Pipeline) -> None:
    body = sample("zubie", "vehicle_maintenance.invalid")
    assert (await post(pipeline.url(SOURCE), body, zubie_signature(body)))[0] == 200
    [dead] = await read_all(f"{pipeline.prefix}.dlq.zubie", expect=1)
    assert dead.value == body
    headers = dict(dead.headers)
    assert headers["fleetwire-error-kind"] == b"invalid-json"
    assert headers["fleetwire-original-topic"] == f"{pipeline.prefix}.raw.zubie".encode()
    assert headers["fleetwire-source"] == b"zubie-main"
