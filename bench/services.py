"""The processes under test: started as an operator would, stopped, and their CPU time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

FLEETWIRE = Path(sys.executable).parent / "fleetwire"
ROOT = Path(__file__).resolve().parent.parent  # `python -m bench.*` resolves from here
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def fleetwire_env(bootstrap: str, prefix: str, sources: Path, **extra: str) -> dict[str, str]:
    """The environment of a fleetwire process: nothing of the caller's FLEETWIRE_* leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEETWIRE_")}
    env.update(
        {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "FLEETWIRE_TOPIC_PREFIX": prefix,
            "FLEETWIRE_SOURCES": str(sources),
            "FLEETWIRE_HTTP_HOST": "127.0.0.1",
        }
    )
    env.update(extra)
    return env


class Service:
    """A long-running child process with its output in a log file."""

    def __init__(self, name: str, args: Sequence[str], env: Mapping[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self._file = log.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own commands
            list(args), env=dict(env), stdout=self._file, stderr=subprocess.STDOUT, cwd=ROOT
        )
        self.started = time.monotonic()

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_http(self, url: str, timeout_s: float = 60) -> None:
        """Wait until `url` answers 200; raise with the log's tail if it never does."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.tail()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name}: {url} not ready after {timeout_s:.0f}s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        self._file.flush()
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def cpu_s(self) -> float:
        return tree_cpu_s(self.pid)

    def processes(self) -> int:
        return len(descendants(self.pid)) + 1

    def stop(self, timeout_s: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._file.close()
        return self.process.returncode


def fleetwire(name: str, command: Sequence[str], env: Mapping[str, str], log: Path) -> Service:
    return Service(name, [str(FLEETWIRE), *command], env, log)


def python_module(
    name: str, module: str, args: Sequence[str], env: Mapping[str, str], log: Path
) -> Service:
    return Service(name, [sys.executable, "-m", module, *args], env, log)


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces; fields after its ')' are fixed
    return text[text.rindex(")") + 2 :].split()


def descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                parents[int(entry.name)] = int(fields[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, p in parents.items() if p == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of `pid` and all its live descendants (Linux /proc)."""
    ticks = 0
    for member in [pid, *descendants(pid)]:
        fields = _stat(member)
        if fields is not None:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLOCK_TICKS
