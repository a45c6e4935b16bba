"""Phase 3: how fast one processor turns a backlog of raw records into canonical events.

N raw Zubie trip records are written straight to the raw topic, then one `fleetwire
process` starts. A record counts as canonical once the processor's consumer group has
committed past it: the processor commits only after its writes are acknowledged
(at-least-once) or in the same transaction as them (exactly-once), so at that point the
events are readable with read_committed. The committed offsets are polled rather than
the canonical end offsets because transaction markers take offsets too. Afterwards the
canonical records are counted with a read_committed consumer to check the figure.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import uvloop

from bench import broker, payloads, services
from bench.context import Run, say
from fleetwire.topics import TopicNames
from localkafka.ports import free_port
from schemas.catalog import DOMAINS

POLL_S = 0.1
MODES = ("at-least-once", "exactly-once")


def drain(run: Run, mode: str) -> dict[str, Any]:
    prefix = run.prefix(f"drain-{mode.split('-', maxsplit=1)[0]}")
    count = run.options.drain_records
    uvloop.run(broker.create_topics(run.bootstrap, prefix))
    topics = TopicNames(prefix)
    raw = topics.raw(payloads.PROVIDER)
    started = time.monotonic()
    written = uvloop.run(
        broker.preload(run.bootstrap, raw, payloads.raw_records(run.run_id, count))
    )
    preload_s = time.monotonic() - started
    say(f"drain {mode}: preloaded {written:,} raw records in {preload_s:.1f}s")

    env = services.fleetwire_env(
        run.bootstrap,
        prefix,
        run.sources_path,
        FLEETWIRE_DELIVERY=mode,
        FLEETWIRE_ADMIN_PORT=str(free_port()),
    )
    service = services.fleetwire(
        f"processor {mode}", ["process"], env, run.file(f"processor-{mode}.log")
    )
    try:
        progress = uvloop.run(_watch(run, prefix, raw, written, service))
    finally:
        service.stop()
    canonical = [topics.canonical(domain) for domain in DOMAINS]
    readable, end_total = uvloop.run(_count(run, canonical, written))
    result = _figures(progress, written)
    result.update(
        {
            "mode": mode,
            "records": written,
            "preload_s": round(preload_s, 2),
            "canonical_readable": readable,
            "canonical_end_offsets": end_total,
            # commit markers take offsets: more offsets than records means transactions ran
            "transactions_seen": end_total > readable,
        }
    )
    say(
        f"drain {mode}: {result['events_per_s']:,.0f} events/s "
        f"({readable:,} canonical readable, transactions seen: {result['transactions_seen']})"
    )
    return result


async def _watch(
    run: Run, prefix: str, raw: str, expect: int, service: services.Service
) -> list[tuple[float, int, float]]:
    """(seconds since start, committed records, processor CPU s) until all are committed."""
    spawned = service.started
    deadline = time.monotonic() + run.options.drain_timeout_s
    samples: list[tuple[float, int, float]] = []
    async with broker.Offsets(run.bootstrap) as offsets:
        committed = 0
        group: str | None = None
        while committed < expect:
            if time.monotonic() > deadline:
                say(
                    f"drain: gave up after {run.options.drain_timeout_s:.0f}s "
                    f"at {committed:,} of {expect:,}"
                )
                break
            if service.process.poll() is not None:
                raise RuntimeError(f"the processor exited:\n{service.tail()}")
            if group is None:
                group = next(iter(await offsets.groups(prefix)), None)
            if group is not None:
                committed = await offsets.committed_total(group, [raw])
            samples.append((time.monotonic() - spawned, committed, service.cpu_s()))
            await asyncio.sleep(POLL_S)
    return samples


def _figures(samples: list[tuple[float, int, float]], expect: int) -> dict[str, Any]:
    """Steady rate from the first commit to the last, and the rate counting start-up."""
    moving = [s for s in samples if s[1] > 0]
    done = samples[-1] if samples else (0.0, 0, 0.0)
    if len(moving) < 2:
        return {
            "events_per_s": 0.0,
            "events_per_s_incl_startup": 0.0,
            "committed": done[1],
            "complete": done[1] >= expect,
            "seconds": round(done[0], 2),
        }
    first, last = moving[0], moving[-1]
    span = last[0] - first[0]
    moved = last[1] - first[1]
    steady = moved / span if span > 0 else 0.0
    return {
        "events_per_s": round(steady, 1),
        "events_per_s_incl_startup": round(last[1] / last[0], 1),
        "seconds": round(last[0], 2),
        "first_commit_after_s": round(first[0], 2),
        "committed": last[1],
        "complete": last[1] >= expect,
        "processor_cpu_percent": round(100 * (last[2] - first[2]) / span, 1) if span else None,
        "processor_cpu_us_per_event": round(1e6 * (last[2] - first[2]) / moved, 1)
        if moved
        else None,
    }


async def _count(run: Run, topics: list[str], expect: int) -> tuple[int, int]:
    async with broker.Offsets(run.bootstrap) as offsets:
        partitions = await offsets.partitions(topics)
        end_total = await offsets.end_total(partitions)
    readable = await broker.count_records(run.bootstrap, partitions, expect)
    return readable, end_total
