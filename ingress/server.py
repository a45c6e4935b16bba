"""Running the ingress: the webhook listener and the admin listener in one event loop."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from fleetwire.admin import admin_app, start_admin
from fleetwire.settings import Settings
from fleetwire.topics import TopicNames
from ingress.app import IngressConfig, WebhookHandler, webhook_app
from ingress.publisher import RawPublisher
from ingress.registry import VERIFIERS, verifier_for
from ingress.sources import load_sources

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_S = 10.0


def build_config(settings: Settings) -> IngressConfig:
    """Load and check the sources; raises ConfigError before anything listens."""
    sources = load_sources(settings.sources_path, VERIFIERS)
    return IngressConfig(
        verifiers={name: verifier_for(source) for name, source in sources.items()},
        topics=TopicNames(settings.topic_prefix),
        max_body_bytes=settings.max_body_bytes,
        max_in_flight=settings.max_in_flight,
    )


async def serve(settings: Settings, config: IngressConfig) -> None:
    publisher = RawPublisher(settings.bootstrap_servers, settings.publish_timeout_s)
    await publisher.start()
    handler = WebhookHandler(config, publisher)
    webhooks = web.AppRunner(
        webhook_app(handler, settings.max_body_bytes),
        access_log=None,
        shutdown_timeout=SHUTDOWN_GRACE_S,
    )
    admin = web.AppRunner(admin_app(publisher.ready), access_log=None)
    await webhooks.setup()
    await admin.setup()
    site = web.TCPSite(webhooks, settings.http_host, settings.http_port, reuse_port=True)
    await site.start()
    log.info(
        "ingress listening on http://%s:%d/webhooks/{source} for %s",
        settings.http_host,
        settings.http_port,
        ", ".join(sorted(config.verifiers)),
    )
    await start_admin(admin, settings.http_host, settings.admin_port_for("ingress"), "ingress")

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping: no new connections, finishing requests in flight")
    # cleanup() closes the listener first, then waits for handlers still running.
    await webhooks.cleanup()
    await publisher.stop()
    await admin.cleanup()
    log.info("ingress stopped")
