"""`make profile`: sample the ingress and the processor under load with py-spy.

    python -m bench.profile [--seconds 15] [--records 150000] [--connections 200]
        [--delivery at-least-once|exactly-once] [--only ingress|ceiling|processor]

The ingress runs under wrk at full speed with the benchmark's signed mix; the processor
drains a preloaded backlog. py-spy (from PyPI; it needs ptrace, so root or
CAP_SYS_PTRACE) samples each for a while; for each, bench/results gets the collapsed
stacks (`profile-<stamp>-<what>.txt`), a flame graph (`.svg`) and a report of where the
CPU time goes (`.report.txt`).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import uvloop

from bench import broker, flamegraph, loadtest, mix, payloads, services, stacks, wrk
from bench.context import RESULTS, Options, Run, say
from bench.tools import py_spy
from fleetwire.topics import TopicNames
from localkafka.ports import free_port

SAMPLE_RATE = 200
TARGETS = ("ingress", "ceiling", "processor")


def record(pid: int, seconds: float, out: Path) -> list[stacks.Stack]:
    done = subprocess.run(  # noqa: S603 - py-spy with arguments built here
        [
            py_spy(),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(round(seconds)),
            "--rate",
            str(SAMPLE_RATE),
            "--format",
            "raw",
            "--subprocesses",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=seconds + 60,
    )
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(
            f"py-spy failed ({done.returncode}): {done.stderr.strip()[-1000:]}\n"
            "it needs ptrace: run as root or grant CAP_SYS_PTRACE"
        )
    return stacks.parse(out.read_text(encoding="utf-8"))


def write(stem: Path, title: str, sampled: list[stacks.Stack]) -> Path:
    stem.with_suffix(".svg").write_text(flamegraph.svg(sampled, title), encoding="utf-8")
    report = stem.with_suffix(".report.txt")
    report.write_text(stacks.report(title, sampled), encoding="utf-8")
    return report


def _under_wrk(
    run: Run, service: services.Service, url: str, seconds: float, stem: Path
) -> list[stacks.Stack]:
    load = {"connections": run.options.connections, "threads": run.options.threads}
    say(f"{service.name}: warming up")
    wrk.run(url, loadtest.script(run, "profile-warmup"), duration_s=3, **load)
    script = loadtest.script(run, "profile-load")
    say(f"{service.name}: sampling {seconds:.0f}s under wrk at full speed")
    generator = subprocess.Popen(  # noqa: S603 - wrk with arguments built here
        [
            shutil.which("wrk") or "wrk",
            f"-t{load['threads']}",
            f"-c{load['connections']}",
            f"-d{round(seconds + 5)}s",
            "-s",
            str(script),
            url,
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        return record(service.pid, seconds, stem.with_suffix(".txt"))
    finally:
        generator.wait(timeout=seconds + 30)


def profile_ingress(run: Run, seconds: float, stem: Path) -> Path:
    prefix = run.prefix("profile-ingress")
    uvloop.run(broker.create_topics(run.bootstrap, prefix))
    service, url = loadtest.start_ingress(run, prefix, 1)
    try:
        sampled = _under_wrk(run, service, url, seconds, stem)
    finally:
        service.stop()
    return write(stem, "fleetwire ingress under wrk", sampled)


def profile_ceiling(run: Run, seconds: float, stem: Path) -> Path:
    port = free_port()
    service = services.python_module(
        "ceiling",
        "bench.ceiling",
        ["--sources", str(run.sources_path), "--port", str(port)],
        {},
        run.file("ceiling.log"),
    )
    try:
        url = f"http://127.0.0.1:{port}"
        service.wait_http(f"{url}/healthz")
        sampled = _under_wrk(run, service, url, seconds, stem)
    finally:
        service.stop()
    return write(stem, "ceiling (bare aiohttp + uvloop, verify only) under wrk", sampled)


def profile_processor(run: Run, seconds: float, records: int, delivery: str, stem: Path) -> Path:
    prefix = run.prefix("profile-processor")
    uvloop.run(broker.create_topics(run.bootstrap, prefix))
    raw = TopicNames(prefix).raw(payloads.PROVIDER)
    say(f"processor: preloading {records:,} raw records")
    uvloop.run(broker.preload(run.bootstrap, raw, payloads.raw_records(run.run_id, records)))
    admin = free_port()
    env = services.fleetwire_env(
        run.bootstrap,
        prefix,
        run.sources_path,
        FLEETWIRE_ADMIN_PORT=str(admin),
        FLEETWIRE_DELIVERY=delivery,
    )
    service = services.fleetwire("processor", ["process"], env, run.file("processor.log"))
    try:
        service.wait_http(f"http://127.0.0.1:{admin}/readyz")
        say(f"processor: sampling {seconds:.0f}s while it drains the backlog")
        sampled = record(service.pid, seconds, stem.with_suffix(".txt"))
    finally:
        service.stop()
    return write(stem, f"fleetwire processor draining a backlog ({delivery})", sampled)


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="sampling time per process")
    parser.add_argument("--records", type=int, default=150_000, help="processor backlog")
    parser.add_argument("--only", choices=TARGETS, help="profile one of them only")
    parser.add_argument(
        "--connections", type=int, default=Options().connections, help="wrk connections"
    )
    parser.add_argument(
        "--delivery",
        choices=("at-least-once", "exactly-once"),
        default="at-least-once",
        help="the processor's delivery mode",
    )
    args = parser.parse_args()
    wrk.ensure_installed()
    py_spy()
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%dT%H%M%SZ")
    workdir = RESULTS / f"profile-{stamp}"
    workdir.mkdir(parents=True, exist_ok=True)
    bootstrap = broker.bootstrap_servers()
    sources = mix.write_sources(workdir / "sources.toml")
    run = Run(
        bootstrap,
        now.strftime("%Y%m%dt%H%M%S"),
        workdir,
        workdir / "sources.toml",
        sources,
        Options(connections=args.connections),
    )
    reports = []
    try:
        stem = RESULTS / f"profile-{stamp}"
        if args.only in (None, "ingress"):
            reports.append(profile_ingress(run, args.seconds, Path(f"{stem}-ingress")))
        if args.only in (None, "ceiling"):
            reports.append(profile_ceiling(run, args.seconds, Path(f"{stem}-ceiling")))
        if args.only in (None, "processor"):
            reports.append(
                profile_processor(
                    run, args.seconds, args.records, args.delivery, Path(f"{stem}-processor")
                )
            )
    finally:
        deleted = uvloop.run(broker.delete_topics(bootstrap, f"bench{run.run_id}"))
        say(f"deleted {deleted} topics")
    for report in reports:
        print(report.read_text(encoding="utf-8"))
        say(f"flame graph: {report.with_suffix('').with_suffix('.svg')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
