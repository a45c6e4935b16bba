"""What every phase shares: the broker, the run's names and files, options, progress."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ingress.sources import Source

RESULTS = Path(__file__).resolve().parent / "results"
_STARTED = time.monotonic()


def say(message: str) -> None:
    """A progress line, with the time since the benchmark started."""
    print(f"[{time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Options:
    duration_s: float = 15.0  # each wrk measurement
    warmup_s: float = 3.0
    # Providers send with whatever concurrency they like: a moderate one, where the
    # ingress waits on Kafka with few requests per batch, and one that saturates every
    # server (the ceiling answers at once, the ingress only after Kafka's acknowledgement).
    regimes: tuple[int, ...] = (32, 200)
    rounds: int = 1  # measurements of each server in each regime, alternated
    peer: bool = True  # the hand-written FastAPI receiver beside the ingress
    compiled: bool = True  # the compiled receiver (bench/goreceiver) with the sized bodies
    # "mix": every provider's samples; "small"/"typical": one Zubie body at two sizes
    bodies: tuple[str, ...] = ("mix", "small", "typical")
    compare_with: str = ""  # a git ref whose ingress is measured beside this one
    # a paced run needs spare connections, or slow answers would hold sends back
    paced_connections: int = 200
    connections: int = 200  # make profile's wrk
    threads: int = 1
    drain_records: int = 100_000
    drain_rounds: int = 2  # processor and floor alternated, per delivery mode
    drain_providers: tuple[str, ...] = ()  # the raw-record mix: every provider when empty
    # processors in one group that drain exactly once beside the single one (which always runs)
    processes: tuple[int, ...] = (1, 2)
    rebalance_records: int = 200_000  # enough to outlast a second process's start
    normalizer_seconds: float = 0.5  # CPU time spent per provider's samples
    drain_timeout_s: float = 120.0
    e2e_rate: float = 1000.0
    e2e_seconds: float = 15.0
    e2e_warmup_s: float = 2.0
    keep_topics: bool = False
    poll_entities: int = 50_000  # per feed, four feeds


@dataclass(frozen=True)
class Run:
    bootstrap: str
    run_id: str  # lowercase letters and digits: it goes into topic names and markers
    workdir: Path  # logs, scripts and the sources file of this run
    sources_path: Path
    sources: dict[str, Source]
    options: Options

    def prefix(self, phase: str) -> str:
        return f"bench{self.run_id}.{phase}"

    def file(self, name: str) -> Path:
        return self.workdir / name
