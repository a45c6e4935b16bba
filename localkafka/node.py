"""One Kafka JVM (a combined broker and controller): start, wait, signals, pid checks."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from localkafka.config import HOST, NodePorts
from localkafka.errors import LauncherError
from localkafka.processes import alive, cmdline, port_open
from localkafka.runtime import Runtime

STARTED = "Kafka Server started"
LOG_TAIL_LINES = 40
_CAUSE = re.compile(r"^Caused by: |\] (ERROR|FATAL) ")


class Node:
    def __init__(
        self,
        ports: NodePorts,
        directory: Path,
        runtime: Runtime,
        *,
        start_timeout: float = 90,
        stop_timeout: float = 30,
        dumps_cds: bool = False,
    ) -> None:
        self.ports = ports
        self.directory = directory
        self.runtime = runtime
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self._dumps_cds = dumps_cds
        self._process: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"Node({self.id}, port {self.ports.ready_port}, pid {self.pid})"

    @property
    def id(self) -> int:
        return self.ports.id

    @property
    def client_port(self) -> int | None:
        return self.ports.client_port

    @property
    def controller_port(self) -> int:
        return self.ports.controller_port

    @property
    def address(self) -> str:
        return f"{HOST}:{self.ports.ready_port}"

    @property
    def config_file(self) -> Path:
        return self.directory / "server.properties"

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    @property
    def log_file(self) -> Path:
        return self.directory / "broker.log"

    @property
    def pid_file(self) -> Path:
        return self.directory / "broker.pid"

    @property
    def _cds_dump(self) -> Path:
        return self.directory / "cds-dump.jsa"

    @property
    def pid(self) -> int | None:
        """The JVM of this node if it is alive and really ours (a stale pid file or a reused
        pid gives None)."""
        self._reap()
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if not alive(pid):
            return None
        child = self._process
        if child is not None and child.pid == pid and child.poll() is None:
            # Our own child, perhaps not yet past exec(): its command line can still be
            # Python's for a moment on a busy machine, which is no reason to give up on it.
            return pid
        args = cmdline(pid)
        if "kafka.Kafka" not in args or args[-1] != str(self.config_file):
            return None
        return pid

    def running(self) -> bool:
        return self.pid is not None

    def answering(self) -> bool:
        return self._log_has_started() and port_open(HOST, self.ports.ready_port)

    def _log_has_started(self) -> bool:
        try:
            with self.log_file.open("rb") as log:
                return any(STARTED.encode() in line for line in log)
        except OSError:
            return False

    # ------------------------------------------------------------------ start

    def start(self, wait: bool = True) -> None:
        """Start this node's JVM unless it runs already; with `wait`, until it answers."""
        if not self.running():
            self.launch()
        if wait:
            self.wait_ready()

    def launch(self) -> None:
        """Start the JVM in the background (its own session, so it outlives the caller)."""
        self.runtime.check_java()
        if not self.config_file.is_file():
            raise LauncherError(f"no {self.config_file}: start the cluster first")
        self.pid_file.unlink(missing_ok=True)
        # Keep the previous run's log for post-mortems; the new log must not contain an
        # old "Kafka Server started" line.
        if self.log_file.exists():
            self.log_file.replace(self.log_file.with_name("broker.log.prev"))
        flags = self.runtime.cds_flags(self._cds_dump, self._dumps_cds)
        with self.log_file.open("wb") as log:
            self._process = subprocess.Popen(  # noqa: S603 - our own java command line
                self.runtime.broker_command(self.config_file, flags),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{self._process.pid}\n")

    def wait_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (self.start_timeout if timeout is None else timeout)
        while True:
            pid = self.pid
            if pid is None:
                self.pid_file.unlink(missing_ok=True)
                self.print_log_tail()
                raise LauncherError(
                    f"kafka node {self.id} exited during startup ({self.directory})"
                )
            if self.answering():
                return
            if time.monotonic() >= deadline:
                self.print_log_tail()
                self.terminate()
                raise LauncherError(
                    f"kafka node {self.id} did not answer on {self.address} within "
                    f"{self.start_timeout:.0f}s; stopped it (pid {pid})"
                )
            time.sleep(0.1)

    def print_log_tail(self) -> None:
        try:
            lines = self.log_file.read_text(errors="replace").splitlines()
        except OSError:
            print(f"(no log file at {self.log_file})", file=sys.stderr)
            return
        print(f"---- last {LOG_TAIL_LINES} lines of {self.log_file} ----", file=sys.stderr)
        for line in lines[-LOG_TAIL_LINES:]:
            print(line, file=sys.stderr)
        print("---- end of log ----", file=sys.stderr)
        causes = [line for line in lines if _CAUSE.search(line)]
        if causes:
            print(f"likely cause: {causes[-1][:300]}", file=sys.stderr)

    # ------------------------------------------------------------------ signals

    def terminate(self, timeout: float | None = None) -> bool:
        """SIGTERM, wait, then SIGKILL. True when the node stopped on its own."""
        pid = self.pid
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return True
        self._signal(pid, signal.SIGCONT)  # a paused JVM cannot act on SIGTERM
        self._signal(pid, signal.SIGTERM)
        clean = self._wait_gone(pid, self.stop_timeout if timeout is None else timeout)
        if not clean:
            print(
                f"kafka node {self.id} (pid {pid}) did not stop within "
                f"{self.stop_timeout:.0f}s; sending SIGKILL",
                file=sys.stderr,
            )
            self._signal(pid, signal.SIGKILL)
            self._wait_gone(pid, 30)
        self.pid_file.unlink(missing_ok=True)
        if clean:
            self.runtime.promote_cds_dump(self._cds_dump)
        else:
            self._cds_dump.unlink(missing_ok=True)  # possibly half written
        return clean

    def signal_terminate(self) -> int | None:
        """Send SIGTERM without waiting (to stop many nodes at once); the pid, if any."""
        pid = self.pid
        if pid is not None:
            self._signal(pid, signal.SIGCONT)
            self._signal(pid, signal.SIGTERM)
        return pid

    def kill(self) -> None:
        """SIGKILL, as a crash would; waits until the process is gone."""
        pid = self.pid
        if pid is None:
            return
        self._signal(pid, signal.SIGKILL)
        self._wait_gone(pid, 30)
        self.pid_file.unlink(missing_ok=True)
        self._cds_dump.unlink(missing_ok=True)

    def pause(self) -> None:
        """SIGSTOP: a hung node rather than a dead one."""
        self._signal(self._require_pid(), signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(self._require_pid(), signal.SIGCONT)

    def _require_pid(self) -> int:
        pid = self.pid
        if pid is None:
            raise LauncherError(f"kafka node {self.id} is not running")
        return pid

    @staticmethod
    def _signal(pid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            self._reap()
            if not alive(pid):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def _reap(self) -> None:
        # A JVM started by this process stays a zombie until waited for.
        if self._process is not None and self._process.poll() is not None:
            self._process = None
