"""The webhook handler in-process, publishing to the real broker."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp.test_utils import RawTestServer
from prometheus_client import REGISTRY

from fleetwire import traceparent
from ingress.app import IngressConfig, WebhookHandler, source_name
from ingress.publisher import RawPublisher
from ingress.sources import Source
from ingress.verifier import Headers, Verifier
from providers.registry import installed
from tests.support.ingress import create_raw_topics, ingress_config
from tests.support.kafka import connection, read_all
from tests.support.providers import VERIFIERS
from tests.support.samples import sample

pytestmark = pytest.mark.kafka
LIMIT = 4096


@dataclass
class Ingress:
    prefix: str
    url: str
    server: RawTestServer


# The in-process Zubie source's current secret (tests/support/ingress.py), signed with
# independently of the verifier.
ZUBIE_KEY = installed().get("zubie").test_credentials["secrets"][0].encode()


def zubie_headers(body: bytes) -> dict[str, str]:
    digest = hmac.new(ZUBIE_KEY, body, hashlib.sha256).digest()
    return {"Zubie-Signature": base64.b64encode(digest).decode(), "Content-Type": "text/plain"}


async def serve(config: IngressConfig, publisher: object) -> RawTestServer:
    handler = WebhookHandler(config, publisher)  # type: ignore[arg-type]
    server = RawTestServer(handler.dispatch, host="127.0.0.1")
    await server.start_server()
    return server


@pytest.fixture
async def ingress(kafka: str, prefix: str) -> AsyncIterator[Ingress]:
    await create_raw_topics(kafka, prefix, LIMIT)
    publisher = RawPublisher(connection(kafka), timeout_s=5.0, max_record_bytes=LIMIT + 65536)
    await publisher.start(wait=True)
    server = await serve(ingress_config(prefix, max_body_bytes=LIMIT), publisher)
    try:
        yield Ingress(prefix, str(server.make_url("/webhooks")), server)
    finally:
        await server.close()
        await publisher.stop()


async def post(
    url: str, body: object, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as r,
    ):
        return r.status, dict(r.headers), await r.read()


def requests(source: str, status: str) -> float:
    labels = {"source": source, "status": status}
    return REGISTRY.get_sample_value("fleetwire_ingress_requests_total", labels) or 0.0


def auth_failures(source: str, reason: str) -> float:
    labels = {"source": source, "reason": reason}
    return REGISTRY.get_sample_value("fleetwire_ingress_auth_failures_total", labels) or 0.0


async def test_a_body_at_the_limit_is_published_byte_for_byte(ingress: Ingress) -> None:
    body = bytes(range(256)) * (LIMIT // 256)  # not JSON, not even text
    assert len(body) == LIMIT
    status, _, answer = await post(f"{ingress.url}/zubie", body, zubie_headers(body))
    assert (status, json.loads(answer)) == (200, {"status": "accepted"})
    [record] = await read_all(f"{ingress.prefix}.raw.zubie", expect=1)
    assert record.value == body
    assert record.key == hashlib.sha256(body).hexdigest().encode()
    assert dict(record.headers)["content-type"] == b"text/plain"


async def test_a_body_that_arrives_in_pieces_is_published_whole(ingress: Ingress) -> None:
    pieces = [b'{"trip": ', b'"a"', b', "n": 1}']

    async def trickle() -> AsyncIterator[bytes]:  # chunked, still arriving when handled
        for piece in pieces:
            yield piece
            await asyncio.sleep(0.05)

    body = b"".join(pieces)
    assert (await post(f"{ingress.url}/zubie", trickle(), zubie_headers(body)))[0] == 200
    [record] = await read_all(f"{ingress.prefix}.raw.zubie", expect=1, timeout=3)
    assert record.value == body


async def test_bodies_over_the_limit_get_413_however_they_are_sent(ingress: Ingress) -> None:
    body = b"x" * (LIMIT + 1)
    before = requests("zubie", "413")
    status, _, _ = await post(f"{ingress.url}/zubie", body, zubie_headers(body))
    assert status == 413

    async def chunks() -> AsyncIterator[bytes]:  # chunked: no Content-Length at all
        for _ in range(LIMIT // 100 + 2):
            yield b"y" * 100

    status, _, _ = await post(f"{ingress.url}/zubie", chunks(), zubie_headers(b""))
    assert status == 413
    assert requests("zubie", "413") == before + 2
    # A valid request afterwards is the only raw record.
    good = b"{}"
    assert (await post(f"{ingress.url}/zubie", good, zubie_headers(good)))[0] == 200
    records = await read_all(f"{ingress.prefix}.raw.zubie", expect=2, timeout=3)
    assert [r.value for r in records] == [good]


def raw_exchange(port: int, request: bytes) -> bytes:
    """Send raw bytes; return the answer's status line and headers."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        with contextlib.suppress(OSError):  # the server may stop reading early; fine
            sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer and (chunk := sock.recv(65536)):
            answer += chunk
        return answer


def expecting(port: int, expect: str, body: bytes) -> tuple[bytes, bytes]:
    """Send a request's headers with `Expect`; return the first answer, then, after
    sending the body, the rest."""
    head = (
        f"POST /webhooks/zubie HTTP/1.1\r\nHost: x\r\nExpect: {expect}\r\n"
        f"Zubie-Signature: {zubie_headers(body)['Zubie-Signature']}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        first = sock.recv(65536)
        if not first.startswith(b"HTTP/1.1 100 "):
            return first, b""
        sock.sendall(body)
        rest = b""
        while b"accepted" not in rest and (chunk := sock.recv(65536)):
            rest += chunk
        return first, rest


async def test_expect_100_continue_is_answered_before_the_body(ingress: Ingress) -> None:
    port = ingress.server.port
    assert port is not None
    body = b'{"expect": "continue"}'
    first, rest = await asyncio.to_thread(expecting, port, "100-continue", body)
    assert first == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert rest.startswith(b"HTTP/1.1 200 ")
    [record] = await read_all(f"{ingress.prefix}.raw.zubie", expect=1)
    assert record.value == body
    first, _ = await asyncio.to_thread(expecting, port, "something-else", body)
    assert first.startswith(b"HTTP/1.1 417 ")


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/webhooks/zubie", "zubie"),
        ("/webhooks/zubie-main", "zubie-main"),
        ("/webhooks/", None),
        ("/webhooks", None),
        ("/webhooks/zubie/", None),
        ("/webhooks/zubie/extra", None),
        ("/webhooks/a{b}", None),
        ("/webhooks/a%2Fb", "a%2Fb"),  # no source is named so: an unknown source
        ("/hooks/zubie", None),
        ("/", None),
    ],
)
def test_only_one_path_segment_after_webhooks_names_a_source(path: str, name: str | None) -> None:
    assert source_name(path) == name


async def test_a_content_length_that_lies_never_reads_past_the_limit(ingress: Ingress) -> None:
    port = ingress.server.port
    assert port is not None
    body = b"z" * (LIMIT * 4)
    signature = zubie_headers(body)["Zubie-Signature"]
    # Claims more than the limit: refused before reading, however much follows.
    claims_more = (
        f"POST /webhooks/zubie HTTP/1.1\r\nHost: x\r\nZubie-Signature: {signature}\r\n"
        f"Content-Length: {LIMIT * 1000}\r\n\r\n"
    ).encode() + body
    answer = await asyncio.to_thread(raw_exchange, port, claims_more)
    assert answer.startswith(b"HTTP/1.1 413 ")
    # Claims less than it sends: only the declared bytes are the body, and they are not
    # what was signed; the rest is not a valid request.
    claims_less = (
        f"POST /webhooks/zubie HTTP/1.1\r\nHost: x\r\nZubie-Signature: {signature}\r\n"
        f"Content-Length: 10\r\n\r\n"
    ).encode() + body
    answer = await asyncio.to_thread(raw_exchange, port, claims_less)
    assert answer.split(b" ", 2)[1] in {b"400", b"401"}
    # Neither was published: a valid request afterwards is the only raw record.
    good = b"{}"
    assert (await post(f"{ingress.url}/zubie", good, zubie_headers(good)))[0] == 200
    records = await read_all(f"{ingress.prefix}.raw.zubie", expect=2, timeout=3)
    assert [r.value for r in records] == [good]


async def test_unknown_sources_methods_and_paths_add_no_label_values(ingress: Ingress) -> None:
    def sources() -> set[str]:
        return {
            sample.labels["source"]
            for metric in REGISTRY.collect()
            if metric.name == "fleetwire_ingress_requests"
            for sample in metric.samples
        }

    before = requests("_unknown", "404")
    before_405 = requests("zubie", "405"), requests("_unknown", "405")
    async with aiohttp.ClientSession() as session:
        for name in ("nope", "zubie2", "../zubie"):
            async with session.post(f"{ingress.url}/{name}", data=b"{}") as response:
                assert response.status == 404
        async with session.get(f"{ingress.url}/zubie") as response:
            assert response.status == 405
            assert response.headers["Allow"] == "POST"
        async with session.put(f"{ingress.url}/nope", data=b"{}") as response:
            assert response.status == 405
        async with session.post(f"{ingress.url}/zubie/extra", data=b"{}") as response:
            assert response.status == 404
        async with session.post(str(ingress.server.make_url("/anything")), data=b"{}") as response:
            assert response.status == 404
    # Every one is counted, under a known source or `_unknown`, never under the path.
    assert requests("_unknown", "404") == before + 5
    assert (requests("zubie", "405"), requests("_unknown", "405")) == (
        before_405[0] + 1,
        before_405[1] + 1,
    )
    assert sources() <= {"_unknown", *VERIFIERS}


class Exploding(Verifier):
    provider = "zubie"

    def verify(self, headers: Headers, body: bytes, now: float) -> None:
        raise ZeroDivisionError("a bug")

    def sign(self, body: bytes, now: float) -> dict[str, str]:
        return {}


async def test_a_verifier_bug_is_a_401_with_a_reason(kafka: str, prefix: str) -> None:
    config = ingress_config(prefix)
    verifiers = {**config.verifiers, "zubie": Exploding(Source(name="zubie", provider="zubie"))}
    publisher = RawPublisher(connection(kafka), timeout_s=1.0, max_record_bytes=LIMIT + 65536)
    server = await serve(IngressConfig(verifiers, config.topics, LIMIT, 8), publisher)
    try:
        before = auth_failures("zubie", "verifier-error")
        status, _, _ = await post(str(server.make_url("/webhooks/zubie")), b"{}", {})
        assert status == 401
        assert auth_failures("zubie", "verifier-error") == before + 1
    finally:
        await server.close()


async def test_wrong_credentials_are_401_counted_by_reason(ingress: Ingress) -> None:
    before = auth_failures("zubie", "bad-signature"), auth_failures("zubie", "missing-header")
    body = b"{}"
    assert (await post(f"{ingress.url}/zubie", body, zubie_headers(b"other")))[0] == 401
    assert (await post(f"{ingress.url}/zubie", body, {}))[0] == 401
    after = auth_failures("zubie", "bad-signature"), auth_failures("zubie", "missing-header")
    assert after == (before[0] + 1, before[1] + 1)


async def test_kafka_not_confirming_in_time_is_503_with_retry_after(
    kafka: str, prefix: str
) -> None:
    # The raw topic of this prefix does not exist (and the broker does not create topics),
    # so the broker never confirms the write.
    publisher = RawPublisher(connection(kafka), timeout_s=0.5, max_record_bytes=LIMIT + 65536)
    await publisher.start(wait=True)
    server = await serve(ingress_config(prefix), publisher)
    try:
        body = sample("zubie", "trip_end")
        status, headers, _ = await post(
            str(server.make_url("/webhooks/zubie")), body, zubie_headers(body)
        )
        assert status == 503
        assert int(headers["Retry-After"]) > 0
    finally:
        await server.close()
        await publisher.stop()


class Stalled:
    """A publisher that never hears back from Kafka, until released."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def publish(
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> None:
        self.entered.set()
        await self.release.wait()


async def test_beyond_the_in_flight_bound_requests_get_503_at_once(prefix: str) -> None:
    stalled = Stalled()
    server = await serve(ingress_config(prefix, max_in_flight=1), stalled)
    url = str(server.make_url("/webhooks/zubie"))
    try:
        first = asyncio.create_task(post(url, b"{}", zubie_headers(b"{}")))
        await stalled.entered.wait()
        status, headers, _ = await post(url, b"{}", zubie_headers(b"{}"))
        assert status == 503
        assert "Retry-After" in headers
        assert not first.done()
        stalled.release.set()
        assert (await first)[0] == 200
        # The slot is free again.
        assert (await post(url, b"{}", zubie_headers(b"{}")))[0] == 200
    finally:
        stalled.release.set()
        await server.close()


async def test_header_bytes_that_are_not_utf8_are_kept_as_sent(ingress: Ingress) -> None:
    port = ingress.server.port
    assert port is not None
    body = b'{"event": "trip_end"}'
    signature = zubie_headers(body)["Zubie-Signature"]
    request = (
        (
            f"POST /webhooks/zubie HTTP/1.1\r\nHost: x\r\nZubie-Signature: {signature}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n"
        ).encode()
        + b"Content-Type: text/plain; charset=\xe9\xff\r\n\r\n"
        + body
    )
    answer = await asyncio.to_thread(raw_exchange, port, request)
    assert answer.startswith(b"HTTP/1.1 200 ")
    [record] = await read_all(f"{ingress.prefix}.raw.zubie", expect=1)
    assert record.value == body
    assert dict(record.headers)["content-type"] == b"text/plain; charset=\xe9\xff"


async def test_the_raw_record_continues_a_valid_traceparent_else_starts_a_trace(
    ingress: Ingress,
) -> None:
    incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    bodies = [b'{"n": 1}', b'{"n": 2}', b'{"n": 3}']
    sent = [incoming, incoming.upper(), None]
    for body, header in zip(bodies, sent, strict=True):
        headers = zubie_headers(body) | ({"traceparent": header} if header else {})
        assert (await post(f"{ingress.url}/zubie", body, headers))[0] == 200
    records = await read_all(f"{ingress.prefix}.raw.zubie", expect=3)
    recorded = {r.value: dict(r.headers)["traceparent"].decode() for r in records}
    continued, replaced, started = (recorded[b] for b in bodies)
    assert continued[:36] == incoming[:36]  # version and trace id
    assert continued[36:52] != incoming[36:52]  # a span of the ingress's own
    for value in (replaced, started):
        assert value[3:35] != incoming[3:35]
        assert traceparent.parse(value) == value
