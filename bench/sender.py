"""An open-loop HTTP/1.1 sender, light enough to keep a fixed rate from Python.

aiohttp's client costs several hundred microseconds of CPU per request, so on a small
machine it cannot hold 1,000 requests/s beside the system under test, and the time it
notes for an answer trails the answer. This sender writes pre-built requests on
keep-alive connections and reads each answer's head and body with a single call or two.
Each request has a slot on a fixed schedule; it is queued at its slot whether or not
earlier ones were answered (open loop), and whichever connection is free sends it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

HEAD_END = b"\r\n\r\n"


@dataclass(frozen=True)
class Sent:
    index: int
    status: int  # 0: no answer (connection error or timeout)
    sent_at: float  # wall clock, when the request was written
    answered_at: float  # wall clock, when the whole answer was read
    late_s: float = 0.0  # how long after its slot it was written


def http_request(host: str, path: str, headers: Mapping[str, str], body: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [
        f"{name}: {value}"
        for name, value in headers.items()
        if name.lower() not in ("host", "content-length")
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def parse_head(head: bytes) -> tuple[int, int, bool]:
    """Status, Content-Length and whether the server will close, from a response head."""
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    closing = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"connection" and value.strip().lower() == b"close":
            closing = True
    return status, length, closing


class Connection:
    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        self._host = host
        self._port = port
        self._timeout = timeout_s
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def exchange(self, request: bytes) -> int:
        """Send one request, read its answer; the status, or 0 if there was none."""
        try:
            async with asyncio.timeout(self._timeout):
                if self._streams is None:
                    self._streams = await asyncio.open_connection(self._host, self._port)
                reader, writer = self._streams
                writer.write(request)
                status, length, closing = parse_head(await reader.readuntil(HEAD_END))
                if length:
                    await reader.readexactly(length)
        except (
            OSError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            TimeoutError,
            ValueError,
            IndexError,
        ):
            self.close()
            return 0
        if closing:
            self.close()
        return status

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def send_open_loop(
    host: str,
    port: int,
    requests: Sequence[bytes],
    rate: float,
    *,
    connections: int = 64,
    timeout_s: float = 10.0,
) -> list[Sent]:
    queue: asyncio.Queue[tuple[int, float, bytes] | None] = asyncio.Queue()
    results: list[Sent] = []

    async def work() -> None:
        connection = Connection(host, port, timeout_s)
        while (item := await queue.get()) is not None:
            index, slot, request = item
            sent = time.time()
            late = time.perf_counter() - slot
            status = await connection.exchange(request)
            results.append(Sent(index, status, sent, time.time(), max(0.0, late)))
        connection.close()

    workers = [asyncio.create_task(work()) for _ in range(connections)]
    start = time.perf_counter() + 0.05
    for index, request in enumerate(requests):
        slot = start + index / rate
        wait = slot - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        queue.put_nowait((index, slot, request))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    return results
