"""A broker outage in the middle of a steady signed load: nothing acknowledged is lost.

A real `fleetwire ingress` writes to a private broker (the shared one is never stopped),
which is stopped for about ten seconds and started again while the load goes on.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from fleetwire.connection import KafkaConnection
from fleetwire.topics import TopicLayout, TopicNames, ensure_topics
from tests.faults.common import (
    Load,
    http_status,
    marker_of,
    start_ingress,
    wait_status,
    write_sources,
)
from tests.support.broker import PrivateBroker
from tests.support.kafka import read_all

pytestmark = pytest.mark.kafka
PUBLISH_TIMEOUT_S = 2.0
# A request may wait for the publish timeout, then for its answer to be written.
CLIENT_TIMEOUT_S = PUBLISH_TIMEOUT_S + 3
OUTAGE_S = 10.0
RATE = 60.0
CONCURRENCY = 64


async def poll_readiness(url: str, seen: list[tuple[float, int]], stop: asyncio.Event) -> None:
    while not stop.is_set():
        seen.append((time.monotonic(), await asyncio.to_thread(http_status, url, 3)))
        await asyncio.sleep(0.25)


def phases(statuses: list[int]) -> list[int]:
    """The statuses with repeats collapsed: [200, 503, 200] for an outage and recovery."""
    collapsed: list[int] = []
    for status in statuses:
        if not collapsed or collapsed[-1] != status:
            collapsed.append(status)
    return collapsed


async def test_every_acknowledged_request_survives_a_broker_outage_under_load(
    private_broker: PrivateBroker, prefix: str, tmp_path: Path
) -> None:
    topic = TopicNames(prefix).raw("zubie")
    await ensure_topics(
        KafkaConnection(private_broker.bootstrap), [TopicLayout().spec(topic, 3, 24)]
    )
    ingress = start_ingress(
        prefix,
        tmp_path,
        write_sources(tmp_path),
        KAFKA_BOOTSTRAP_SERVERS=private_broker.bootstrap,
        FLEETWIRE_PUBLISH_TIMEOUT=str(PUBLISH_TIMEOUT_S),
    )
    load = Load(f"{ingress.base}/webhooks/zubie", RATE, CONCURRENCY, CLIENT_TIMEOUT_S)
    readiness: list[tuple[float, int]] = []
    stop_polling = asyncio.Event()
    try:
        await wait_status(ingress.readyz, 200)
        poller = asyncio.create_task(poll_readiness(ingress.readyz, readiness, stop_polling))
        sender = asyncio.create_task(load.run(lambda i: f"{prefix}-{i}"))
        await asyncio.sleep(3)

        await asyncio.to_thread(private_broker.stop)
        down_at = time.monotonic()
        await asyncio.sleep(OUTAGE_S)
        up_from = time.monotonic()
        await asyncio.to_thread(private_broker.start)
        up_at = time.monotonic()
        # The ingress reconnects by itself: nobody restarts it.
        await wait_status(ingress.readyz, 200, timeout=60)
        await asyncio.sleep(4)
        load.stop()
        await sender
        stop_polling.set()
        await poller
        assert ingress.service.process.poll() is None, "the ingress died"
    finally:
        load.stop()
        stop_polling.set()
        assert ingress.service.stop() == 0, ingress.service.output()

    outcomes = load.outcomes
    acknowledged = {o.marker for o in outcomes if o.status == 200}
    refused = [o for o in outcomes if o.status == 503]
    during = [o for o in outcomes if down_at <= o.started and o.started + o.seconds <= up_from]
    records = await read_all(
        topic,
        bootstrap=KafkaConnection(private_broker.bootstrap),
        until=lambda found: acknowledged <= {marker_of(r.value) for r in found},
        timeout=30,
    )
    found = {marker_of(r.value) for r in records}
    lost = acknowledged - found
    published_after_503 = {o.marker for o in refused} & found
    print(
        f"\n[broker outage] sent={len(outcomes)} ok={len(acknowledged)} 503={len(refused)} "
        f"other={len(outcomes) - len(acknowledged) - len(refused)} "
        f"during_outage={len(during)} raw_records={len(records)} "
        f"raw_found={len(found & acknowledged)} "
        f"lost={len(lost)} written_despite_503={len(published_after_503)} "
        f"max_answer_s={max(o.seconds for o in outcomes):.2f} "
        f"broker_restart_s={up_at - up_from:.1f} readyz={phases([s for _, s in readiness])}"
    )

    # Every request got an answer, and only 200 or 503.
    assert {o.status for o in outcomes} <= {200, 503}, sorted(
        {(o.status, o.error) for o in outcomes if o.status not in {200, 503}}
    )
    assert all(o.retry_after and int(o.retry_after) > 0 for o in refused)
    # Requests made while the broker was down were all refused in time, none acknowledged.
    assert during, "no request fell inside the outage"
    assert {o.status for o in during} == {503}
    # The load went on both sides of the outage and was acknowledged there.
    assert any(o.status == 200 and o.started < down_at for o in outcomes)
    assert any(o.status == 200 and o.started > up_at for o in outcomes)
    assert not lost, sorted(lost)[:10]
    # /readyz followed the outage: ready, not ready while down, ready again.
    seen = phases([s for _, s in readiness])
    assert seen[0] == 200, seen
    assert 503 in seen, seen
    assert seen[-1] == 200, seen
