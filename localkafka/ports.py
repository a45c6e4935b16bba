"""Local ports for listeners, picked below the kernel's ephemeral range.

An outgoing connection takes its local port from the ephemeral range. A listener port
picked there (say by binding port 0) is free at the moment of the pick, but any client's
connection may take it before a JVM gets round to binding it seconds later, and a killed
node's port may be taken the same way before its restart. Such a port looks free to a
connect() probe (refused) yet cannot be listened on: the broker exits at startup with
"Address already in use". Ports below the range are never handed out to connections.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

from localkafka.config import HOST
from localkafka.errors import LauncherError

EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LINUX_DEFAULT_EPHEMERAL = (32768, 60999)
# Ports below are the well-known and popular registered ones (Kafka's own 9092 among them).
LOWEST = 10000
# Fewer candidates than this outside the ephemeral range: pick anywhere from LOWEST up.
MIN_CANDIDATES = 1000
ATTEMPTS_PER_PORT = 200

# Not the `random` module: test runners reseed it, and every test would then try the same
# ports in the same order.
_rng = random.SystemRandom()


def ephemeral_range(path: Path = EPHEMERAL_RANGE_FILE) -> tuple[int, int]:
    """The (low, high) ports the kernel gives outgoing connections."""
    try:
        low, high = (int(field) for field in path.read_text().split())
    except (OSError, ValueError):
        return LINUX_DEFAULT_EPHEMERAL
    return low, high


def candidates(ephemeral: tuple[int, int]) -> range:
    """The ports to pick from: outside the ephemeral range where it leaves room enough."""
    low, high = ephemeral
    below = range(LOWEST, low)
    above = range(max(high + 1, LOWEST), 65536)
    for pool in (below, above):
        if len(pool) >= MIN_CANDIDATES:
            return pool
    return range(LOWEST, 65536)  # racy as any pick there, but a pick


def bindable(port: int, host: str = HOST) -> bool:
    """True if a listener could bind `port` now (nothing listens on it, no connection holds it).

    SO_REUSEADDR as the JVM and aiohttp set it: a closed socket in TIME_WAIT does not block.
    """
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def free_ports(count: int, host: str = HOST) -> list[int]:
    """`count` distinct ports a listener can bind now, outside the ephemeral range."""
    pool = candidates(ephemeral_range())
    picked: list[int] = []
    for _ in range(ATTEMPTS_PER_PORT * count):
        port = _rng.choice(pool)
        if port not in picked and bindable(port, host):
            picked.append(port)
            if len(picked) == count:
                return picked
    raise LauncherError(
        f"found only {len(picked)} of {count} free ports in {pool.start}-{pool.stop - 1}: "
        "free some, or choose the ports yourself with KAFKA_PORT"
    )


def free_port(host: str = HOST) -> int:
    """One port for a listener (a test's or a benchmark's server)."""
    [port] = free_ports(1, host)
    return port
