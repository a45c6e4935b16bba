"""The drain: how fast one processor turns a backlog of raw records into canonical events,
beside the floor Kafka sets on this machine, in the same run.

The backlog is the raw-record mix (bench/rawmix.py: every provider's samples in
proportion), written straight to the raw topics. For each round and delivery mode:

1. one `fleetwire process` drains a fresh backlog (and, with `--compare-with`, the
   processor of that commit drains another one, the same records);
2. the floor (bench/floor.py: consume + produce, no processing, the processor's producer
   layout) drains the same raw records as the processor did, in its own consumer group,
   writing as many bytes as the processor wrote from them;
3. exactly once (the default delivery), two `fleetwire process` in one consumer group
   drain a fresh backlog of the same records (`--processes`), before the single one in
   even rounds and after it in odd ones. Their records/s and summed CPU per record over
   the single process's of the same round say how the processor scales with processes.

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
import os
import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvloop

from bench import broker, floor, members, rawmix, services
from bench.context import Run, say
from fleetwire.topics import TopicNames
from localkafka.ports import free_port
from providers.registry import installed
from schemas.catalog import DOMAINS

POLL_S = 0.1
MODES = ("at-least-once", "exactly-once")
SCALED_MODE = "exactly-once"  # the product's default delivery, the one scaled out
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


def start_processor(
    run: Run, prefix: str, mode: str, name: str, tree: Path | None = None
) -> services.Service:
    """One `fleetwire process` (of commit `tree`, if given) over the topics of `prefix`,
    logging to `<name>.log`."""
    extra = {} if tree is None else {"PYTHONPATH": str(tree)}
    env = services.fleetwire_env(
        run.bootstrap,
        prefix,
        run.sources_path,
        FLEETWIRE_DELIVERY=mode,
        FLEETWIRE_ADMIN_PORT=str(free_port()),
        **extra,
    )
    return services.fleetwire(name, ["process"], env, run.file(f"{name}.log"))


def processor(
    run: Run,
    backlog: Backlog,
    mode: str,
    name: str,
    tree: Path | None = None,
    *,
    processes: int = 1,
) -> dict[str, Any]:
    """`processes` times `fleetwire process` (of commit `tree`, if given) in one consumer group
    over the backlog; CPU is summed over them."""
    names = [name] if processes == 1 else [f"{name}-{i}" for i in range(1, processes + 1)]
    started: list[services.Service] = []
    try:
        started.extend(start_processor(run, backlog.prefix, mode, member, tree) for member in names)
        # the members' logs tell wall-clock times; the samples count from the first start
        wall_at_start = time.time() - (time.monotonic() - started[0].started)
        progress = uvloop.run(
            watch(
                run,
                group_with_prefix(backlog.prefix),
                backlog.raw_topics,
                backlog.volume.records,
                started,
            )
        )
        cpu_each = [round(s.cpu_s(), 2) for s in started]
    finally:
        for service in started:
            service.stop()
    group = [members.member(s.log.read_text(errors="replace").splitlines()) for s in started]
    topics = TopicNames(backlog.prefix)
    canonical = [topics.canonical(domain) for domain in DOMAINS]
    dead = [topics.dead_letter(p) for p in backlog.providers]
    # a record may become several events: read until the topics go quiet
    most = backlog.volume.records * MAX_EVENTS_PER_RECORD
    readable, end_total, out_bytes = uvloop.run(_count(run, canonical, most))
    dead_letters, _, _ = uvloop.run(_count(run, dead, backlog.volume.records))
    result = figures(progress, backlog.volume.records)
    if processes > 1:
        result["sharing"] = sharing(progress, backlog.volume.records, group, wall_at_start)
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
            "processes": processes,
            # each member's last assignment: a member left without partitions did no work
            "members": [m.as_dict() | {"cpu_s": c} for m, c in zip(group, cpu_each, strict=True)],
        }
    )
    say(
        f"{name}: {result['events_per_s']:,.0f} records/s, "
        f"{result.get('processor_cpu_us_per_event')} CPU us/record "
        f"({readable:,} canonical, {dead_letters} dead letters, "
        f"transactions seen: {result['transactions_seen']})"
    )
    if processes > 1:
        shared = result["sharing"]
        say(
            f"{name}: partitions per member "
            + " + ".join(f"{m.partitions} ({m.assignments} assignments)" for m in group)
            + f"; all held partitions from {shared['since_s']} s: "
            f"{shared['events_per_s']:,.0f} records/s, "
            f"{shared.get('processor_cpu_us_per_event')} CPU us/record"
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
            watch(run, exact_group(group), backlog.raw_topics, backlog.volume.records, [service])
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
    watched: Sequence[services.Service],
    *,
    also: Callable[[float, int], None] | None = None,
) -> Samples:
    """(seconds since the first start, committed records, CPU s summed over `watched`)
    until all are committed.

    `also(seconds, committed)` is called at every sample, for phases that act mid-drain.
    """
    spawned = min(s.started for s in watched)
    label = " + ".join(s.name for s in watched)
    # a long backlog gets longer: at least MIN_RATE records/s on a busy machine
    waited = max(run.options.drain_timeout_s, expect / MIN_RATE)
    deadline = time.monotonic() + waited
    samples: Samples = []
    async with broker.Offsets(run.bootstrap) as offsets:
        committed = 0
        group: str | None = None
        while committed < expect:
            if time.monotonic() > deadline:
                say(f"{label}: gave up after {waited:.0f}s at {committed:,} of {expect:,}")
                break
            for service in watched:
                if service.process.poll() is not None:
                    raise RuntimeError(f"{service.name} exited:\n{service.tail()}")
            if group is None:
                group = await find_group(offsets)
            if group is not None:
                committed = await offsets.committed_total(group, raw_topics)
            now = time.monotonic() - spawned
            samples.append((now, committed, sum(s.cpu_s() for s in watched)))
            if also is not None:
                also(now, committed)
            await asyncio.sleep(POLL_S)
    return samples


def sharing(
    samples: Samples, expect: int, group: Sequence[members.Member], wall_at_start: float
) -> dict[str, Any]:
    """The figures from the moment every member held partitions to the last commit: what
    several processes do together, without the time the first one ran alone or the
    rebalance that let the others in. Empty figures when they never shared the drain."""
    since = members.sharing_since(group)
    start = None if since is None else since - wall_at_start
    window = [] if start is None else [s for s in samples if s[0] >= start]
    found = figures(window, expect)
    return found | {"since_s": None if start is None else round(start, 2)}


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
        {
            "events_per_s": f["events_per_s"],
            "cpu_us_per_event": f.get("processor_cpu_us_per_event"),
            **(
                {
                    "members": f["members"],
                    "events_per_s_sharing": f.get("sharing", {}).get("events_per_s"),
                }
                if f.get("processes", 1) > 1
                else {}
            ),
        }
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


def scaling(
    many_rounds: Sequence[Mapping[str, Any]], one_rounds: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Each round's processors over the single processor of the same round: records/s and
    CPU per record (summed over the processes), over the whole drain and while every
    member held partitions (`_sharing`), and how many more canonical events they made
    from the same records (0: none lost, none duplicated)."""
    shared = round_fractions([m.get("sharing", {}) for m in many_rounds], one_rounds)
    return [
        fractions
        | {f"{key}_sharing": value for key, value in while_shared.items()}
        | {
            "canonical_difference": many.get("canonical_readable", 0)
            - one.get("canonical_readable", 0)
        }
        for fractions, while_shared, many, one in zip(
            round_fractions(many_rounds, one_rounds), shared, many_rounds, one_rounds, strict=True
        )
    ]


def scaled_key(processes: int) -> str:
    """Where the drain of `processes` processors is in the figures."""
    return f"drain_{SCALED_MODE.replace('-', '_')}_{processes}_processes"


def drain(run: Run, tree: Path | None = None) -> dict[str, Any]:
    """Every round: per mode, the processor (and the one of `tree`), then the floor;
    exactly once, the drains by several processors too."""
    period = mix_period(run)
    described = rawmix.describe(period, run.options.drain_records, rawmix.events_of)
    say(
        f"drain mix: {described['avg_body_bytes']:.0f} bytes and "
        f"{described['events_per_record']:.2f} events per record on average, "
        + ", ".join(f"{p} {e['share']:.0%}" for p, e in described["providers"].items())
    )
    found: dict[str, dict[str, list[dict[str, Any]]]] = {mode: {} for mode in MODES}
    for number in range(1, run.options.drain_rounds + 1):
        for mode in MODES:
            drain_round(run, period, mode, number, tree=tree, found=found[mode])
    phases: dict[str, Any] = {"drain_mix": described}
    for mode, by_what in found.items():
        key = mode.replace("-", "_")
        floors = by_what["floor"]
        phases[f"floor_{key}"] = median_round(floors)
        for name, who in (("drain", "processor"), ("drain_before", "processor_before")):
            if by_what.get(who):
                phases[f"{name}_{key}"] = median_round(by_what[who])
                phases[f"{name}_{key}"]["floor_fractions"] = round_fractions(by_what[who], floors)
        for count in _scaled(run, mode):
            many = by_what[f"processes_{count}"]
            phases[scaled_key(count)] = median_round(many) | {
                "to_one_process": scaling(many, by_what["processor"]),
                "cores": len(os.sched_getaffinity(0)),
            }
    return phases


def drain_round(
    run: Run,
    period: Sequence[rawmix.Sample],
    mode: str,
    number: int,
    *,
    tree: Path | None,
    found: dict[str, list[dict[str, Any]]],
) -> None:
    """One round of one mode; its figures are appended to `found`, by who drained."""
    short = mode.split("-", maxsplit=1)[0]

    def scaled() -> None:
        for count in _scaled(run, mode):
            backlog = preload(run, period, f"drain-{short}-{count}p-r{number}")
            name = f"processors-{count}-{mode}-r{number}"
            found.setdefault(f"processes_{count}", []).append(
                processor(run, backlog, mode, name, processes=count)
            )

    # the single processor and the several alternate which goes first, round by round
    if number % 2 == 0:
        scaled()
    backlog = preload(run, period, f"drain-{short}-r{number}")
    ours = processor(run, backlog, mode, f"processor-{mode}-r{number}")
    found.setdefault("processor", []).append(ours)
    if tree is not None:
        before = preload(run, period, f"before-{short}-r{number}")
        found.setdefault("processor_before", []).append(
            processor(run, before, mode, f"processor-before-{mode}-r{number}", tree)
        )
    factor = floor.padding_factor(
        ours["canonical_bytes"], backlog.volume.value_bytes, backlog.volume.other_bytes
    )
    found.setdefault("floor", []).append(
        run_floor(run, backlog, mode, factor, f"floor-{short}-r{number}")
    )
    if number % 2 == 1:
        scaled()


def _scaled(run: Run, mode: str) -> list[int]:
    """The counts of processors that drain beside the single one, in this mode."""
    return [n for n in run.options.processes if n > 1] if mode == SCALED_MODE else []
