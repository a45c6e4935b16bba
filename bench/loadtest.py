"""The HTTP phases: the ingress beside its ceiling and a peer under wrk, and 2 workers.

`http` starts the ceiling, the ingress (one worker) and the peer side by side, then for
each round and each regime of connections (`Options.regimes`) measures each of them in
turn, so that all the figures of a regime come from the same minutes of a shared
machine. Each measurement is warmed up first. The ingress is then measured again at 80%
of its maximum rate (the median over rounds with the most connections), where its
latency is judged. `--compare-with REF` adds an ingress built from another commit.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import uvloop

from bench import broker, mix, services, tools, wrk
from bench.context import Run, say
from localkafka.ports import free_port

RATE_FRACTION = 0.8


def script(run: Run, name: str, rate: float | None = None) -> Path:
    """A fresh wrk script, signed now: Svix-style timestamps are only good for 5 minutes."""
    requests = mix.signed_mix(run.sources, time.time())
    path = run.file(f"{name}.lua")
    per_thread = None if rate is None else rate / run.options.threads
    path.write_text(wrk.lua_script(requests, per_thread), encoding="utf-8")
    return path


def measure(
    run: Run,
    service: services.Service,
    url: str,
    name: str,
    rate: float | None = None,
    *,
    connections: int | None = None,
) -> dict[str, Any]:
    options = run.options
    if connections is None:
        connections = options.connections if rate is None else options.paced_connections
    load = {"connections": connections, "threads": options.threads}
    if rate is None:
        say(f"{name}: warming up {options.warmup_s:.0f}s")
        wrk.run(url, script(run, f"{name}-warmup"), duration_s=options.warmup_s, **load)
    what = "full speed" if rate is None else f"{rate:,.0f} requests/s offered"
    say(f"{name}: measuring {options.duration_s:.0f}s at {what}")
    lua = script(run, name, rate)
    cpu_before = service.cpu_s()
    done = wrk.run(url, lua, duration_s=options.duration_s, **load)
    server_cpu = service.cpu_s() - cpu_before
    result = done.result
    say(
        f"{name}: {result.rps:,.0f} requests/s, p99 {result.latency_ms['p99']:.1f} ms, "
        f"{result.error_count} errors"
    )
    return {
        "requests": result.requests,
        "duration_s": round(result.duration_s, 3),
        "rps": round(result.rps, 1),
        "offered_rps": None if rate is None else round(rate, 1),
        "latency_ms": result.latency_ms,
        "errors": result.error_count,
        "error_detail": result.errors,
        "server_processes": service.processes(),
        "server_cpu_percent": round(100 * server_cpu / result.duration_s, 1),
        # CPU per request moves less than requests/s when other work shares the machine
        "server_cpu_us_per_request": round(1e6 * server_cpu / max(result.requests, 1), 1),
        "loadgen_cpu_percent": round(100 * done.cpu_s / result.duration_s, 1),
        **load,
    }


def start_ceiling(run: Run) -> tuple[services.Service, str]:
    port = free_port()
    service = services.python_module(
        "ceiling",
        "bench.ceiling",
        ["--sources", str(run.sources_path), "--port", str(port)],
        {},
        run.file("ceiling.log"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        service.wait_http(f"{url}/healthz")
    except Exception:
        service.stop()
        raise
    return service, url


def start_peer(run: Run, prefix: str) -> tuple[services.Service, str]:
    """The hand-written FastAPI receiver, from the benchmark's own virtualenv."""
    python = tools.bench_venv() / "python"
    port = free_port()
    args = [
        str(python),
        "-m",
        "bench.peer",
        *("--sources", str(run.sources_path), "--port", str(port)),
        *("--bootstrap", run.bootstrap, "--prefix", prefix),
    ]
    env = {"PYTHONPATH": str(services.ROOT)}
    service = services.Service("peer", args, env, run.file("peer.log"))
    url = f"http://127.0.0.1:{port}"
    try:
        service.wait_http(f"{url}/healthz")
    except Exception:
        service.stop()
        raise
    return service, url


def checkout(ref: str, into: Path) -> Path:
    """The files of commit `ref`, to run an earlier ingress beside this one.

    Outside the repository, where linters and test collection would find a second copy.
    """
    tree = into / "tree"
    tree.mkdir()
    archive = subprocess.run(  # noqa: S603 - git with a ref given on our command line
        ["git", "archive", "--format=tar", ref],  # noqa: S607
        cwd=services.ROOT,
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)  # noqa: S603,S607
    return tree


def start_ingress(
    run: Run, prefix: str, workers: int, name: str | None = None, tree: Path | None = None
) -> tuple[services.Service, str]:
    port, admin = free_port(), free_port()
    extra = {} if tree is None else {"PYTHONPATH": str(tree)}
    env = services.fleetwire_env(
        run.bootstrap,
        prefix,
        run.sources_path,
        FLEETWIRE_HTTP_PORT=str(port),
        FLEETWIRE_ADMIN_PORT=str(admin),
        FLEETWIRE_WORKERS=str(workers),
        **extra,
    )
    name = name or f"ingress-w{workers}"
    service = services.fleetwire(name, ["ingress"], env, run.file(f"{name}.log"))
    try:
        service.wait_http(f"http://127.0.0.1:{admin}/readyz")
    except Exception:
        service.stop()
        raise
    return service, f"http://127.0.0.1:{port}"


def ingress(run: Run, workers: int) -> dict[str, Any]:
    """The ingress with `workers` processes, at full speed with the most connections."""
    prefix = run.prefix(f"ingress-w{workers}")
    uvloop.run(broker.create_topics(run.bootstrap, prefix))
    service, url = start_ingress(run, prefix, workers)
    try:
        connections = max(run.options.regimes)
        full = measure(run, service, url, f"ingress-w{workers}", connections=connections)
        return {"full_speed": full}
    finally:
        service.stop()


def http(run: Run) -> dict[str, Any]:
    """The ceiling, the ingress and the peer, each regime in turn, for every round."""
    servers: dict[str, tuple[services.Service, str]] = {}
    stack = ExitStack()
    try:
        servers["ceiling"] = start_ceiling(run)
        prefix = run.prefix("ingress-w1")
        uvloop.run(broker.create_topics(run.bootstrap, prefix))
        servers["ingress"] = start_ingress(run, prefix, 1)
        if run.options.compare_with:
            tree = checkout(
                run.options.compare_with, Path(stack.enter_context(TemporaryDirectory()))
            )
            before = run.prefix("ingress-before")
            uvloop.run(broker.create_topics(run.bootstrap, before))
            servers["ingress_before"] = start_ingress(run, before, 1, "ingress-before", tree)
        if run.options.peer:
            peer = run.prefix("peer")
            uvloop.run(broker.create_topics(run.bootstrap, peer))
            servers["peer"] = start_peer(run, peer)
        rounds: dict[int, dict[str, list[dict[str, Any]]]] = {
            c: {name: [] for name in servers} for c in run.options.regimes
        }
        for number in range(1, run.options.rounds + 1):
            for connections in run.options.regimes:
                for name, (service, url) in servers.items():
                    label = f"{name}-c{connections}-r{number}"
                    figures = measure(run, service, url, label, connections=connections)
                    figures["load_average"] = _load_average()
                    rounds[connections][name].append(figures)
        regimes = {
            str(c): {name: _median(found) for name, found in by_server.items()}
            for c, by_server in rounds.items()
        }
        busiest = regimes[str(max(run.options.regimes))]["ingress"]
        result: dict[str, Any] = {"rounds": run.options.rounds, "regimes": regimes}
        if busiest["rps"] > 0:
            service, url = servers["ingress"]
            rate = RATE_FRACTION * busiest["rps"]
            paced = measure(run, service, url, "ingress-80pct", rate)
            paced["load_average"] = _load_average()
            result["ingress_at_80_percent"] = paced
        return result
    finally:
        for service, _ in servers.values():
            service.stop()
        stack.close()


def _median(found: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The round with the median requests/s, and every round's main figures beside it."""
    ordered = sorted(found, key=lambda f: f["rps"])
    middle = dict(ordered[(len(ordered) - 1) // 2])
    middle["rounds"] = [
        {
            "rps": f["rps"],
            "p99_ms": f["latency_ms"]["p99"],
            "cpu_us_per_request": f["server_cpu_us_per_request"],
            "errors": f["errors"],
            "load_average": f.get("load_average"),
        }
        for f in found
    ]
    middle["cpu_us_per_request_median"] = statistics.median(
        f["server_cpu_us_per_request"] for f in found
    )
    return middle


def _load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
