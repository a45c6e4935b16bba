"""What /proc says about processes: alive or not, and which command line they run."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def alive(pid: int) -> bool:
    """True for a running (or stopped) process; a zombie is dead for our purposes.

    A JVM whose main thread has ended shows "Z" while its other threads still run (and
    still hold its ports and files): it is alive until its last thread is gone.
    """
    if state(pid) not in {"Z", "X", None}:
        return True
    try:
        tasks = [int(t.name) for t in Path(f"/proc/{pid}/task").iterdir()]
    except (OSError, ValueError):
        return False
    return any(state(pid, task) not in {"Z", "X", None} for task in tasks if task != pid)


def state(pid: int, task: int | None = None) -> str | None:
    """The state letter of a process (or of one of its threads), None when it is gone."""
    path = f"/proc/{pid}/stat" if task is None else f"/proc/{pid}/task/{task}/stat"
    try:
        # The state follows the parenthesised command name, which may itself hold spaces.
        return Path(path).read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return None


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def classpath_users(libs: Path) -> list[int]:
    """PIDs of running Kafka JVMs whose class path is `libs` (any state dir)."""
    wanted = f"{libs}/*"
    users = []
    for entry in Path("/proc").glob("[0-9]*"):
        args = cmdline(int(entry.name))
        if "kafka.Kafka" in args and wanted in args and int(entry.name) != os.getpid():
            users.append(int(entry.name))
    return sorted(users)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
