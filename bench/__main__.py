"""`make bench`: every phase against a real broker, a table, and the figures as JSON.

python -m bench [--quick] [--phases http,scaling,drain,e2e,trace,poll] [--rounds N]
                [--regimes 32,200] [--compare-with REF] [--no-peer] [--note TEXT]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import uvloop

from bench import (
    broker,
    drain,
    endtoend,
    loadtest,
    machine,
    mix,
    pollfeed,
    report,
    tracecost,
    wrk,
)
from bench.context import RESULTS, Options, Run, say

PHASES = ("http", "scaling", "drain", "e2e", "trace", "poll")
QUICK = Options(
    duration_s=5,
    warmup_s=2,
    drain_records=10_000,
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
    parser.add_argument("--threads", type=int, default=defaults.threads, help="wrk threads")
    parser.add_argument("--drain-records", type=int, help=f"[{defaults.drain_records}]")
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
        compare_with=args.compare_with,
        threads=args.threads,
        drain_records=args.drain_records or base.drain_records,
        drain_timeout_s=base.drain_timeout_s,
        e2e_rate=args.e2e_rate,
        e2e_seconds=args.e2e_seconds or base.e2e_seconds,
        e2e_warmup_s=base.e2e_warmup_s,
        keep_topics=args.keep_topics,
        poll_entities=base.poll_entities,
    )


def attempt(run: Run, name: str, phase: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a phase; a failure is reported in the figures and the next phase still runs."""
    try:
        return phase()
    except Exception as exc:
        run.file(f"{name}-error.txt").write_text(traceback.format_exc(), encoding="utf-8")
        say(f"{name}: FAILED: {type(exc).__name__}: {str(exc)[:500]}")
        return {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}


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

    phases: dict[str, dict[str, Any]] = {}
    if "http" in chosen:
        phases["http"] = attempt(run, "http", lambda: loadtest.http(run))
    if "scaling" in chosen:
        phases["ingress_2_workers"] = attempt(
            run, "ingress-2-workers", lambda: loadtest.ingress(run, 2)
        )
    if "drain" in chosen:
        for mode in drain.MODES:
            key = f"drain_{mode.replace('-', '_')}"
            phases[key] = attempt(run, key, lambda mode=mode: drain.drain(run, mode))  # type: ignore[misc]
    if "e2e" in chosen:
        phases["e2e"] = attempt(run, "e2e", lambda: endtoend.endtoend(run))
    if "trace" in chosen:
        phases["trace"] = attempt(run, "trace", lambda: tracecost.tracecost(run))
    if "poll" in chosen:
        phases["poll"] = attempt(run, "poll", lambda: pollfeed.poll(run))

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
