"""A webhook's trace through the real processes: ingress span, one span per event, by OTLP."""

from __future__ import annotations

import json
import time
from pathlib import Path

import aiohttp
import pytest

from fleetwire import traceparent
from tests.support.ingress import SOURCES, sources_toml
from tests.support.kafka import read_all
from tests.support.otlp import otlp_receiver
from tests.support.processes import running_pipeline
from tests.support.providers import verifier_for
from tests.support.runtime import until
from tests.support.samples import sample

pytestmark = pytest.mark.kafka
INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
ZUBIE = sources_toml({"zubie": SOURCES["zubie"]})


async def test_the_trace_continues_from_the_webhook_to_each_event_and_is_exported(
    prefix: str, tmp_path: Path
) -> None:
    body = sample("zubie", "trip_end")
    headers = verifier_for(SOURCES["zubie"]).sign(body, time.time()) | {"traceparent": INCOMING}
    with otlp_receiver() as receiver:
        otel = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_SERVICE_NAME": "",
        }
        with running_pipeline(prefix, ZUBIE, tmp_path, **otel) as pipeline:
            async with (
                aiohttp.ClientSession() as session,
                session.post(pipeline.url("zubie"), data=body, headers=headers) as answer,
            ):
                assert answer.status == 200
            [raw] = await read_all(f"{prefix}.raw.zubie", expect=1)
            [record] = await read_all(f"{prefix}.canonical.trips", expect=1)
            await until(lambda: len(receiver.spans) >= 2, 30, "the spans to be exported")

    webhook = dict(raw.headers)["traceparent"].decode()
    event = json.loads(record.value)
    assert dict(record.headers)["traceparent"].decode() == event["traceparent"]
    for context in (webhook, event["traceparent"]):
        assert traceparent.trace_id(context) == traceparent.trace_id(INCOMING)
    [ingress_span] = receiver.named("webhook")
    [process_span] = receiver.named("process vehicle.trip.ended")
    assert ingress_span.service == "fleetwire-ingress"
    assert process_span.service == "fleetwire-processor"
    assert (ingress_span.span_id, ingress_span.parent_span_id) == (
        traceparent.span_id(webhook),
        traceparent.span_id(INCOMING),
    )
    assert (process_span.span_id, process_span.parent_span_id) == (
        traceparent.span_id(event["traceparent"]),
        traceparent.span_id(webhook),
    )
    assert process_span.trace_id == traceparent.trace_id(INCOMING)
    assert process_span.attributes["messaging.destination.name"] == f"{prefix}.canonical.trips"
