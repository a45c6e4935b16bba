"""The local MyGeotab server (localgeotab) on a free port, in the test's loop or a thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from aiohttp import web

from localgeotab import MyGeotab
from localkafka.ports import free_port


async def _start(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


@asynccontextmanager
async def serving(server: MyGeotab, *, redirected: bool = False) -> AsyncIterator[str]:
    """Serve `server` in this event loop; yield its base URL."""
    port = free_port()
    runner = await _start(server.app(redirected=redirected), port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@contextmanager
def serving_in_thread(server: MyGeotab) -> Iterator[str]:
    """Serve `server` from a thread of its own (for pollers run as child processes)."""
    port = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    runners: list[web.AppRunner] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        runners.append(loop.run_until_complete(_start(server.app(), port)))
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="mygeotab", daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runners[0].cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
