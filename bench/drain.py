"""The drain: how fast one processor turns a backlog of raw records into canonical events,
beside the floor Kafka sets on this machine, in the same run.

The backlog is the raw-record mix (bench/rawmix.py: every provider's samples in
proportion), written straight to the raw topics. For each round and delivery mode:

1. one `fleetwire process` drains a fresh backlog (and, with `--compare-with`, the
   processor of that commit drains another one, the same records);
2. the floor (bench/floor.py: consume + produce, no processing, the processor's producer
   layout) drains the same raw records as the processor did, in its own consumer group,
   writing as many bytes as the processor wrote from them.

Rounds alternate processor and floor, so both see the same minutes of a shared machine.

A record counts once its consumer group has committed past it: both commit only after
their writes are acknowledged (at-least-once) or in the same transaction as them
(exactly-once), so the output is readable with read_committed by then. The committed
offsets are polled rather than end offsets, because transaction markers take offsets too.
Afterwards the processor's canonical records (and their bytes) are counted with a
read_committed consumer, to check the figure and to size the floor's writes.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvloop

from bench import broker, floor, rawmix, services
from bench.context import Run, say
from fleetwire.topics import TopicNames
from localkafka.ports import free_port
from providers.registry import installed
from schemas.catalog import DOMAINS

POLL_S = 0.1
MODES = ("at-least-once", "exactly-once")
MIN_RATE = 1000.0  # records/s below which a drain is given up
MAX_EVENTS_PER_RECORD = 4  # more than any sample makes; counting stops when the topics are idle
Samples = list[tuple[float, int, float]]  # seconds since start, committed, CPU seconds


@dataclass(frozen=True)
class Backlog:
    prefix: str
    raw_topics: list[str]
    volume: rawmix.Volume
    providers: list[str]
    expected_events: int  # what the normalizers make of these records


def mix_period(run: Run) -> list[rawmix.Sample]:
    providers = [
        p
        for p in installed().normalizers
        if not run.options.drain_providers or p in run.options.drain_providers
    ]
    return rawmix.cycle(rawmix.samples(run.sources, providers))


def preload(
    run: Run, period: Sequence[rawmix.Sample], label: str, count: int | None = None
) -> Backlog:
    """A fresh set of pipeline topics under its own prefix, with the backlog in them."""
    prefix = run.prefix(label)
    uvloop.run(broker.create_topics(run.bootstrap, prefix))
    topics = TopicNames(prefix)
    volume = rawmix.Volume()

    def counted() -> Iterator[tuple[str, broker.Record]]:
        nonlocal volume
        for topic, record in rawmix.raw_records(
            period, run.run_id, count or run.options.drain_records, topics.raw
        ):
            volume = volume.add(record)
            yield topic, record

    started = time.monotonic()
    uvloop.run(broker.preload_topics(run.bootstrap, counted()))
    providers = sorted({s.provider for s in period})
    say(
        f"{label}: preloaded {volume.records:,} raw records "
        f"({volume.total_bytes / 1e6:.1f} MB) in {time.monotonic() - started:.1f}s"
    )
    expected = rawmix.describe(period, volume.records, rawmix.events_of)["events"]
    return Backlog(prefix, [topics.raw(p) for p in providers], volume, providers, expected)


def processor(
    run: Run, backlog: Backlog, mode: str, name: str, tree: Path | None = None
) -> dict[str, Any]:
    """One `fleetwire process` (of commit `tree`, if given) over the backlog."""
    extra = {} if tree is None else {"PYTHONPATH": str(tree)}
    env = services.fleetwire_env(
        run.bootstrap,
        backlog.prefix,
        run.sources_path,
        FLEETWIRE_DELIVERY=mode,
        FLEETWIRE_ADMIN_PORT=str(free_port()),
        **extra,
    )
    service = services.fleetwire(name, ["process"], env, run.file(f"{name}.log"))
    try:
        progress = uvloop.run(
            watch(
                run,
                group_with_prefix(backlog.prefix),
                backlog.raw_topics,
                backlog.volume.records,
                service,
            )
        )
    finally:
        service.stop()
    topics = TopicNames(backlog.prefix)
    canonical = [topics.canonical(domain) for domain in DOMAINS]
    dead = [topics.dead_letter(p) for p in backlog.providers]
    # a record may become several events: read until the topics go quiet
    most = backlog.volume.records * MAX_EVENTS_PER_RECORD
    readable, end_total, out_bytes = uvloop.run(_count(run, canonical, most))
    dead_letters, _, _ = uvloop.run(_count(run, dead, backlog.volume.records))
    result = figures(progress, backlog.volume.records)
    result.update(
        {
            "mode": mode,
            "records": backlog.volume.records,
            "raw_bytes": backlog.volume.total_bytes,
            "canonical_readable": readable,
            "canonical_expected": backlog.expected_events,
            "canonical_end_offsets": end_total,
            "canonical_bytes": out_bytes,
            "dead_letters": dead_letters,
            "events_per_record": round(readable / backlog.volume.records, 3)
            if backlog.volume.records
            else None,
            # commit markers take offsets: more offsets than records means transactions ran
            "transactions_seen": end_total > readable,
        }
    )
    say(
        f"{name}: {result['events_per_s']:,.0f} records/s, "
        f"{result.get('processor_cpu_us_per_event')} CPU us/record "
        f"({readable:,} canonical, {dead_letters} dead letters, "
        f"transactions seen: {result['transactions_seen']})"
    )
    return result


def run_floor(run: Run, backlog: Backlog, mode: str, factor: float, name: str) -> dict[str, Any]:
    """The floor over the same raw records, in its own group, to its own topic."""
    group = f"{run.prefix('floor')}.{name}"
    out = f"{backlog.prefix}.{name}"
    partitions = uvloop.run(broker.create_canonical_like(run.bootstrap, backlog.prefix, out))
    args = [
        *("--bootstrap", run.bootstrap, "--group", group, "--topics", ",".join(backlog.raw_topics)),
        *("--out", out, "--out-partitions", str(partitions)),
        *("--mode", mode, "--factor", f"{factor:.4f}"),
    ]
    service = services.python_module(name, "bench.floor", args, {}, run.file(f"{name}.log"))
    try:
        progress = uvloop.run(
            watch(run, exact_group(group), backlog.raw_topics, backlog.volume.records, service)
        )
    finally:
        service.stop()
    result = figures(progress, backlog.volume.records)
    result.update(
        {"mode": mode, "records": backlog.volume.records, "padding_factor": round(factor, 3)}
    )
    say(
        f"{name}: {result['events_per_s']:,.0f} records/s, "
        f"{result.get('processor_cpu_us_per_event')} CPU us/record"
    )
    return result


GroupFinder = Callable[[broker.Offsets], Any]


def group_with_prefix(prefix: str) -> GroupFinder:
    async def find(offsets: broker.Offsets) -> str | None:
        return next(iter(await offsets.groups(prefix)), None)

    return find


def exact_group(group: str) -> GroupFinder:
    async def find(offsets: broker.Offsets) -> str | None:
        return group if group in await offsets.groups(group) else None

    return find


async def watch(
    run: Run,
    find_group: GroupFinder,
    raw_topics: Sequence[str],
    expect: int,
    service: services.Service,
    *,
    also: Callable[[float, int], None] | None = None,
) -> Samples:
    """(seconds since start, committed records, CPU s) until all are committed.

    `also(seconds, committed)` is called at every sample, for phases that act mid-drain.
    """
    spawned = service.started
    # a long backlog gets longer: at least MIN_RATE records/s on a busy machine
    waited = max(run.options.drain_timeout_s, expect / MIN_RATE)
    deadline = time.monotonic() + waited
    samples: Samples = []
    async with broker.Offsets(run.bootstrap) as offsets:
        committed = 0
        group: str | None = None
        while committed < expect:
            if time.monotonic() > deadline:
                say(f"{service.name}: gave up after {waited:.0f}s at {committed:,} of {expect:,}")
                break
            if service.process.poll() is not None:
                raise RuntimeError(f"{service.name} exited:\n{service.tail()}")
            if group is None:
                group = await find_group(offsets)
            if group is not None:
                committed = await offsets.committed_total(group, raw_topics)
            now = time.monotonic() - spawned
            samples.append((now, committed, service.cpu_s()))
            if also is not None:
                also(now, committed)
            await asyncio.sleep(POLL_S)
    return samples


def figures(samples: Samples, expect: int) -> dict[str, Any]:
    """Steady rate from the first commit to the last, and the rate counting start-up.

    "events" here are raw records in (committed past), as for the floor, so the two
    compare; the processor's canonical events are these times its events per record.
    """
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


async def _count(run: Run, topics: list[str], expect: int) -> tuple[int, int, int]:
    """Readable records, the sum of end offsets, and the readable records' bytes."""
    async with broker.Offsets(run.bootstrap) as offsets:
        partitions = await offsets.partitions(topics)
        end_total = await offsets.end_total(partitions)
    if end_total == 0:
        return 0, 0, 0
    readable, size = await broker.count_bytes(run.bootstrap, partitions, expect, idle_s=2.0)
    return readable, end_total, size


def median_round(rounds: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The round with the median records/s, every round's main figures, the median CPU."""
    ordered = sorted(rounds, key=lambda f: f["events_per_s"])
    middle = dict(ordered[(len(ordered) - 1) // 2])
    middle["rounds"] = [
        {"events_per_s": f["events_per_s"], "cpu_us_per_event": f.get("processor_cpu_us_per_event")}
        for f in rounds
    ]
    cpus = [f["processor_cpu_us_per_event"] for f in rounds if f.get("processor_cpu_us_per_event")]
    middle["cpu_us_per_event_median"] = statistics.median(cpus) if cpus else None
    return middle


def round_fractions(
    processor_rounds: Sequence[Mapping[str, Any]], floor_rounds: Sequence[Mapping[str, Any]]
) -> list[dict[str, float | None]]:
    """Each round's processor over the floor of the same round: records/s and CPU per record.

    Pairs share their minutes of a shared machine, so their ratio moves less than either.
    """

    def share(mine: Any, floors: Any) -> float | None:
        return round(mine / floors, 3) if mine and floors else None

    return [
        {
            "records_per_s": share(p.get("events_per_s"), f.get("events_per_s")),
            "cpu_per_record": share(
                p.get("processor_cpu_us_per_event"), f.get("processor_cpu_us_per_event")
            ),
        }
        for p, f in zip(processor_rounds, floor_rounds, strict=True)
    ]


def drain(run: Run, tree: Path | None = None) -> dict[str, Any]:
    """Every round: per mode, the processor (and the one of `tree`), then the floor."""
    period = mix_period(run)
    described = rawmix.describe(period, run.options.drain_records, rawmix.events_of)
    say(
        f"drain mix: {described['avg_body_bytes']:.0f} bytes and "
        f"{described['events_per_record']:.2f} events per record on average, "
        + ", ".join(f"{p} {e['share']:.0%}" for p, e in described["providers"].items())
    )
    found: dict[str, dict[str, list[dict[str, Any]]]] = {
        mode: {"processor": [], "floor": [], **({"processor_before": []} if tree else {})}
        for mode in MODES
    }
    for number in range(1, run.options.drain_rounds + 1):
        for mode in MODES:
            short = mode.split("-", maxsplit=1)[0]
            backlog = preload(run, period, f"drain-{short}-r{number}")
            ours = processor(run, backlog, mode, f"processor-{mode}-r{number}")
            found[mode]["processor"].append(ours)
            if tree is not None:
                before = preload(run, period, f"before-{short}-r{number}")
                found[mode]["processor_before"].append(
                    processor(run, before, mode, f"processor-before-{mode}-r{number}", tree)
                )
            factor = floor.padding_factor(
                ours["canonical_bytes"], backlog.volume.value_bytes, backlog.volume.other_bytes
            )
            found[mode]["floor"].append(
                run_floor(run, backlog, mode, factor, f"floor-{short}-r{number}")
            )
    phases: dict[str, Any] = {"drain_mix": described}
    for mode, by_what in found.items():
        key = mode.replace("-", "_")
        floors = by_what["floor"]
        phases[f"floor_{key}"] = median_round(floors)
        for name, who in (("drain", "processor"), ("drain_before", "processor_before")):
            if by_what.get(who):
                phases[f"{name}_{key}"] = median_round(by_what[who])
                phases[f"{name}_{key}"]["floor_fractions"] = round_fractions(by_what[who], floors)
    return phases
