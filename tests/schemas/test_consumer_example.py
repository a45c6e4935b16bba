"""The consumer that docs/events.md shows works, against the real broker, for every type."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from types import ModuleType
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import NewTopic

from commands import eventsdoc
from fleetwire.clients import admin_client, client_options
from schemas.canonical import CLOUDEVENTS_CONTENT_TYPE
from schemas.catalog import DOMAINS, EVENT_TYPES
from tests.support.kafka import connection

HEADERS = [("content-type", CLOUDEVENTS_CONTENT_TYPE.encode())]


def load_consumer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_consumer", eventsdoc.CONSUMER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def consumer() -> ModuleType:
    return load_consumer()


def test_the_default_handler_reads_every_type_without_failing(
    consumer: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    chosen = eventsdoc.examples()
    for example in chosen.values():
        consumer.handle(example.event)
    printed = capsys.readouterr().out.splitlines()
    trip = chosen["vehicle.trip.ended"].event
    assert f"{trip['subject']} drove {trip['data']['trip']['distance_km']} km" in printed
    assert len(printed) == 3  # one line per type it handles, nothing for the others


async def publish(
    bootstrap: str, prefix: str, events: list[dict[str, Any]], *, commit: bool
) -> None:
    """Write `events` to their domain topics in one transaction, committed or aborted."""
    producer = AIOKafkaProducer(
        **client_options(connection(bootstrap)),
        transactional_id=f"{prefix}.test",
        enable_idempotence=True,
    )
    await producer.start()
    try:
        await producer.begin_transaction()
        for event in events:
            domain = EVENT_TYPES[event["type"]].domain
            await producer.send_and_wait(
                f"{prefix}.canonical.{domain}",
                json.dumps(event).encode(),
                key=event["subject"].encode(),
                headers=HEADERS,
                partition=0,
            )
        await (producer.commit_transaction() if commit else producer.abort_transaction())
    finally:
        await producer.stop()


class Done(Exception):
    pass


@pytest.mark.kafka
async def test_it_consumes_every_type_once_and_never_an_aborted_write(
    kafka: str, prefix: str, consumer: ModuleType
) -> None:
    admin = admin_client(connection(kafka))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(f"{prefix}.canonical.{d}", 1, 1) for d in DOMAINS])
    finally:
        await admin.close()

    examples = [e.event for e in eventsdoc.examples().values()]
    aborted = {**examples[0], "id": "written-by-an-aborted-transaction"}
    await publish(kafka, prefix, [aborted], commit=False)
    # The first example twice: a redelivery, which the consumer must handle once.
    await publish(kafka, prefix, [*examples, examples[0]], commit=True)

    handled: list[dict[str, Any]] = []

    def collect(event: dict[str, Any]) -> None:
        handled.append(event)
        if len(handled) == len(examples):
            raise Done

    with pytest.raises(Done):
        await asyncio.wait_for(
            consumer.consume(
                list(DOMAINS),
                handler=collect,
                prefix=prefix,
                bootstrap_servers=kafka,
                group_id=f"{prefix}.downstream",
            ),
            timeout=60,
        )
    assert sorted(e["type"] for e in handled) == sorted(EVENT_TYPES)
    assert aborted["id"] not in {e["id"] for e in handled}
    # Everything after the aborted write in its partition was read, so it was skipped.
    assert examples[0] in handled
