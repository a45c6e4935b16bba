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
import sysconfig
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import uvloop

from bench import broker, compiled, mix, services, tools, wrk
from bench.context import Run, say
from fleetwire.topics import TopicNames
from localkafka.ports import free_port

RATE_FRACTION = 0.8
MIX = "mix"
# The peers that take part in each kind of load: the FastAPI peer stays with the mix (its
# figures are what they were), the compiled receiver verifies only the sized bodies.
MIX_ONLY = frozenset({"peer"})
SIZED_ONLY = frozenset({"compiled"})


def script(run: Run, name: str, rate: float | None = None, body: str = MIX) -> Path:
    """A fresh wrk script, signed now: Svix-style timestamps are only good for 5 minutes.

    `body` is the request mix of every provider, or one of `mix.BODIES` sizes.
    """
    now = time.time()
    if body == MIX:
        requests = mix.signed_mix(run.sources, now)
    else:
        requests = mix.signed_body(run.sources, mix.BODIES[body](), now)
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
    body: str = MIX,
) -> dict[str, Any]:
    options = run.options
    if connections is None:
        connections = options.connections if rate is None else options.paced_connections
    load = {"connections": connections, "threads": options.threads}
    if rate is None:
        say(f"{name}: warming up {options.warmup_s:.0f}s")
        warmup = script(run, f"{name}-warmup", body=body)
        wrk.run(url, warmup, duration_s=options.warmup_s, **load)
    what = "full speed" if rate is None else f"{rate:,.0f} requests/s offered"
    say(f"{name}: measuring {options.duration_s:.0f}s at {what}")
    lua = script(run, name, rate, body)
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
        *("--app-site", sysconfig.get_paths()["purelib"]),
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


def _start_compiled(run: Run) -> tuple[services.Service, str] | None:
    """The compiled receiver, or None (with the reason said) when it cannot be built."""
    try:
        binary = compiled.build()
    except compiled.Unavailable as exc:
        say(f"compiled peer: {exc}")
        return None
    prefix = run.prefix("compiled")
    uvloop.run(broker.create_topics(run.bootstrap, prefix))
    return compiled.start(run, binary, TopicNames(prefix).raw(compiled.PROVIDER))


def _takes_part(server: str, body: str) -> bool:
    return not (server in MIX_ONLY and body != MIX) and not (server in SIZED_ONLY and body == MIX)


Servers = dict[str, tuple[services.Service, str]]


def _start_peers(run: Run, servers: Servers, result: dict[str, Any]) -> None:
    """The FastAPI peer (with the mix) and the compiled receiver (with the sized bodies);
    either one that cannot start is left out, and the result says why."""
    if run.options.peer and MIX in run.options.bodies:
        peer = run.prefix("peer")
        uvloop.run(broker.create_topics(run.bootstrap, peer))
        try:
            servers["peer"] = start_peer(run, peer)
        except RuntimeError as exc:  # a peer is a comparison, not what is measured
            say(f"peer: left out, it did not start: {str(exc)[:800]}")
            result["peer_skipped"] = str(exc)[:300]
    if run.options.compiled and any(b != MIX for b in run.options.bodies):
        started = _start_compiled(run)
        if started is None:
            result["compiled_skipped"] = "Go or its modules unavailable (see the log)"
        else:
            servers["compiled"] = started


def _rounds(run: Run, servers: Servers) -> dict[tuple[str, int], dict[str, dict[str, Any]]]:
    """Every server that takes part, per body and regime, each round in turn; the medians."""
    rounds: dict[tuple[str, int], dict[str, list[dict[str, Any]]]] = {
        (b, c): {name: [] for name in servers if _takes_part(name, b)}
        for b in run.options.bodies
        for c in run.options.regimes
    }
    for number in range(1, run.options.rounds + 1):
        for (body, connections), by_server in rounds.items():
            for name, found in by_server.items():
                service, url = servers[name]
                tag = "" if body == MIX else f"-{body}"
                label = f"{name}{tag}-c{connections}-r{number}"
                figures = measure(run, service, url, label, connections=connections, body=body)
                figures["load_average"] = _load_average()
                found.append(figures)
    return {
        key: {name: _median(found) for name, found in by_server.items()}
        for key, by_server in rounds.items()
    }


def http(run: Run) -> dict[str, Any]:
    """The ceiling, the ingress and the peers, for each body and regime, every round."""
    servers: Servers = {}
    stack = ExitStack()
    result: dict[str, Any] = {"rounds": run.options.rounds}
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
        _start_peers(run, servers, result)
        medians = _rounds(run, servers)
        if MIX in run.options.bodies:
            result["regimes"] = {str(c): found for (b, c), found in medians.items() if b == MIX}
        result["bodies"] = {
            body: {
                "bytes": len(mix.BODIES[body]()),
                "regimes": {str(c): found for (b, c), found in medians.items() if b == body},
            }
            for body in run.options.bodies
            if body != MIX
        }
        busiest = result.get("regimes", {}).get(str(max(run.options.regimes)), {}).get("ingress")
        if busiest is not None and busiest["rps"] > 0:
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
