"""Phases 1, 2 and 5: the ingress and its ceiling under wrk, and the ingress with 2 workers.

Each target is warmed up, then measured at full speed; the ingress is measured again at
80% of its own maximum rate, where its latency is judged.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import uvloop

from bench import broker, mix, services, wrk
from bench.context import Run, say

RATE_FRACTION = 0.8


def script(run: Run, name: str, rate: float | None = None) -> Path:
    """A fresh wrk script, signed now: Svix-style timestamps are only good for 5 minutes."""
    requests = mix.signed_mix(run.sources, time.time())
    path = run.file(f"{name}.lua")
    per_thread = None if rate is None else rate / run.options.threads
    path.write_text(wrk.lua_script(requests, per_thread), encoding="utf-8")
    return path


def measure(
    run: Run, service: services.Service, url: str, name: str, rate: float | None = None
) -> dict[str, Any]:
    options = run.options
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


def ceiling(run: Run) -> dict[str, Any]:
    port = services.free_port()
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
        return measure(run, service, url, "ceiling")
    finally:
        service.stop()


def start_ingress(run: Run, prefix: str, workers: int) -> tuple[services.Service, str]:
    port, admin = services.free_port(), services.free_port()
    env = services.fleetwire_env(
        run.bootstrap,
        prefix,
        run.sources_path,
        FLEETWIRE_HTTP_PORT=str(port),
        FLEETWIRE_ADMIN_PORT=str(admin),
        FLEETWIRE_WORKERS=str(workers),
    )
    service = services.fleetwire(
        f"ingress x{workers}", ["ingress"], env, run.file(f"ingress-w{workers}.log")
    )
    try:
        service.wait_http(f"http://127.0.0.1:{admin}/readyz")
    except Exception:
        service.stop()
        raise
    return service, f"http://127.0.0.1:{port}"


def ingress(run: Run, workers: int, at_fraction: bool) -> dict[str, Any]:
    prefix = run.prefix(f"ingress-w{workers}")
    uvloop.run(broker.create_topics(run.bootstrap, prefix))
    service, url = start_ingress(run, prefix, workers)
    try:
        name = f"ingress-w{workers}"
        full = measure(run, service, url, name)
        result = {"full_speed": full}
        if at_fraction and full["rps"] > 0:
            rate = RATE_FRACTION * full["rps"]
            result["at_80_percent"] = measure(run, service, url, f"{name}-80pct", rate)
        return result
    finally:
        service.stop()
