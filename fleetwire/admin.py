"""The admin listener of every process: /healthz, /readyz and /metrics."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    disable_created_metrics,
    generate_latest,
)

log = logging.getLogger(__name__)

# `*_created` gauges would double the series of every counter and histogram, tell Prometheus
# nothing it uses, and vanish when the ingress runs several workers; leave them out always.
disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped upstream

Readiness = Callable[[], Awaitable[bool]]


def admin_app(ready: Readiness, registry: CollectorRegistry = REGISTRY) -> web.Application:
    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        if await ready():
            return web.json_response({"status": "ready"})
        return web.json_response({"status": "kafka unreachable"}, status=503)

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app


async def start_admin(
    runner: web.AppRunner, host: str, port: int, kind: str, reuse_port: bool = False
) -> int:
    """Start the admin site; return the bound port (useful when `port` is 0).

    `reuse_port` lets several processes of one service share the port (SO_REUSEPORT).
    """
    site = web.TCPSite(runner, host, port, reuse_port=reuse_port)
    await site.start()
    # aiohttp exposes the bound port only through the asyncio server it wraps.
    server = site._server
    sockets = getattr(server, "sockets", None) or ()
    bound = sockets[0].getsockname()[1] if sockets else port
    log.info("%s admin listening on http://%s:%d (/healthz /readyz /metrics)", kind, host, bound)
    return int(bound)
