"""The admin listener of every process: /healthz, /readyz, /metrics, /schemas/{file} and
/asyncapi.yaml.

/schemas/ serves the committed JSON Schemas of the canonical events, so that `dataschema`
points somewhere real without a separate web server (see FLEETWIRE_SCHEMA_BASE_URL);
/asyncapi.yaml the AsyncAPI document of every topic beside them (commands/asyncapi.py).
"""

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

from schemas.published import published_asyncapi, published_schemas

log = logging.getLogger(__name__)

# `*_created` gauges would double the series of every counter and histogram, tell Prometheus
# nothing it uses, and vanish when the ingress runs several workers; leave them out always.
disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped upstream

# True when ready; otherwise False, or the reason in one line (it must hold no secret).
Readiness = Callable[[], Awaitable[bool | str]]
SCHEMA_CONTENT_TYPE = "application/schema+json"
ASYNCAPI_CONTENT_TYPE = "application/yaml"  # RFC 9512


def admin_app(
    ready: Readiness,
    registry: CollectorRegistry = REGISTRY,
    schema_base_url: str | None = None,
) -> web.Application:
    """`schema_base_url`: where events say the schemas are, for their `$id` (None: as committed)."""
    # Read once; a name is only ever looked up here, so no request can reach another file.
    schemas = published_schemas(schema_base_url)
    asyncapi = published_asyncapi()

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        state = await ready()
        if state is True:
            return web.json_response({"status": "ready"})
        reason = state if isinstance(state, str) and state else "kafka unreachable"
        return web.json_response({"status": "not ready", "reason": reason}, status=503)

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def schema(request: web.Request) -> web.Response:
        name = request.match_info["file"]
        content = schemas.get(name)
        if content is None:
            return web.json_response(
                {"error": f"no schema named {name!r}; names are {{type}}.v{{version}}.json"},
                status=404,
            )
        return web.Response(body=content, content_type=SCHEMA_CONTENT_TYPE)

    async def asyncapi_document(_: web.Request) -> web.Response:
        return web.Response(body=asyncapi, content_type=ASYNCAPI_CONTENT_TYPE)

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/schemas/{file}", schema)
    app.router.add_get("/asyncapi.yaml", asyncapi_document)
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
    log.info(
        "%s admin listening on http://%s:%d (/healthz /readyz /metrics /schemas/ /asyncapi.yaml)",
        kind,
        host,
        bound,
    )
    return int(bound)
