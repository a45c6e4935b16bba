"""Phase: how fast `fleetwire poll` moves a MyGeotab feed backlog into the raw topic.

A local MyGeotab server (`python -m localgeotab`, Geotab's one-call-a-second-per-feed
limit included) holds N entities in each of four feeds plus the devices, all there at
once; one `fleetwire poll` starts with pages of `FLEETWIRE_POLL_RESULTS_LIMIT` entities.
An entity counts once its page is committed (the poller's
`fleetwire_poll_entities_total`); afterwards the raw topic is read with read_committed
to check the figure. CPU per entity is the poller's own (the feed server's is reported
beside it).
"""

from __future__ import annotations

import re
import time
import urllib.request
from typing import Any

import uvloop

from bench import broker, services
from bench.context import Run, say
from fleetwire.topics import TopicNames
from localgeotab import Credentials
from localkafka.ports import free_port

POLL_S = 0.2
DEVICES = 50
FEEDS_WITH_ENTITIES = 4  # LogRecord, FaultData, Trip, ExceptionEvent; Device has DEVICES
RESULTS_LIMIT = 10_000
ENTITIES = re.compile(r"^fleetwire_poll_entities_total\{[^}]*\} (\S+)$", re.MULTILINE)


def poll(run: Run) -> dict[str, Any]:
    prefix = run.prefix("poll")
    per_feed = run.options.poll_entities
    expect = DEVICES + FEEDS_WITH_ENTITIES * per_feed
    uvloop.run(broker.create_topics(run.bootstrap, prefix))
    port, admin = free_port(), free_port()
    server = services.python_module(
        "mygeotab",
        "localgeotab",
        [
            *("--port", str(port), "--devices", str(DEVICES)),
            *("--entities", str(per_feed), "--per-second", "0"),
        ],
        services.fleetwire_env(run.bootstrap, prefix, run.sources_path),
        run.file("mygeotab.log"),
    )
    sources = run.file("poll-sources.toml")
    c = Credentials()
    sources.write_text(
        f'[[sources]]\nname = "bench"\nprovider = "geotab"\nserver = "http://127.0.0.1:{port}"\n'
        f'database = "{c.database}"\nusername = "{c.username}"\npassword = "{c.password}"\n'
    )
    env = services.fleetwire_env(
        run.bootstrap,
        prefix,
        sources,
        FLEETWIRE_ADMIN_PORT=str(admin),
        FLEETWIRE_POLL_RESULTS_LIMIT=str(RESULTS_LIMIT),
        FLEETWIRE_POLL_INTERVAL="1",
    )
    poller = None
    try:
        time.sleep(1)  # the server binds its port
        poller = services.fleetwire("poller", ["poll"], env, run.file("poll.log"))
        poller.wait_http(f"http://127.0.0.1:{admin}/healthz")
        samples = _watch(run, poller, server, f"http://127.0.0.1:{admin}/metrics", expect)
    finally:
        if poller is not None:
            poller.stop()
        server.stop()
    raw = TopicNames(prefix).raw("geotab")
    readable = uvloop.run(_count(run, raw, expect))
    result = _figures(samples, expect)
    result.update({"entities": expect, "raw_readable": readable, "results_limit": RESULTS_LIMIT})
    say(
        f"poll: {result['entities_per_s']:,.0f} entities/s, "
        f"{result.get('poller_cpu_us_per_entity')} us CPU per entity "
        f"({readable:,} of {expect:,} readable)"
    )
    return result


def _watch(
    run: Run,
    poller: services.Service,
    server: services.Service,
    metrics: str,
    expect: int,
) -> list[tuple[float, int, float, float]]:
    """(seconds, entities committed, poller CPU s, server CPU s) until all are committed."""
    deadline = time.monotonic() + run.options.drain_timeout_s
    samples: list[tuple[float, int, float, float]] = []
    written = 0
    while written < expect and time.monotonic() < deadline:
        if poller.process.poll() is not None:
            raise RuntimeError(f"the poller exited:\n{poller.tail()}")
        with urllib.request.urlopen(metrics, timeout=5) as response:  # noqa: S310
            text = response.read().decode()
        written = int(sum(float(v) for v in ENTITIES.findall(text)))
        samples.append((time.monotonic() - poller.started, written, poller.cpu_s(), server.cpu_s()))
        time.sleep(POLL_S)
    if written < expect:
        say(f"poll: gave up at {written:,} of {expect:,} entities")
    return samples


def _figures(samples: list[tuple[float, int, float, float]], expect: int) -> dict[str, Any]:
    """The steady rate from the first committed page to the last."""
    moving = [s for s in samples if s[1] > 0]
    if len(moving) < 2:
        return {"entities_per_s": 0.0, "committed": moving[-1][1] if moving else 0}
    first, last = moving[0], moving[-1]
    span, moved = last[0] - first[0], last[1] - first[1]
    return {
        "entities_per_s": round(moved / span, 1) if span else 0.0,
        "seconds": round(last[0], 2),
        "first_page_after_s": round(first[0], 2),
        "committed": last[1],
        "complete": last[1] >= expect,
        "poller_cpu_percent": round(100 * (last[2] - first[2]) / span, 1) if span else None,
        "poller_cpu_us_per_entity": round(1e6 * (last[2] - first[2]) / moved, 1) if moved else None,
        "server_cpu_us_per_entity": round(1e6 * (last[3] - first[3]) / moved, 1) if moved else None,
    }


async def _count(run: Run, topic: str, expect: int) -> int:
    async with broker.Offsets(run.bootstrap) as offsets:
        partitions = await offsets.partitions([topic])
    return await broker.count_records(run.bootstrap, partitions, expect)
