"""Phase 4: at a fixed offered load, the time from each HTTP 200 to its canonical event
being readable (read_committed).

An open-loop sender (bench/sender.py) posts marked Zubie trips at a fixed rate and
notes when each 200 arrives; a reader in another process (bench/reader.py) notes when
each marked canonical event becomes readable. Both use this machine's wall clock. The
first seconds are a warm-up and are left out of the figures.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import uvloop

from bench import broker, mix, payloads, sender, services, stats
from bench.context import Run, say
from bench.loadtest import start_ingress
from bench.sender import Sent
from fleetwire.settings import Settings
from fleetwire.topics import TopicNames
from localkafka.ports import free_port
from providers.registry import installed
from schemas.catalog import DOMAINS

GRACE_S = 30.0
# Many webhook senders each hold their own connections; enough of them that a slow
# answer rarely leaves a request waiting for a free one (that wait is reported as late).
SENDER_CONNECTIONS = 256


def _requests(run: Run, count: int, host: str) -> list[bytes]:
    source = next(s for s in run.sources.values() if s.provider == payloads.PROVIDER)
    verifier = installed().verifier(source)
    now = time.time()
    signed = []
    for body in payloads.bodies(run.run_id, count):
        headers = mix.sign(verifier, body, now)
        if headers is None:
            raise RuntimeError("a trip body was taken for a handshake")
        signed.append(sender.http_request(host, f"/webhooks/{source.name}", headers, body))
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
    canonical = [TopicNames(prefix).canonical(domain) for domain in DOMAINS]
    delivery = Settings.from_env({}).delivery.value  # what an operator gets by default
    seen_file = run.file("e2e-seen.txt")
    started: list[services.Service] = []
    try:
        ingress, url = start_ingress(run, prefix, 1)
        started.append(ingress)
        admin = str(free_port())
        env = services.fleetwire_env(
            run.bootstrap, prefix, run.sources_path, FLEETWIRE_ADMIN_PORT=admin
        )
        processor = services.fleetwire("processor", ["process"], env, run.file("e2e-processor.log"))
        started.append(processor)
        processor.wait_http(f"http://127.0.0.1:{admin}/readyz")
        reader_args = ["--bootstrap", run.bootstrap, "--run-id", run.run_id]
        reader = services.python_module(
            "reader",
            "bench.reader",
            [*reader_args, "--out", str(seen_file), *canonical],
            {},
            run.file("e2e-reader.log"),
        )
        started.append(reader)
        _wait_ready(reader)
        warm = int(options.e2e_rate * options.e2e_warmup_s)
        total = warm + int(options.e2e_rate * options.e2e_seconds)
        host, port = url.removeprefix("http://").rsplit(":", 1)
        requests = _requests(run, total, f"{host}:{port}")
        say(
            f"e2e: sending {total:,} webhooks at {options.e2e_rate:,.0f}/s "
            f"({options.e2e_warmup_s:.0f}s warm-up), delivery {delivery}"
        )
        sent = uvloop.run(
            sender.send_open_loop(
                host, int(port), requests, options.e2e_rate, connections=SENDER_CONNECTIONS
            )
        )
        accepted = {s.index for s in sent if s.status == 200}
        deadline = time.monotonic() + GRACE_S
        while time.monotonic() < deadline and not accepted <= set(_read_seen(seen_file)):
            time.sleep(0.2)
    finally:
        for service in reversed(started):
            service.stop()
    seen = _read_seen(seen_file)
    end_total = uvloop.run(_end_total(run, canonical))
    result = _figures(sent, seen, warm=warm, rate=options.e2e_rate, delivery=delivery)
    # every canonical record of this prefix is ours; more offsets than records: markers
    result["transactions_seen"] = end_total > len(seen)
    return result


async def _end_total(run: Run, topics: list[str]) -> int:
    async with broker.Offsets(run.bootstrap) as offsets:
        return await offsets.end_total(await offsets.partitions(topics))


def _wait_ready(reader: services.Service, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while "READY" not in reader.tail():
        if reader.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the reader did not start:\n{reader.tail()}")
        time.sleep(0.1)


def _figures(
    sent: list[Sent], seen: dict[int, float], *, warm: int, rate: float, delivery: str
) -> dict[str, Any]:
    measured = [s for s in sent if s.index >= warm]
    accepted = [s for s in measured if s.status == 200]
    e2e = [1000 * (seen[s.index] - s.answered_at) for s in accepted if s.index in seen]
    from_send = [1000 * (seen[s.index] - s.sent_at) for s in accepted if s.index in seen]
    http = [1000 * (s.answered_at - s.sent_at) for s in accepted]
    span = (max(s.sent_at for s in measured) - min(s.sent_at for s in measured)) if measured else 0
    distribution = stats.Distribution.of(e2e)
    result = {
        "delivery": delivery,
        "offered_rps": rate,
        "sent_rps": round((len(measured) - 1) / span, 1) if span > 0 else 0.0,
        "sender_late_ms": _rounded(stats.Distribution.of([1000 * s.late_s for s in measured])),
        "sent": len(measured),
        "accepted": len(accepted),
        "not_accepted": len(measured) - len(accepted),
        "matched": len(e2e),
        "missing": len(accepted) - len(e2e),
        "e2e_ms": _rounded(distribution),
        "send_to_readable_ms": _rounded(stats.Distribution.of(from_send)),
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
