"""Running a processor: the consume loop and the admin listener in one event loop."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Mapping

from aiohttp import web

from fleetwire.admin import admin_app, start_admin
from fleetwire.heap import settle_after_start
from fleetwire.settings import Settings
from processors.output import Normalizer
from processors.worker import Worker

log = logging.getLogger(__name__)


async def serve(settings: Settings, normalizers: Mapping[str, Normalizer]) -> None:
    worker = Worker(settings, list(normalizers), normalizers)
    admin = web.AppRunner(
        admin_app(worker.ready, schema_base_url=settings.schema_base_url), access_log=None
    )
    await admin.setup()
    await start_admin(admin, settings.http_host, settings.admin_port_for("processor"), "processor")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    settle_after_start()
    try:
        await worker.run(stop)
    finally:
        await admin.cleanup()
