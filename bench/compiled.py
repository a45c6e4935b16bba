"""The compiled receiver (bench/goreceiver): built from source, then run as a peer.

Go builds it into `bench/results/bin/`, with its modules from the Go module proxy; it
is the benchmark's, never part of fleetwire. It verifies only Zubie's signature, so the
HTTP phase sends it Zubie bodies. When Go or its modules are unavailable the phase says
why and goes on without it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from bench import services
from bench.context import RESULTS, Run, say
from localkafka.ports import free_port

SOURCE = Path(__file__).resolve().parent / "goreceiver"
BINARY = RESULTS / "bin" / "goreceiver"
PROVIDER = "zubie"
BUILD_TIMEOUT_S = 600


class Unavailable(Exception):
    """The compiled receiver could not be built here; the reason says what to do."""


def build() -> Path:
    """`go build` the receiver (Go caches, so a second build costs a second or two)."""
    go = shutil.which("go")
    if go is None:
        raise Unavailable("Go is not installed (https://go.dev/dl/); the compiled peer is skipped")
    BINARY.parent.mkdir(parents=True, exist_ok=True)
    say("compiled peer: go build (modules from the Go module proxy)")
    try:
        done = subprocess.run(  # noqa: S603 - go with fixed arguments
            [go, "build", "-trimpath", "-o", str(BINARY), "."],
            cwd=SOURCE,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
            check=False,
            env={**os.environ, "CGO_ENABLED": "0"},
        )
    except subprocess.TimeoutExpired as exc:
        raise Unavailable(
            f"go build took over {BUILD_TIMEOUT_S}s; the compiled peer is skipped"
        ) from exc
    if done.returncode != 0:
        raise Unavailable(
            "go build failed (are the module proxy and its modules reachable? GOPROXY="
            f"{os.environ.get('GOPROXY', 'default')}); the compiled peer is skipped:\n"
            + done.stderr[-1500:]
        )
    return BINARY


def start(run: Run, binary: Path, topic: str) -> tuple[services.Service, str]:
    """The receiver on one core (GOMAXPROCS=1), writing Zubie bodies to `topic`."""
    source = next(s for s in run.sources.values() if s.provider == PROVIDER)
    port = free_port()
    args = [
        str(binary),
        *("-addr", f"127.0.0.1:{port}", "-brokers", run.bootstrap, "-topic", topic),
        *("-source", source.name, "-provider", PROVIDER),
    ]
    env = {
        "GOMAXPROCS": "1",
        "PATH": os.environ.get("PATH", ""),
        "RECEIVER_SECRETS": "\n".join(secret.value for secret in source.secrets),
    }
    service = services.Service("compiled", args, env, run.file("compiled.log"))
    url = f"http://127.0.0.1:{port}"
    try:
        service.wait_http(f"{url}/healthz")
    except Exception:
        service.stop()
        raise
    return service, url
