"""Running the poller: one polling task per pull source and the admin listener, in one
event loop."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence

import aiohttp
from aiohttp import web

from fleetwire.admin import admin_app, start_admin
from fleetwire.settings import Settings
from poll.poller import SourcePoller
from poll.sources import PullSource

log = logging.getLogger(__name__)

HTTP_TIMEOUT = aiohttp.ClientTimeout(total=120, sock_connect=10)  # a page of 50,000 takes time
STOP_TIMEOUT_S = 20.0


async def serve(settings: Settings, sources: Sequence[PullSource]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT, raise_for_status=False) as http:
        pollers = [SourcePoller(source, settings, http) for source in sources]

        async def ready() -> bool | str:
            problems = [p.problem for p in pollers if p.problem is not None]
            return "; ".join(problems) if problems else True

        admin = web.AppRunner(
            admin_app(ready, schema_base_url=settings.schema_base_url), access_log=None
        )
        await admin.setup()
        await start_admin(admin, settings.http_host, settings.admin_port_for("poll"), "poll")
        tasks = [asyncio.create_task(p.run(stop), name=f"poll {p.source.name}") for p in pollers]
        try:
            await stop.wait()
            # A page being written is committed or aborted before the producers close.
            done, pending = await asyncio.wait(tasks, timeout=STOP_TIMEOUT_S)
            for task in pending:
                task.cancel()
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    log.error("poller ended: %r", task.exception())
        finally:
            await admin.cleanup()
