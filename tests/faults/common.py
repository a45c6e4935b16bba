"""What the fault and abuse tests share: signed Zubie load, real processes, counting.

Requests are signed here with hmac, independently of the project's verifiers.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from localkafka.ports import free_port
from tests.support.processes import Service, environment
from tests.support.samples import sample

ZUBIE_SECRET = "faults-zubie-secret-0f3a9c"
# One partition per topic: every test creates its own set of topics on the shared broker,
# whose open files grow with the partitions of every test run.
LEAN_TOPICS = {"FLEETWIRE_RAW_PARTITIONS": "1", "FLEETWIRE_CANONICAL_PARTITIONS": "1"}


def zubie_signature(body: bytes, secret: str = ZUBIE_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def zubie_body(marker: str) -> bytes:
    """A valid Zubie trip_start whose trip key is `marker`, so every body is unique and
    its canonical event can be found again (data.trip.key)."""
    document = json.loads(sample("zubie", "trip_start"))
    document["trip"]["key"] = marker
    return json.dumps(document).encode()


def marker_of(body: bytes) -> str | None:
    try:
        return str(json.loads(body)["trip"]["key"])
    except (ValueError, KeyError, TypeError):
        return None


def write_sources(directory: Path, text: str | None = None) -> Path:
    path = directory / "sources.toml"
    path.write_text(
        text or f'[[sources]]\nname = "zubie"\nprovider = "zubie"\nsecrets = ["{ZUBIE_SECRET}"]\n'
    )
    return path


@dataclass
class Ingress:
    service: Service
    port: int
    admin: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def readyz(self) -> str:
        return f"http://127.0.0.1:{self.admin}/readyz"

    @property
    def metrics(self) -> str:
        return f"http://127.0.0.1:{self.admin}/metrics"


def start_ingress(prefix: str, directory: Path, sources: Path, **extra: str) -> Ingress:
    port, admin = free_port(), free_port()
    env = {
        **environment(prefix, sources),
        "FLEETWIRE_HTTP_PORT": str(port),
        "FLEETWIRE_ADMIN_PORT": str(admin),
        **extra,
    }
    service = Service(["ingress"], env, directory / f"ingress-{port}.log")
    return Ingress(service, port, admin)


def http_status(url: str, timeout: float = 5) -> int:
    """The status of a GET, or 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def http_text(url: str, timeout: float = 5) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return str(response.read().decode())


async def wait_status(url: str, status: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while (found := await asyncio.to_thread(http_status, url, 2)) != status:
        assert time.monotonic() < deadline, f"{url} stayed {found}, expected {status}"
        await asyncio.sleep(0.2)


def series(metrics_text: str) -> set[str]:
    """The sample lines' names with labels: one entry per time series."""
    return {
        line.rsplit(" ", 1)[0]
        for line in metrics_text.splitlines()
        if line and not line.startswith("#")
    }


@dataclass
class Outcome:
    marker: str
    status: int  # 0: no answer (timeout or connection error)
    error: str = ""
    started: float = 0.0
    seconds: float = 0.0
    retry_after: str | None = None


@dataclass
class Load:
    """A steady signed Zubie load: `rate` requests per second, at most `concurrency` open."""

    url: str
    rate: float
    concurrency: int
    client_timeout_s: float
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, marker: Callable[[int], str]) -> None:
        slots = asyncio.Semaphore(self.concurrency)
        timeout = aiohttp.ClientTimeout(total=self.client_timeout_s)
        connector = aiohttp.TCPConnector(limit=self.concurrency)
        tasks: set[asyncio.Task[None]] = set()
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            index = 0
            next_at = time.monotonic()
            while not self._stop.is_set():
                await slots.acquire()
                task = asyncio.create_task(self._one(session, marker(index), slots))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                index += 1
                next_at = max(next_at + 1 / self.rate, time.monotonic() - 1)
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            if tasks:
                await asyncio.gather(*tasks)

    def stop(self) -> None:
        self._stop.set()

    async def _one(
        self, session: aiohttp.ClientSession, marker: str, slots: asyncio.Semaphore
    ) -> None:
        body = zubie_body(marker)
        headers = {"Zubie-Signature": zubie_signature(body), "Content-Type": "application/json"}
        started = time.monotonic()
        outcome = Outcome(marker, 0, started=started)
        try:
            async with session.post(self.url, data=body, headers=headers) as response:
                await response.read()
                outcome.status = response.status
                outcome.retry_after = response.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError) as exc:
            outcome.error = type(exc).__name__
        finally:
            outcome.seconds = time.monotonic() - started
            self.outcomes.append(outcome)
            slots.release()

    def counts(self) -> Mapping[int, int]:
        return Counter(o.status for o in self.outcomes)
