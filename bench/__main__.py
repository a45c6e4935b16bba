"""`make bench`: every phase against a real broker, a table, and the figures as JSON.

python -m bench [--quick] [--phases http,scaling,drain,normalizers,rebalance,e2e,trace,poll]
                [--rounds N] [--regimes 32,200] [--bodies mix,small,typical] [--processes 1,2]
                [--compare-with REF] [--no-peer] [--no-compiled] [--note TEXT]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import uvloop

from bench import (
    broker,
    drain,
    endtoend,
    loadtest,
    machine,
    mix,
    normalizers,
    pollfeed,
    rebalance,
    report,
    tracecost,
    wrk,
)
from bench.context import RESULTS, Options, Run, say

PHASES = ("http", "scaling", "drain", "normalizers", "rebalance", "e2e", "trace", "poll")
QUICK = Options(
    duration_s=5,
    warmup_s=2,
    drain_records=10_000,
    rebalance_records=60_000,
    normalizer_seconds=0.2,
    e2e_seconds=5,
    e2e_warmup_s=1,
    poll_entities=10_000,
)
BUSY_LOAD_PER_CORE = 0.25


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    defaults = Options()
    parser.add_argument(
        "--phases", default=",".join(PHASES), help=f"comma-separated subset of {','.join(PHASES)}"
    )
    parser.add_argument("--quick", action="store_true", help="short phases, for trying it out")
    parser.add_argument(
        "--duration", type=float, help=f"seconds per wrk measurement [{defaults.duration_s:.0f}]"
    )
    parser.add_argument(
        "--regimes",
        default=",".join(str(c) for c in defaults.regimes),
        help="comma-separated wrk connection counts, each measured for every server",
    )
    parser.add_argument(
        "--rounds", type=int, default=defaults.rounds, help="alternated rounds per regime"
    )
    parser.add_argument(
        "--compare-with",
        default="",
        metavar="REF",
        help="also measure the ingress of this git commit, side by side",
    )
    parser.add_argument(
        "--no-peer", action="store_true", help="leave out the FastAPI peer receiver"
    )
    parser.add_argument(
        "--no-compiled",
        action="store_true",
        help="leave out the compiled receiver (bench/goreceiver, built with Go)",
    )
    parser.add_argument(
        "--bodies",
        default=",".join(defaults.bodies),
        help="the HTTP loads: mix (every provider's samples), small and typical (one Zubie "
        "body of about 360 and 1,382 bytes)",
    )
    parser.add_argument("--threads", type=int, default=defaults.threads, help="wrk threads")
    parser.add_argument("--drain-records", type=int, help=f"[{defaults.drain_records}]")
    parser.add_argument(
        "--drain-rounds",
        type=int,
        default=defaults.drain_rounds,
        help="rounds of processor and floor, alternated, per delivery mode",
    )
    parser.add_argument(
        "--drain-providers",
        default="",
        help="comma-separated providers of the drain's mix [every provider with a normalizer]",
    )
    parser.add_argument(
        "--processes",
        default=",".join(str(n) for n in defaults.processes),
        help="processor counts that drain exactly once in one consumer group, each beside the "
        "single processor of the same round; 1 alone leaves the others out",
    )
    parser.add_argument("--rebalance-records", type=int, help=f"[{defaults.rebalance_records}]")
    parser.add_argument(
        "--normalizer-seconds",
        type=float,
        help=f"CPU seconds per provider's normalizer [{defaults.normalizer_seconds}]",
    )
    parser.add_argument("--e2e-rate", type=float, default=defaults.e2e_rate)
    parser.add_argument("--e2e-seconds", type=float, help=f"[{defaults.e2e_seconds:.0f}]")
    parser.add_argument(
        "--keep-topics", action="store_true", help="leave this run's topics on the broker"
    )
    parser.add_argument("--note", default="", help="a remark stored with the figures")
    return parser


def _options(args: argparse.Namespace) -> Options:
    base = QUICK if args.quick else Options()
    return Options(
        duration_s=args.duration or base.duration_s,
        warmup_s=base.warmup_s,
        regimes=tuple(int(c) for c in args.regimes.split(",") if c.strip()),
        rounds=args.rounds,
        peer=not args.no_peer,
        compiled=not args.no_compiled,
        bodies=_bodies(args.bodies),
        compare_with=args.compare_with,
        threads=args.threads,
        drain_records=args.drain_records or base.drain_records,
        drain_rounds=max(1, args.drain_rounds),
        drain_providers=tuple(p.strip() for p in args.drain_providers.split(",") if p.strip()),
        processes=process_counts(args.processes),
        rebalance_records=args.rebalance_records or base.rebalance_records,
        normalizer_seconds=args.normalizer_seconds or base.normalizer_seconds,
        drain_timeout_s=base.drain_timeout_s,
        e2e_rate=args.e2e_rate,
        e2e_seconds=args.e2e_seconds or base.e2e_seconds,
        e2e_warmup_s=base.e2e_warmup_s,
        keep_topics=args.keep_topics,
        poll_entities=base.poll_entities,
    )


def process_counts(given: str) -> tuple[int, ...]:
    """The processor counts, 1 included: the single processor is what the others are over."""
    try:
        counts = {int(n) for n in given.split(",") if n.strip()}
    except ValueError:
        counts = set()
    if not counts or min(counts) < 1:
        raise SystemExit(
            f"bench: --processes takes counts of processors such as 1,2, not {given!r}"
        )
    return tuple(sorted(counts | {1}))


def _bodies(given: str) -> tuple[str, ...]:
    chosen = tuple(b.strip() for b in given.split(",") if b.strip())
    unknown = sorted(set(chosen) - {loadtest.MIX, *mix.BODIES})
    if unknown or not chosen:
        known = ", ".join([loadtest.MIX, *mix.BODIES])
        raise SystemExit(f"bench: --bodies takes some of {known}, not {given!r}")
    return chosen


def attempt(run: Run, name: str, phase: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a phase; a failure is reported in the figures and the next phase still runs."""
    try:
        return phase()
    except Exception as exc:
        run.file(f"{name}-error.txt").write_text(traceback.format_exc(), encoding="utf-8")
        say(f"{name}: FAILED: {type(exc).__name__}: {str(exc)[:500]}")
        return {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}


def _phases(run: Run, chosen: list[str], stack: ExitStack) -> dict[str, dict[str, Any]]:
    """Every chosen phase in turn; a failed one is reported in its place."""
    phases: dict[str, dict[str, Any]] = {}
    if "http" in chosen:
        phases["http"] = attempt(run, "http", lambda: loadtest.http(run))
    if "scaling" in chosen:
        phases["ingress_2_workers"] = attempt(
            run, "ingress-2-workers", lambda: loadtest.ingress(run, 2)
        )
    tree = (
        _tree(run.options.compare_with, stack)
        if {"drain", "normalizers", "rebalance"} & set(chosen)
        else None
    )
    if "drain" in chosen:
        found = attempt(run, "drain", lambda: drain.drain(run, tree))
        phases.update(found if "error" not in found else {"drain_exactly_once": found})
    if "normalizers" in chosen:
        phases["normalizers"] = attempt(
            run, "normalizers", lambda: normalizers.normalizers(run, tree)
        )
    if "rebalance" in chosen:
        phases["rebalance"] = attempt(run, "rebalance", lambda: rebalance.rebalance(run))
        if tree is not None:
            phases["rebalance_before"] = attempt(
                run,
                "rebalance-before",
                lambda: rebalance.rebalance(run, tree, "rebalance-before"),
            )
    if "e2e" in chosen:
        phases["e2e"] = attempt(run, "e2e", lambda: endtoend.endtoend(run))
    if "trace" in chosen:
        phases["trace"] = attempt(run, "trace", lambda: tracecost.tracecost(run))
    if "poll" in chosen:
        phases["poll"] = attempt(run, "poll", lambda: pollfeed.poll(run))
    return phases


def main() -> int:
    args = _parser().parse_args()
    # the harness's own clients retry through a new topic's leader election; no noise
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    chosen = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = sorted(set(chosen) - set(PHASES))
    if unknown:
        raise SystemExit(f"bench: unknown phase(s) {', '.join(unknown)}; use {', '.join(PHASES)}")
    options = _options(args)
    started = time.monotonic()
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%dT%H%M%SZ")
    workdir = RESULTS / stamp
    workdir.mkdir(parents=True, exist_ok=True)

    if {"http", "scaling", "trace"} & set(chosen):
        wrk.ensure_installed()
    bootstrap = broker.bootstrap_servers()
    say(f"broker {bootstrap}; logs and scripts in {workdir}")
    sources_path = workdir / "sources.toml"
    sources = mix.write_sources(sources_path)
    run = Run(bootstrap, now.strftime("%Y%m%dt%H%M%S"), workdir, sources_path, sources, options)
    described = machine.describe(bootstrap)
    providers = sorted({s.provider for s in sources.values()})
    say(f"providers in the mix: {', '.join(providers)}")

    with ExitStack() as stack:
        phases = _phases(run, chosen, stack)
    if not options.keep_topics:
        deleted = uvloop.run(broker.delete_topics(run.bootstrap, f"bench{run.run_id}"))
        say(f"deleted this run's {deleted} topics (--keep-topics keeps them)")

    results: dict[str, Any] = {
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "run_id": run.run_id,
        "note": _note(args.note, described),
        "machine": described,
        "providers": providers,
        "options": vars(args) | {"resolved": options.__dict__},
        "phases": phases,
        "seconds": round(time.monotonic() - started, 1),
    }
    results["ratios"] = report.derived(results)
    results["targets"] = report.target_dicts(results)
    (RESULTS / f"{stamp}.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (RESULTS / f"{stamp}.md").write_text(report.markdown(results), encoding="utf-8")
    print(report.table(results))
    say(f"figures in {RESULTS / stamp}.json, README summary in {RESULTS / stamp}.md")
    return 1 if any("error" in p for p in phases.values()) else 0


def _tree(ref: str, stack: ExitStack) -> Path | None:
    """The files of commit `ref` for the phases that run its processor beside this one."""
    if not ref:
        return None
    return loadtest.checkout(ref, Path(stack.enter_context(TemporaryDirectory())))


def _note(given: str, described: dict[str, Any]) -> str:
    load = described["load_average_at_start"][0]
    cores = described["cores"] or 1
    if load > BUSY_LOAD_PER_CORE * cores:
        busy = (
            f"the machine was busy (load average {load} on {cores} cores at start): "
            "figures are indicative only"
        )
        return f"{given}; {busy}" if given else busy
    return given


if __name__ == "__main__":
    sys.exit(main())
