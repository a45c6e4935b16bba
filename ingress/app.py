"""The webhook handler: a thin shell around verification and the raw-record write."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import HttpVersion11, web
from multidict import CIMultiDict

from fleetwire import envelope
from fleetwire.errors import AuthenticationError, PublishError
from fleetwire.topics import TopicNames
from ingress import metrics, trace
from ingress.sources import Source
from ingress.timestamps import NS_PER_S, UtcMillis
from ingress.verifier import Verifier, header_bytes

log = logging.getLogger(__name__)

ACCEPTED = b'{"status":"accepted"}'
# aiohttp copies given headers as they are; a content_type argument is parsed every time.
ACCEPTED_HEADERS = CIMultiDict({"Content-Type": "application/json"})
RETRY_AFTER_S = "5"
DEFAULT_TYPE = "application/octet-stream"
WEBHOOKS = "/webhooks/"
# What a `{source}` path segment may not hold, as in aiohttp's router.
NOT_IN_SEGMENT = frozenset("/{}")


@dataclass(frozen=True)
class IngressConfig:
    verifiers: Mapping[str, Verifier]
    topics: TopicNames
    max_body_bytes: int
    max_in_flight: int
    # How long a client may take to send its body once the headers are in: a client
    # that trickles it must not hold a request open for ever.
    body_timeout_s: float = 10.0


class Publisher(Protocol):
    async def publish(
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> None:
        """Return once Kafka acknowledged the record; raise PublishError otherwise."""


class RequestIds:
    """Ids unique across processes and restarts, 32 hex characters like a UUID.

    `uuid4()` asks the kernel for 16 random bytes on every request; a random 64-bit
    prefix drawn once per process followed by a counter is as unique and far cheaper.
    """

    def __init__(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._counter = itertools.count()

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter):016x}"


class WebhookHandler:
    def __init__(self, config: IngressConfig, publisher: Publisher) -> None:
        self._config = config
        self._publisher = publisher
        self._request_ids = RequestIds()
        self._received_at = UtcMillis()
        self._in_flight = 0
        self._publishing = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._draining = False
        self._tally = metrics.TurnTally(lambda: self._in_flight)

    async def dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        """Every request on the webhook port: POST /webhooks/{source}, or its refusal.

        The routing is done here rather than by an aiohttp Application: its router,
        middleware checks and response-prepare signals cost about 6% of the ingress's CPU
        per webhook, for one route. The answers are those the Application gave.
        """
        if request.headers.get("Expect"):
            await _expect(request)
        name = source_name(request.rel_url.path_safe)
        if name is None:
            return self.not_found()
        if request.method != "POST":
            return self.wrong_method(name)
        return await self.handle(name, request)

    async def handle(self, name: str, request: web.BaseRequest) -> web.StreamResponse:
        verifier = self._config.verifiers.get(name)
        if verifier is None:
            self._tally.answered(metrics.UNKNOWN_SOURCE, 404)
            return self._closing(_json_error(404, "unknown source"))
        self._in_flight += 1
        self._idle.clear()
        self._tally.moved()
        try:
            return self._answer(name, await self._handle(request, verifier))
        finally:
            self._in_flight -= 1
            self._tally.moved()
            if self._in_flight == 0:
                self._idle.set()

    def wrong_method(self, name: str) -> web.StreamResponse:
        """Any method but POST on a webhook path: 405, counted under the source if known
        (a provider set up with the wrong method shows as such), else `_unknown`."""
        source = name if name in self._config.verifiers else metrics.UNKNOWN_SOURCE
        response = _json_error(405, "only POST is accepted here")
        response.headers["Allow"] = "POST"
        self._tally.answered(source, 405)
        return self._closing(response)

    def not_found(self) -> web.StreamResponse:
        """Any other path: 404, counted under `_unknown`, never under the path itself."""
        self._tally.answered(metrics.UNKNOWN_SOURCE, 404)
        return self._closing(_json_error(404, "not found"))

    def drain(self) -> None:
        """The process is stopping: close each connection once it has its answer."""
        self._draining = True

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is being handled; False if some still are after `timeout`."""
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True

    def _answer(self, source: str, response: web.Response) -> web.Response:
        self._tally.answered(source, response.status)
        return self._closing(response)

    def _closing(self, response: web.Response) -> web.Response:
        if self._draining:
            response.force_close()
        return response

    async def _handle(self, request: web.BaseRequest, verifier: Verifier) -> web.Response:
        source = verifier.source
        body = await self._receive(request)
        if isinstance(body, web.Response):
            return body
        self._tally.body(source.name, len(body))
        request_id = self._request_ids.next()
        now_ns = time.time_ns()
        try:
            verifier.verify(request.headers, body, now_ns / NS_PER_S)
            answer = verifier.challenge(request.headers, body)
            delivery_id = verifier.delivery_id(request.headers, body)
        except AuthenticationError as exc:
            return _unauthorized(verifier, exc.reason, str(exc), request_id)
        except Exception as exc:  # a verifier bug must never become a 500 or let a request in
            context = _context(source, request_id)
            log.exception("verifier raised %s", type(exc).__name__, extra=context)
            return _unauthorized(verifier, "verifier-error", type(exc).__name__, request_id)
        if answer is not None:
            log.info("answered a handshake", extra=_context(source, request_id))
            return web.Response(body=answer, content_type="application/json")
        # Only authenticated requests count against the bound: clients that trickle their
        # body or fail to authenticate must not take the places of real deliveries.
        if self._publishing >= self._config.max_in_flight:
            return _unavailable("ingress saturated")
        key = delivery_id or hashlib.sha256(body).hexdigest()
        self._publishing += 1
        try:
            return await self._publish(
                request, verifier, body, key, request_id=request_id, now_ns=now_ns
            )
        finally:
            self._publishing -= 1

    async def _receive(self, request: web.BaseRequest) -> bytes | web.Response:
        """The whole body, or the answer for a body too large or too slow to arrive."""
        limit = self._config.max_body_bytes
        try:
            if request.content.is_eof():
                # The usual webhook: the body came with the headers, nothing to time out.
                body = await _read_body(request, limit)
            else:
                async with asyncio.timeout(self._config.body_timeout_s):
                    body = await _read_body(request, limit)
        except TimeoutError:
            refused = _json_error(408, f"body not received within {self._config.body_timeout_s}s")
        else:
            if body is not None:
                return body
            refused = _json_error(413, f"body over {limit} bytes")
        refused.force_close()  # the rest of the body was never read
        return refused

    async def _publish(
        self,
        request: web.BaseRequest,
        verifier: Verifier,
        body: bytes,
        key: str,
        *,
        request_id: str,
        now_ns: int,
    ) -> web.Response:
        source = verifier.source
        received_at = self._received_at.format(now_ns)
        headers = _raw_headers(request, verifier, request_id, received_at)
        started = time.perf_counter()
        try:
            await self._publisher.publish(
                self._config.topics.raw(source.provider), header_bytes(key), body, headers
            )
        except PublishError as exc:
            self._tally.published("failed", time.perf_counter() - started)
            context = _context(source, request_id, delivery_id=key)
            # "Not acknowledged", not "not written": a write that outlived its deadline may
            # still land, and the provider's retry is then suppressed as a duplicate.
            log.warning("not acknowledged, answering 503: %s", exc, extra=context)
            return _unavailable("kafka unavailable")
        self._tally.published("acknowledged", time.perf_counter() - started)
        if log.isEnabledFor(logging.DEBUG):  # no context built for a line nobody sees
            log.debug("published", extra=_context(source, request_id, delivery_id=key))
        return web.Response(body=ACCEPTED, headers=ACCEPTED_HEADERS)


async def _read_body(request: web.BaseRequest, limit: int) -> bytes | None:
    """Read at most `limit` bytes; None when the body is larger, whatever it claims."""
    if request.content_length is not None and request.content_length > limit:
        return None
    content = request.content
    if content.is_eof():
        # The usual webhook: the whole body came with the headers. Taking the buffer
        # costs far less than the chunk iterator; the parser has stopped at the declared
        # length (or the last chunk), so this is the body and nothing more.
        body = content.read_nowait()
        return body if len(body) <= limit else None
    chunks = []
    size = 0
    async for chunk in content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _raw_headers(
    request: web.BaseRequest, verifier: Verifier, request_id: str, received_at: bytes
) -> list[tuple[str, bytes]]:
    headers = request.headers
    delivery = [
        (name, header_bytes(value))
        for name in verifier.delivery_headers
        if (value := headers.get(name)) is not None
    ]
    return envelope.raw_headers(
        verifier.source.name,
        verifier.source.provider,
        received_at=received_at,
        request_id=request_id,
        content_type=header_bytes(headers.get("Content-Type", DEFAULT_TYPE)),
        trace=trace.raw_header(headers),
        delivery=delivery,
    )


def _context(source: Source, request_id: str, **more: str) -> dict[str, str]:
    """A log line's context, built only when a line is written."""
    return {"provider": source.provider, "source": source.name, "request_id": request_id, **more}


def _unauthorized(verifier: Verifier, reason: str, detail: str, request_id: str) -> web.Response:
    source = verifier.source
    metrics.AUTH_FAILURES.labels(source.name, reason).inc()
    context = _context(source, request_id, reason=reason)
    log.info("authentication failed: %s (%s)", reason, detail, extra=context)
    return _json_error(verifier.refusal_status, "authentication failed")


def _unavailable(reason: str) -> web.Response:
    response = _json_error(503, reason)
    response.headers["Retry-After"] = RETRY_AFTER_S
    return response


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def source_name(path: str) -> str | None:
    """The `{source}` of a path `/webhooks/{source}` (as yarl's `path_safe` gives it);
    None for any other path.

    A name holding `%` (an escaped `/` or `%`) is left as it is: no source is named so.
    """
    if not path.startswith(WEBHOOKS):
        return None
    name = path[len(WEBHOOKS) :]
    if not name or not NOT_IN_SEGMENT.isdisjoint(name):
        return None
    return name


async def _expect(request: web.BaseRequest) -> None:
    """Answer `Expect: 100-continue` before the body is read, as aiohttp's router does."""
    expect = request.headers.get("Expect", "")
    if request.version != HttpVersion11:
        return
    if expect.lower() != "100-continue":
        raise web.HTTPExpectationFailed(text=f"Unknown Expect: {expect}")
    await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    request.writer.output_size = 0  # the answer's own size starts after this line


def webhook_server(handler: WebhookHandler, **options: Any) -> web.Server:
    """The webhook port's aiohttp server; `options` go to aiohttp's request handlers."""
    return web.Server(handler.dispatch, **options)
