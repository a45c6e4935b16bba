"""Running one ingress process: the webhook listener and the admin listener in one loop."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from prometheus_client import REGISTRY, CollectorRegistry

from fleetwire import otel
from fleetwire.admin import admin_app, start_admin
from fleetwire.errors import ConfigError
from fleetwire.heap import settle_after_start
from fleetwire.kafka import max_record_bytes
from fleetwire.settings import Settings
from fleetwire.topics import TopicNames
from ingress import trace
from ingress.app import IngressConfig, WebhookHandler, webhook_server
from ingress.peers import Peers
from ingress.publisher import RawPublisher
from ingress.sources import load_sources
from ingress.verifier import Verifiers

log = logging.getLogger(__name__)

STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})

# Longer than the publish timeout, so that every request in flight at SIGTERM gets its
# answer: a 200 after Kafka acknowledged it, or a 503.
SHUTDOWN_GRACE_S = 10.0


class MalformedRequests(logging.Filter):
    """Keeps requests that are not HTTP out of the error log.

    aiohttp answers them 400 and logs each one at ERROR with a traceback: anyone on the
    internet could fill the logs and page whoever watches errors. A real server error
    (an exception in a handler, answered 500) still logs as before.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError) and (error.code or 0) < 500:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            record.exc_info = record.exc_text = None
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


def drain_grace_s(settings: Settings) -> float:
    """How long a stopping process waits for the requests it has started."""
    return max(SHUTDOWN_GRACE_S, settings.publish_timeout_s + 2)


def hold_stop_signals() -> None:
    """Hold SIGTERM/SIGINT back until `serve` has its handlers, which it releases them to.

    Without it, a stop asked for while the process is still starting kills it with the
    default action instead of a clean exit.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


def build_config(settings: Settings, providers: Verifiers) -> IngressConfig:
    """Load and check the sources against the installed webhook providers' verifiers;
    raises ConfigError before anything listens."""
    webhook = {name: verifier for name, verifier in providers.items() if verifier is not None}
    polled = [name for name, verifier in providers.items() if verifier is None]
    sources = load_sources(settings.sources_path, webhook, polled=polled)
    verifiers = {}
    for name, source in sources.items():
        try:
            verifiers[name] = webhook[source.provider](source)
        except ConfigError as exc:
            raise ConfigError(f"{settings.sources_path}: {exc}") from None
    return IngressConfig(
        verifiers=verifiers,
        topics=TopicNames(settings.topic_prefix),
        max_body_bytes=settings.max_body_bytes,
        max_in_flight=settings.max_in_flight,
        body_timeout_s=settings.client_timeout_s,
    )


async def serve(
    settings: Settings,
    config: IngressConfig,
    registry: CollectorRegistry = REGISTRY,
    shared_admin_port: bool = False,
    peers: Peers | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT, then drain: stop accepting, answer, flush, return.

    With `shared_admin_port`, several worker processes bind the admin port together
    (SO_REUSEPORT) and `registry` reports all of them; `peers` then holds back /readyz
    until every worker has reached Kafka.
    """
    logging.getLogger("aiohttp.server").addFilter(MalformedRequests())
    spans = otel.spans("fleetwire-ingress")
    trace.use(spans)
    publisher = RawPublisher(
        settings.kafka,
        settings.publish_timeout_s,
        max_record_bytes(settings.max_body_bytes),
    )
    await publisher.start()
    marking = None
    if peers is not None:
        marking = asyncio.create_task(_mark_when_connected(publisher, peers), name="peers")
    stop = asyncio.Event()
    # Handlers before listeners: a process that a stop signal can still kill outright
    # has never accepted a request.
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    # A stop asked for while starting was held back (see hold_stop_signals); it lands now.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

    async def ready() -> bool | str:
        # A draining process is no longer a place to send webhooks.
        if stop.is_set():
            return "stopping"
        state = await publisher.ready()
        if state is True and peers is not None:
            return peers.not_ready_reason() or True
        return state

    handler = WebhookHandler(config, publisher)
    grace_s = drain_grace_s(settings)
    webhooks = web.ServerRunner(
        webhook_server(
            handler,
            access_log=None,
            # aiohttp closes a connection that has not sent a whole request's headers by
            # then (its keep-alive timer runs from the connection's start): slowloris bound.
            keepalive_timeout=settings.client_timeout_s,
            # After a 413 or 408 aiohttp reads and drops the rest of the body so the client
            # sees the answer; a body that never ends must not hold the connection longer.
            lingering_time=settings.client_timeout_s,
        ),
        shutdown_timeout=grace_s,
    )
    admin = web.AppRunner(
        admin_app(ready, registry, schema_base_url=settings.schema_base_url), access_log=None
    )
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
    await start_admin(
        admin,
        settings.http_host,
        settings.admin_port_for("ingress"),
        "ingress",
        reuse_port=shared_admin_port,
    )
    settle_after_start()

    await stop.wait()
    log.info("stopping: no new connections, finishing requests in flight")
    if marking is not None:
        marking.cancel()
    await drain(handler, site, grace_s)
    await webhooks.cleanup()
    await publisher.stop()
    await admin.cleanup()
    if spans is not None:
        await asyncio.to_thread(spans.shutdown)  # sends the spans still buffered
    log.info("ingress stopped")


async def _mark_when_connected(publisher: RawPublisher, peers: Peers) -> None:
    await publisher.first_connection()
    peers.mark_connected()


async def drain(handler: WebhookHandler, site: web.BaseSite, grace_s: float) -> None:
    """Stop accepting connections, then let every request already started finish.

    aiohttp's own shutdown stops reading from open connections at once, so a request
    whose body was still arriving would hang until the timeout and be cut off: the
    handlers are waited for here first, with each answer closing its connection.
    """
    handler.drain()
    await site.stop()
    if not await handler.wait_idle(grace_s):
        log.warning("requests still in flight after %.0fs; closing them", grace_s)
