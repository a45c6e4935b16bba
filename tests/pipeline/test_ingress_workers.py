"""Several ingress workers on one port, metrics reported together, and a clean SIGTERM."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import multiprocessing
import os
import re
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from fleetwire.settings import Settings
from ingress.peers import Peers
from ingress.server import build_config, serve
from localkafka.ports import free_port
from tests.support.kafka import read_all
from tests.support.processes import Service, environment, run
from tests.support.providers import VERIFIERS

pytestmark = pytest.mark.kafka
SECRET = "workers-secret"


def write_sources(tmp_path: Path) -> Path:
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[sources]]\nname = "zubie"\nprovider = "zubie"\nsecrets = ["{SECRET}"]\n')
    return sources


def start(prefix: str, tmp_path: Path, workers: int) -> tuple[Service, str, str]:
    sources = write_sources(tmp_path)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    port, admin = free_port(), free_port()
    env = {
        **environment(prefix, sources),
        "FLEETWIRE_HTTP_PORT": str(port),
        "FLEETWIRE_ADMIN_PORT": str(admin),
        "FLEETWIRE_WORKERS": str(workers),
        "TMPDIR": str(scratch),  # where the supervisor keeps the metrics directory
    }
    assert run(["topics"], env).returncode == 0
    service = Service(["ingress"], env, tmp_path / "ingress.log")
    return service, f"http://127.0.0.1:{port}/webhooks/zubie", f"http://127.0.0.1:{admin}"


def body(index: int) -> bytes:
    return json.dumps({"event": "trip_end", "n": index}).encode()


async def post(url: str, payload: bytes) -> int:
    digest = hmac.new(SECRET.encode(), payload, hashlib.sha256).digest()
    headers = {"Zubie-Signature": base64.b64encode(digest).decode()}
    # A new connection per request, as many providers do, so the kernel spreads them.
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=payload, headers=headers) as response,
    ):
        await response.read()
        return response.status


async def accepted_count(admin: str) -> float:
    async with aiohttp.ClientSession() as session, session.get(f"{admin}/metrics") as response:
        text = await response.text()
    match = re.search(
        r'^fleetwire_ingress_requests_total\{source="zubie",status="200"\} (\S+)$', text, re.M
    )
    return float(match.group(1)) if match else 0.0


async def test_workers_share_the_port_and_metrics_count_them_all(
    kafka: str, prefix: str, tmp_path: Path
) -> None:
    service, url, admin = start(prefix, tmp_path, workers=2)
    try:
        # Whichever worker answers, /readyz says ready only once both have reached Kafka:
        # from then on no webhook meets a worker that is still connecting.
        service.wait_http(f"{admin}/readyz")
        assert service.output().count("connected to kafka") == 2, service.output()
        statuses = await asyncio.gather(*(post(url, body(i)) for i in range(30)))
        assert statuses == [200] * 30
        # Whichever worker answers /metrics reports every worker's requests.
        counts = [await accepted_count(admin) for _ in range(6)]
        assert counts == [30.0] * 6
        records = await read_all(f"{prefix}.raw.zubie", expect=30)
        assert sorted(r.value for r in records) == sorted(body(i) for i in range(30))
        assert {f"ingress worker {i} started" for i in (0, 1)} <= set(
            re.findall(r"ingress worker \d started", service.output())
        )
    finally:
        assert service.stop() == 0, service.output()
    assert list((tmp_path / "tmp").iterdir()) == []  # the metrics directory is removed


async def test_a_stop_while_the_workers_start_is_a_clean_exit(
    kafka: str, prefix: str, tmp_path: Path
) -> None:
    service, _, _ = start(prefix, tmp_path, workers=2)
    deadline = time.monotonic() + 30
    while "workers on port" not in service.output():  # spawned, still starting
        assert time.monotonic() < deadline, service.output()
        await asyncio.sleep(0.02)
    service.process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(service.process.wait, 60) == 0, service.output()
    service.stop()


async def gauge(admin: str, name: str) -> float:
    async with aiohttp.ClientSession() as session, session.get(f"{admin}/metrics") as response:
        text = await response.text()
    match = re.search(rf"^{name} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


async def refuses_connections(url: str) -> bool:
    try:
        await post(url, body(-1))
    except aiohttp.ClientConnectionError:
        return True
    return False


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("workers", [1, 2])
async def test_sigterm_finishes_requests_in_flight_and_stops_accepting(
    kafka: str, prefix: str, tmp_path: Path, workers: int
) -> None:
    service, url, admin = start(prefix, tmp_path, workers=workers)
    service.wait_http(f"{admin}/readyz")
    release = asyncio.Event()

    async def slow(payload: bytes) -> AsyncIterator[bytes]:
        yield payload[:5]
        await release.wait()  # the handler has started and waits for the rest of the body
        yield payload[5:]

    async def slow_post(payload: bytes) -> int:
        digest = hmac.new(SECRET.encode(), payload, hashlib.sha256).digest()
        headers = {"Zubie-Signature": base64.b64encode(digest).decode()}
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=slow(payload), headers=headers) as response,
        ):
            return response.status

    payloads = [body(i) for i in range(5)]
    tasks = [asyncio.create_task(slow_post(p)) for p in payloads]
    try:
        in_flight = "fleetwire_ingress_in_flight_requests"
        await eventually(lambda: _equals(gauge(admin, in_flight), len(payloads)))
        service.process.send_signal(signal.SIGTERM)
        await eventually(lambda: refuses_connections(url))
    finally:
        release.set()
    assert await asyncio.gather(*tasks) == [200] * len(payloads)
    assert await asyncio.to_thread(service.process.wait, 60) == 0, service.output()
    service.stop()
    # Probes that came before the listeners closed were accepted too; they are not counted.
    records = await read_all(
        f"{prefix}.raw.zubie", until=lambda found: set(payloads) <= {r.value for r in found}
    )
    assert set(payloads) <= {r.value for r in records}


async def _equals(value: Awaitable[float], expected: float) -> bool:
    return await value == expected


async def readyz(admin: str) -> tuple[int, dict[str, str]]:
    async with aiohttp.ClientSession() as session, session.get(f"{admin}/readyz") as response:
        return response.status, await response.json()


async def test_a_worker_says_ready_only_once_its_peers_have_reached_kafka(
    kafka: str, prefix: str, tmp_path: Path
) -> None:
    # One worker in this process, its peer's flag under the test's control: deterministic,
    # where two real workers would race for the answer.
    sources = write_sources(tmp_path)
    admin_port = free_port()
    admin = f"http://127.0.0.1:{admin_port}"
    settings = Settings.from_env(
        {
            **environment(prefix, sources),
            "FLEETWIRE_HTTP_PORT": str(free_port()),
            "FLEETWIRE_ADMIN_PORT": str(admin_port),
        }
    )
    flags = multiprocessing.get_context("spawn").RawArray("b", 2)
    serving = asyncio.create_task(
        serve(
            settings, build_config(settings, VERIFIERS), CollectorRegistry(), peers=Peers(flags, 0)
        )
    )
    try:
        deadline = time.monotonic() + 30
        while not flags[0]:  # this worker has reached Kafka
            assert not serving.done(), serving
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        status, answer = await readyz(admin)
        assert (status, answer["reason"]) == (
            503,
            "ingress worker 1 of 2 not connected to kafka yet",
        )
        flags[1] = 1
        assert await readyz(admin) == (200, {"status": "ready"})
    finally:
        if not serving.done():
            os.kill(os.getpid(), signal.SIGTERM)  # to serve's own handler: a clean drain
        await asyncio.wait_for(serving, 30)
