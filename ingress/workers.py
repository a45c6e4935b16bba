"""Several ingress worker processes on one host (`FLEETWIRE_WORKERS`).

Each worker is a whole ingress: its own event loop, Kafka producer and listeners. They
bind the webhook port and the admin port together with SO_REUSEPORT, so the kernel
spreads connections over them and any worker can answer the admin port. `/readyz` says
ready only once every worker has reached Kafka (`ingress.peers`). `/metrics`
reports every worker together: the workers record into the prometheus_client
multiprocess directory this supervisor creates (and removes on exit), and each reads all
of it back when asked. The directory lives as long as the supervisor, so counters of
every worker that ever ran stay in the totals.

The supervisor itself handles no requests. It reserves the two ports (so that port 0
resolves to one port for every worker), starts the workers, forwards SIGTERM/SIGINT, and
exits once they have drained. A worker that dies on its own stops the whole ingress with
exit status 1: a supervisor above (systemd, Kubernetes) restarts it cleanly.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import MutableSequence, Sequence
from dataclasses import replace
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType

from prometheus_client import CollectorRegistry, multiprocess

from fleetwire import eventloop, logs
from fleetwire.errors import FleetwireError
from fleetwire.settings import Settings
from ingress.peers import Peers
from ingress.server import (
    STOP_SIGNALS,
    build_config,
    drain_grace_s,
    hold_stop_signals,
    serve,
)
from ingress.verifier import Verifiers

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Beyond the workers' own drain time: then they are killed.
STOP_MARGIN_S = 10.0


def run_workers(settings: Settings, verifiers: Verifiers) -> int:
    directory = tempfile.mkdtemp(prefix="fleetwire-ingress-metrics-")
    # prometheus_client picks its multiprocess mode when a process imports it, so the
    # workers must inherit the variable: they are spawned, never forked.
    os.environ[MULTIPROC_ENV] = directory
    reserved = [
        reserve_port(settings.http_host, settings.http_port),
        reserve_port(settings.http_host, settings.admin_port_for("ingress")),
    ]
    try:
        shared = replace(
            settings,
            http_port=reserved[0].getsockname()[1],
            admin_port=reserved[1].getsockname()[1],
        )
        return _supervise(shared, verifiers, directory)
    finally:
        for sock in reserved:
            sock.close()
        shutil.rmtree(directory, ignore_errors=True)


def reserve_port(host: str, port: int) -> socket.socket:
    """A bound, never listening SO_REUSEPORT socket: it holds the port number for the
    workers (they bind it too) without ever being handed a connection."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise FleetwireError(f"cannot bind {host}:{port}: {exc.strerror}") from None
    return sock


def _supervise(settings: Settings, verifiers: Verifiers, directory: str) -> int:
    context = multiprocessing.get_context("spawn")
    # One flag per worker, set once it has reached Kafka (ingress.peers).
    connected = context.RawArray("b", settings.workers)
    workers = [
        context.Process(
            target=worker_main,
            # Verifier classes travel by their import path: each worker imports them.
            args=(settings, dict(verifiers), directory, index, connected),
            name=f"ingress-{index}",
        )
        for index in range(settings.workers)
    ]
    stopping: list[int] = []

    def on_signal(signum: int, _: FrameType | None) -> None:
        stopping.append(signum)

    # The signal also writes to `wake`, so the wait below returns at once: every moment
    # between SIGTERM and the workers' closing their listeners, new requests still land.
    wake, wake_writer = socket.socketpair()
    wake_writer.setblocking(False)
    previous_fd = signal.set_wakeup_fd(wake_writer.fileno())
    previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}
    try:
        for worker in workers:
            worker.start()
        log.info(
            "ingress: starting %d workers on port %d, admin port %d",
            len(workers),
            settings.http_port,
            settings.admin_port_for("ingress"),
        )
        failed = _wait_for_stop_or_failure(workers, stopping, wake)
        _stop(workers, settings)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(previous_fd)
        wake.close()
        wake_writer.close()
    if failed is not None:
        log.error(
            "ingress worker %s exited with %s; stopped the others", failed.name, failed.exitcode
        )
        return 1
    return 0 if all(_stopped_cleanly(worker) for worker in workers) else 1


def _stopped_cleanly(worker: BaseProcess) -> bool:
    # Ended by the stop signal itself: the worker was still starting. It installs its
    # handlers before it listens, so it had not accepted a single request.
    return worker.exitcode in {0, -signal.SIGTERM, -signal.SIGINT}


def _wait_for_stop_or_failure(
    workers: Sequence[BaseProcess], stopping: list[int], wake: socket.socket
) -> BaseProcess | None:
    """Block until a signal asks to stop (None) or a worker exits on its own (that one)."""
    while not stopping:
        if wake in wait([wake, *(worker.sentinel for worker in workers)]):
            wake.recv(64)
        for worker in workers:
            if worker.exitcode is not None:
                return worker
    return None


def _stop(workers: Sequence[BaseProcess], settings: Settings) -> None:
    for worker in workers:
        if worker.exitcode is None and worker.pid is not None:
            os.kill(worker.pid, signal.SIGTERM)
    deadline_s = drain_grace_s(settings) + STOP_MARGIN_S
    for worker in workers:
        worker.join(deadline_s)
        if worker.exitcode is None:
            log.error("ingress worker %s did not stop in time; killing it", worker.name)
            worker.kill()
            worker.join()


def worker_main(
    settings: Settings,
    verifiers: Verifiers,
    directory: str,
    index: int,
    connected: MutableSequence[int],
) -> None:
    """One worker process: a whole ingress reporting into the shared metrics directory."""
    hold_stop_signals()
    logs.configure(settings.log_format, settings.log_level)
    try:
        config = build_config(settings, verifiers)
    except FleetwireError as exc:
        print(f"fleetwire: error: {exc}", file=sys.stderr)
        sys.exit(2)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    log.info("ingress worker %d started (pid %d)", index, os.getpid())
    peers = Peers(connected, index)
    eventloop.run(serve(settings, config, registry, shared_admin_port=True, peers=peers))
