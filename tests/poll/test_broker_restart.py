"""A broker restart while polling: every feed entity still on the raw topic exactly once.

Uses a private broker (the shared one is never stopped).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from commands.provision import pipeline_topics
from fleetwire.connection import KafkaConnection
from fleetwire.settings import Settings
from fleetwire.topics import apply_topics
from localgeotab import Fleet, MyGeotab
from poll.poller import SourcePoller
from poll.sources import load_pull_sources
from tests.support.broker import PrivateBroker
from tests.support.geotabpoll import expected_keys, pull_source, write_sources
from tests.support.kafka import read_all
from tests.support.mygeotab import serving
from tests.support.providers import POLLED
from tests.support.runtime import until

pytestmark = pytest.mark.kafka


async def test_a_broker_restart_neither_loses_nor_repeats(
    private_broker: PrivateBroker, prefix: str, tmp_path: Path
) -> None:
    config = Settings(
        bootstrap_servers=private_broker.bootstrap,
        topic_prefix=prefix,
        poll_interval_s=0.2,
        poll_results_limit=100,
        poll_max_backoff_s=0.5,
    )
    await apply_topics(KafkaConnection(private_broker.bootstrap), pipeline_topics(config))
    fleet = Fleet(devices=3, entities=1500, per_second=100)  # a live feed, 15 s long
    topic = f"{prefix}.raw.geotab"

    async def keys() -> Counter[bytes]:
        records = await read_all(topic, bootstrap=private_broker.bootstrap, timeout=2)
        return Counter(r.key for r in records)

    async def arrived(count: int) -> bool:
        return len(await keys()) >= count

    stop = asyncio.Event()
    async with serving(MyGeotab(fleet)) as url, aiohttp.ClientSession() as http:
        [source] = load_pull_sources(
            write_sources(tmp_path, pull_source(url)), {}, polled=POLLED
        ).values()
        poller = SourcePoller(source, config, http)
        task = asyncio.create_task(poller.run(stop))
        try:
            await until(lambda: arrived(300), 60, "a first few pages")
            await asyncio.to_thread(private_broker.stop)
            await until(lambda: poller.problem is not None, 60, "the poller to notice")
            await asyncio.to_thread(private_broker.start)
            await until(lambda: arrived(len(expected_keys(fleet))), 120, "every entity")
        finally:
            stop.set()
            await task
    found = await keys()
    assert set(found) == expected_keys(fleet)
    assert max(found.values()) == 1
