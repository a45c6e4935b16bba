"""Phase 4: at a fixed offered load, the time from each HTTP 200 to its canonical event
being readable (read_committed).

An open-loop sender posts marked Zubie trips at a fixed rate (a slow answer does not
delay the next send) and notes when each 200 arrives; a reader in another process notes
when each marked canonical event becomes readable. Both use this machine's wall clock.
The first seconds are a warm-up and are left out of the figures.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
import uvloop

from bench import broker, mix, payloads, services, stats
from bench.context import Run, say
from bench.loadtest import start_ingress
from fleetwire.settings import Settings
from fleetwire.topics import TopicNames
from ingress.registry import verifier_for
from schemas.catalog import DOMAINS

GRACE_S = 30.0


@dataclass(frozen=True)
class Sent:
    index: int
    status: int  # 0: no answer
    sent_at: float  # wall clock
    answered_at: float


async def send_open_loop(
    url: str, requests: Sequence[tuple[bytes, dict[str, str]]], rate: float
) -> tuple[list[Sent], float]:
    """Post every request at its slot of a fixed schedule; return outcomes and worst lag."""
    results: list[Sent] = []
    connector = aiohttp.TCPConnector(limit=1000)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def post(index: int, body: bytes, headers: dict[str, str]) -> None:
            sent = time.time()
            status = 0
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError):
                pass
            results.append(Sent(index, status, sent, time.time()))

        tasks = []
        worst_lag = 0.0
        start = time.perf_counter() + 0.05
        for index, (body, headers) in enumerate(requests):
            wait = start + index / rate - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            else:
                worst_lag = max(worst_lag, -wait)
            tasks.append(asyncio.create_task(post(index, body, headers)))
        await asyncio.gather(*tasks)
    return results, worst_lag


def _requests(run: Run, count: int) -> list[tuple[bytes, dict[str, str]]]:
    source = next(s for s in run.sources.values() if s.provider == payloads.PROVIDER)
    verifier = verifier_for(source)
    now = time.time()
    signed = []
    for body in payloads.bodies(run.run_id, count):
        headers = mix.sign(verifier, body, now)
        if headers is None:
            raise RuntimeError("a trip body was taken for a handshake")
        signed.append((body, headers))
    return signed


def _read_seen(path: Path) -> dict[int, float]:
    seen: dict[int, float] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            index, _, at = line.partition(" ")
            if at:
                seen.setdefault(int(index), float(at))
    return seen


def endtoend(run: Run) -> dict[str, Any]:
    options = run.options
    prefix = run.prefix("e2e")
    uvloop.run(broker.create_topics(run.bootstrap, prefix))
    topics = TopicNames(prefix)
    canonical = [topics.canonical(domain) for domain in DOMAINS]
    source = next(s for s in run.sources.values() if s.provider == payloads.PROVIDER)
    delivery = Settings.from_env({}).delivery.value  # what an operator gets by default
    started: list[services.Service] = []
    try:
        ingress, url = start_ingress(run, prefix, 1)
        started.append(ingress)
        env = services.fleetwire_env(
            run.bootstrap, prefix, run.sources_path, FLEETWIRE_ADMIN_PORT=str(services.free_port())
        )
        processor = services.fleetwire("processor", ["process"], env, run.file("e2e-processor.log"))
        started.append(processor)
        seen_file = run.file("e2e-seen.txt")
        reader = services.python_module(
            "reader",
            "bench.reader",
            [
                "--bootstrap",
                run.bootstrap,
                "--run-id",
                run.run_id,
                "--out",
                str(seen_file),
                *canonical,
            ],
            {},
            run.file("e2e-reader.log"),
        )
        started.append(reader)
        _wait_ready(reader)
        warm = int(options.e2e_rate * options.e2e_warmup_s)
        total = warm + int(options.e2e_rate * options.e2e_seconds)
        requests = _requests(run, total)
        say(
            f"e2e: sending {total:,} webhooks at {options.e2e_rate:,.0f}/s "
            f"({options.e2e_warmup_s:.0f}s warm-up), delivery {delivery}"
        )
        sent, worst_lag = uvloop.run(
            send_open_loop(f"{url}/webhooks/{source.name}", requests, options.e2e_rate)
        )
        accepted = {s.index: s for s in sent if s.status == 200}
        deadline = time.monotonic() + GRACE_S
        while time.monotonic() < deadline and not set(accepted) <= set(_read_seen(seen_file)):
            time.sleep(0.2)
    finally:
        for service in reversed(started):
            service.stop()
    return _figures(
        sent,
        _read_seen(seen_file),
        warm=warm,
        rate=options.e2e_rate,
        worst_lag=worst_lag,
        delivery=delivery,
    )


def _wait_ready(reader: services.Service, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while "READY" not in reader.tail():
        if reader.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the reader did not start:\n{reader.tail()}")
        time.sleep(0.1)


def _figures(
    sent: list[Sent],
    seen: dict[int, float],
    *,
    warm: int,
    rate: float,
    worst_lag: float,
    delivery: str,
) -> dict[str, Any]:
    measured = [s for s in sent if s.index >= warm]
    accepted = [s for s in measured if s.status == 200]
    e2e = [1000 * (seen[s.index] - s.answered_at) for s in accepted if s.index in seen]
    http = [1000 * (s.answered_at - s.sent_at) for s in accepted]
    span = (max(s.sent_at for s in measured) - min(s.sent_at for s in measured)) if measured else 0
    distribution = stats.Distribution.of(e2e)
    result = {
        "delivery": delivery,
        "offered_rps": rate,
        "sent_rps": round((len(measured) - 1) / span, 1) if span > 0 else 0.0,
        "sender_worst_lag_ms": round(1000 * worst_lag, 1),
        "sent": len(measured),
        "accepted": len(accepted),
        "not_accepted": len(measured) - len(accepted),
        "matched": len(e2e),
        "missing": len(accepted) - len(e2e),
        "e2e_ms": None if distribution is None else _rounded(distribution),
        "http_ms": _rounded(stats.Distribution.of(http)),
    }
    if distribution is not None:
        say(
            f"e2e: p50 {distribution.p50:.0f} ms, p99 {distribution.p99:.0f} ms, "
            f"max {distribution.max:.0f} ms over {len(e2e):,} events, "
            f"{result['missing']} missing, {result['not_accepted']} not accepted"
        )
    return result


def _rounded(distribution: stats.Distribution | None) -> dict[str, float] | None:
    if distribution is None:
        return None
    return {k: round(v, 2) for k, v in asdict(distribution).items()}
