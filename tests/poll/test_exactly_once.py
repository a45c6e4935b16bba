"""Every feed entity on the raw topic exactly once, whatever happens to the poller,
MyGeotab or the other poller of the source. Real broker, local MyGeotab server.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from aiokafka import TopicPartition

from commands.provision import pipeline_topics
from fleetwire import clients
from fleetwire.settings import Settings
from fleetwire.topics import apply_topics
from localgeotab import Fleet, MyGeotab
from localkafka.ports import free_port
from poll.poller import SourcePoller
from poll.sources import load_pull_sources
from tests.support.geotabpoll import expected_keys, pull_source, raw_keys, write_sources
from tests.support.kafka import BOOTSTRAP, CONNECTION, SECURITY
from tests.support.mygeotab import serving, serving_in_thread
from tests.support.processes import Service, environment, run
from tests.support.providers import POLLED
from tests.support.runtime import until

pytestmark = pytest.mark.kafka


def settings(prefix: str, **more: object) -> Settings:
    return Settings(
        bootstrap_servers=BOOTSTRAP,
        topic_prefix=prefix,
        kafka_security=SECURITY,
        poll_interval_s=0.2,
        poll_results_limit=200,
        poll_max_backoff_s=0.5,
        **more,  # type: ignore[arg-type]
    )


async def all_arrived(prefix: str, fleet: Fleet) -> bool:
    return set(await raw_keys(prefix)) >= expected_keys(fleet)


async def some_arrived(prefix: str) -> bool:
    return len(await raw_keys(prefix)) > 0


async def assert_exactly_once(prefix: str, fleet: Fleet) -> Counter[bytes]:
    keys = await raw_keys(prefix)
    assert set(keys) == expected_keys(fleet)
    assert max(keys.values()) == 1, [k for k, n in keys.items() if n > 1][:5]
    return keys


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_expired_sessions_rate_limit_bursts_and_5xx(
    kafka: str, prefix: str, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    config = settings(prefix)
    await apply_topics(CONNECTION, pipeline_topics(config))
    fleet = Fleet(devices=3, entities=1000)
    server = MyGeotab(fleet, session_calls=4)  # a session lasts four calls
    stop = asyncio.Event()

    async def arrived(count: int) -> bool:
        return len(await raw_keys(prefix)) >= count

    async with serving(server) as url:
        [source] = load_pull_sources(
            write_sources(tmp_path, pull_source(url)), {}, polled=POLLED
        ).values()
        poller = SourcePoller(source, config, http)
        task = asyncio.create_task(poller.run(stop))
        try:
            await until(lambda: arrived(500), 60, "a first few pages")
            server.over_limit_burst, server.retry_after_s = 4, 1
            await until(lambda: arrived(1500), 60, "pages after a burst of OverLimitException")
            server.failures = 3
            await until(lambda: arrived(2500), 60, "pages after 503 answers")
            server.expire_sessions()
            await until(lambda: all_arrived(prefix, fleet), 90, "every entity")
        finally:
            stop.set()
            await task
    await assert_exactly_once(prefix, fleet)
    assert server.calls["GetFeed:InvalidUserException"] > 0
    assert server.calls["GetFeed:OverLimitException"] > 0
    assert server.calls["failure"] > 0
    assert server.calls["Authenticate"] > 1


async def test_a_second_poller_fences_the_first(
    kafka: str,
    prefix: str,
    tmp_path: Path,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = settings(prefix)
    await apply_topics(CONNECTION, pipeline_topics(config))
    fleet = Fleet(devices=3, entities=600, per_second=60)  # a live feed, ten seconds long
    server = MyGeotab(fleet)
    stop = asyncio.Event()
    async with serving(server) as url:
        [source] = load_pull_sources(
            write_sources(tmp_path, pull_source(url)), {}, polled=POLLED
        ).values()
        first, second = SourcePoller(source, config, http), SourcePoller(source, config, http)
        tasks = [asyncio.create_task(first.run(stop))]
        try:
            await until(lambda: some_arrived(prefix), 30, "a first page")
            tasks.append(asyncio.create_task(second.run(stop)))
            await until(lambda: first.fenced, 30, "the first poller to be fenced")
            await until(lambda: all_arrived(prefix, fleet), 60, "every entity")
        finally:
            stop.set()
            await asyncio.gather(*tasks)
    await assert_exactly_once(prefix, fleet)
    assert not second.fenced
    assert tasks[0].done()  # the first one stopped polling the source
    assert any("another poller took over" in r.getMessage() for r in caplog.records)


class OpenTransactions:
    """Whether some transaction has records on a topic that are not committed yet."""

    def __init__(self, topic: str) -> None:
        self._tps = [TopicPartition(topic, p) for p in range(Settings.raw_partitions)]
        self._all = clients.consumer(CONNECTION, group_id=None)
        self._committed = clients.consumer(
            CONNECTION, group_id=None, isolation_level="read_committed"
        )

    async def __aenter__(self) -> OpenTransactions:
        await self._all.start()
        await self._committed.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._all.stop()
        await self._committed.stop()

    async def now(self) -> bool:
        high_watermarks = await self._all.end_offsets(self._tps)
        stable = await self._committed.end_offsets(self._tps)
        return any(high_watermarks[tp] > stable[tp] for tp in self._tps)


def poll_service(env: dict[str, str], log: Path) -> tuple[Service, int]:
    admin = free_port()
    return Service(["poll"], {**env, "FLEETWIRE_ADMIN_PORT": str(admin)}, log), admin


async def test_sigkill_mid_page_then_restart(kafka: str, prefix: str, tmp_path: Path) -> None:
    fleet = Fleet(devices=3, entities=20_000)
    server = MyGeotab(fleet)
    with serving_in_thread(server) as url:
        env = environment(
            prefix,
            write_sources(tmp_path, pull_source(url)),
            FLEETWIRE_POLL_RESULTS_LIMIT="5000",
            FLEETWIRE_POLL_INTERVAL="0.2",
        )
        created = run(["topics"], env)
        assert created.returncode == 0, created.stderr
        async with OpenTransactions(f"{prefix}.raw.geotab") as transactions:
            for attempt in range(3):
                poller, admin = poll_service(env, tmp_path / f"poll-{attempt}.log")
                try:
                    await until(transactions.now, 60, "a page being written")
                finally:
                    poller.stop(signal.SIGKILL)
        poller, admin = poll_service(env, tmp_path / "poll-last.log")
        try:
            poller.wait_http(f"http://127.0.0.1:{admin}/readyz")
            await until(lambda: all_arrived(prefix, fleet), 90, "every entity")
        finally:
            assert poller.stop() == 0, poller.output()
    keys = await assert_exactly_once(prefix, fleet)
    # The kills did land in the middle of pages: records of aborted transactions exist.
    assert sum((await raw_keys(prefix, "read_uncommitted")).values()) > sum(keys.values())


@pytest.mark.parametrize("trouble", ["wrong-password", "unreachable"])
async def test_a_source_that_cannot_be_polled_is_one_line_and_503(
    kafka: str, prefix: str, tmp_path: Path, trouble: str
) -> None:
    password = "Wr0ng-Passw0rd-42"
    server = MyGeotab(Fleet())
    with serving_in_thread(server) as local:
        url = local
        if trouble == "unreachable":
            url, password = f"http://127.0.0.1:{free_port()}", "demo-password"
        env = environment(
            prefix,
            write_sources(tmp_path, pull_source(url, password=password)),
            FLEETWIRE_POLL_MAX_BACKOFF="0.5",
        )
        assert run(["topics"], env).returncode == 0
        poller, admin = poll_service(env, tmp_path / "poll.log")
        try:
            poller.wait_http(f"http://127.0.0.1:{admin}/healthz")

            async def retried() -> bool:
                metrics = await _get(f"http://127.0.0.1:{admin}/metrics")
                kind = "login-refused" if trouble == "wrong-password" else "unreachable"
                return _metric(metrics, "fleetwire_poll_errors_total", kind=kind) >= 3

            await until(retried, 30, "three failed attempts")
            status, body = await _status(f"http://127.0.0.1:{admin}/readyz")
            assert poller.process.poll() is None  # alive: no crash, no crash loop
        finally:
            assert poller.stop() == 0, poller.output()
    assert status == 503
    assert "source fleet" in body
    output = poller.output()
    assert password not in output
    assert password not in body
    warnings = [line for line in output.splitlines() if "WARNING" in line]
    assert len(warnings) == 1, output  # one line, not one per retry
    assert "source fleet" in warnings[0]


async def _get(url: str) -> str:
    return (await _status(url))[1]


async def _status(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_full_pages_are_followed_at_once_and_an_empty_one_waits_the_interval(
    kafka: str, prefix: str, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    config = replace(settings(prefix), poll_interval_s=600.0, poll_results_limit=100)
    await apply_topics(CONNECTION, pipeline_topics(config))
    fleet = Fleet(devices=3, entities=300)  # three full pages a feed, then an empty one
    server = MyGeotab(fleet)
    stop = asyncio.Event()
    async with serving(server) as url:
        [source] = load_pull_sources(
            write_sources(tmp_path, pull_source(url)), {}, polled=POLLED
        ).values()
        task = asyncio.create_task(SourcePoller(source, config, http).run(stop))
        try:
            await until(lambda: all_arrived(prefix, fleet), 60, "every entity")
            await asyncio.sleep(2)  # a poller that did not wait would call again meanwhile
        finally:
            stop.set()
            await task
    calls = Counter(r["typeName"] for r in server.feed_requests)
    # Device: one page of three (not full), then nothing for the interval.
    assert calls == {"Device": 1, "LogRecord": 4, "FaultData": 4, "Trip": 4, "ExceptionEvent": 4}
    await assert_exactly_once(prefix, fleet)
