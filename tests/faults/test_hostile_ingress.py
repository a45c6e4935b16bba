"""Hostile clients at a real `fleetwire ingress`: nothing gets in, nothing breaks it.

Every request here is unauthenticated, over the limit, too slow, malformed or replayed,
except the few signed ones that show the ingress still serves real deliveries. At the
end no raw topic holds anything but those, no answer was a 500 and the process is up.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import secrets
import socket
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook

from tests.conftest import RUN_ID
from tests.faults.common import (
    LEAN_TOPICS,
    ZUBIE_SECRET,
    Ingress,
    http_text,
    series,
    start_ingress,
    write_sources,
    zubie_body,
    zubie_signature,
)
from tests.support.ingress import AUTH_HEADER_NAMES
from tests.support.kafka import read_all
from tests.support.processes import environment, run
from tests.support.providers import VERIFIERS

pytestmark = pytest.mark.kafka
LIMIT = 4096
CLIENT_TIMEOUT_S = 2.0
WHSEC = "whsec_" + base64.b64encode(b"faults: hostile telematica key").decode()
SOURCES = f"""
[[sources]]
name = "azuga"
provider = "azuga"
basic_auth = ["fleet:faults-password"]

[[sources]]
name = "zf-scalar"
provider = "zf-scalar"
secrets = ["faults-zf-secret"]

[[sources]]
name = "telematica"
provider = "telematica"
secrets = ["{WHSEC}"]

[[sources]]
name = "zubie"
provider = "zubie"
secrets = ["{ZUBIE_SECRET}"]

[[sources]]
name = "smartcar"
provider = "smartcar"
secrets = ["faults-smartcar-token"]
"""
SOURCE_NAMES = ("azuga", "zf-scalar", "telematica", "zubie", "smartcar")


@dataclass
class Target:
    ingress: Ingress
    prefix: str
    statuses: Counter[str] = field(default_factory=Counter)
    published: set[bytes] = field(default_factory=set)  # the signed bodies sent on purpose

    def count(self, what: str, status: int) -> None:
        self.statuses[f"{what}:{status}"] += 1


@pytest.fixture(scope="module")
def target(kafka: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    directory = tmp_path_factory.mktemp("hostile")
    prefix = f"t{RUN_ID}.hostile-ingress"
    sources = write_sources(directory, SOURCES)
    created = run(["topics"], environment(prefix, sources, **LEAN_TOPICS))
    assert created.returncode == 0, created.stderr
    ingress = start_ingress(
        prefix,
        directory,
        sources,
        FLEETWIRE_MAX_BODY_BYTES=str(LIMIT),
        FLEETWIRE_CLIENT_TIMEOUT=str(CLIENT_TIMEOUT_S),
    )
    try:
        ingress.service.wait_http(ingress.readyz)
        yield Target(ingress, prefix)
    finally:
        assert ingress.service.stop() == 0, ingress.service.output()


def exchange(port: int, request: bytes, timeout: float = 10) -> bytes:
    """Send raw bytes, return everything the server answers until it closes.

    No half-close after sending: aiohttp takes the end of the client's stream for the
    end of the connection.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(OSError):  # it may answer and close before reading it all
            sock.sendall(request)
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                answer += chunk
        return answer


def status_of(answer: bytes) -> int:
    """The status of the first response; 0 when the server closed without one."""
    found = statuses_of(answer)
    return found[0] if found else 0


def statuses_of(answer: bytes) -> list[int]:
    # aiohttp answers what it cannot parse with HTTP/1.0.
    return [int(status) for status in re.findall(rb"HTTP/1\.[01] (\d{3}) ", answer)]


def request(
    path: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    length: int | None = None,
    close: bool = True,
) -> bytes:
    lines = [f"POST {path} HTTP/1.1".encode(), b"Host: 127.0.0.1"]
    if length is not None:
        lines.append(b"Content-Length: " + str(length).encode())
    if close:
        lines.append(b"Connection: close")
    lines.extend(name + b": " + value for name, value in headers)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def zubie_headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"Zubie-Signature", zubie_signature(body).encode())]


def svix_headers(body: bytes, at: float) -> list[tuple[bytes, bytes]]:
    message_id = "msg_" + secrets.token_hex(12)
    signature = Webhook(WHSEC).sign(message_id, datetime.fromtimestamp(at, UTC), body.decode())
    return [
        (b"svix-id", message_id.encode()),
        (b"svix-timestamp", str(int(at)).encode()),
        (b"svix-signature", signature.encode()),
    ]


header_values = st.one_of(
    # Any bytes but the line breaks that would end the header.
    st.binary(max_size=120).map(
        lambda value: value.replace(b"\r", b"").replace(b"\n", b"").replace(b"\0", b"")
    ),
    # What a verifier gets to look at: printable text, base64 and hex look-alikes.
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=120).map(str.encode),
    st.binary(min_size=1, max_size=64).map(base64.b64encode),
    st.binary(min_size=32, max_size=32).map(lambda raw: b"sha256=" + raw.hex().encode()),
)
header_names = st.one_of(
    st.sampled_from([name.encode() for name in AUTH_HEADER_NAMES]),
    st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=20).map(str.encode),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    source=st.sampled_from(SOURCE_NAMES),
    headers=st.lists(st.tuples(header_names, header_values), max_size=8),
    body=st.one_of(st.binary(max_size=LIMIT + 200), st.just(b"")),
)
def test_fuzzed_headers_and_bodies_are_refused_without_a_500(
    target: Target, source: str, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    answer = exchange(target.ingress.port, request(f"/webhooks/{source}", headers, body, len(body)))
    status = status_of(answer)
    target.count("fuzz", status)
    assert status in {400, 401, 413}, answer[:300]


def test_bodies_over_the_limit_are_refused_however_they_come(target: Target) -> None:
    port = target.ingress.port
    large = zubie_body("x" * (LIMIT + 10))
    signed = zubie_headers(large)
    cases = {
        # Honest about its size.
        "content-length": (request("/webhooks/zubie", signed, large, len(large)), {413}),
        # Claims to be small and is not: only the claimed bytes are the body (and fail
        # the signature), the rest is not a request.
        "lying content-length": (
            request("/webhooks/zubie", signed, large, 100, close=False),
            {400, 401},
        ),
        # Chunked: no length announced, the limit is found while reading.
        "chunked": (
            request(
                "/webhooks/zubie",
                [*signed, (b"Transfer-Encoding", b"chunked")],
                b"".join(
                    f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
                    for piece in (large[i : i + 1000] for i in range(0, len(large), 1000))
                )
                + b"0\r\n\r\n",
            ),
            {413},
        ),
        "chunk size beyond any limit": (
            request(
                "/webhooks/zubie",
                [*signed, (b"Transfer-Encoding", b"chunked")],
                b"FFFFFFFFFFFFFFFF\r\n" + large,
            ),
            {400, 413},
        ),
        "content-length and chunked together": (
            request(
                "/webhooks/zubie",
                [*signed, (b"Transfer-Encoding", b"chunked")],
                large,
                len(large),
            ),
            {400},
        ),
    }
    for what, (raw, expected) in cases.items():
        answer = exchange(port, raw)
        status = status_of(answer)
        target.count(what, status)
        assert status in expected, (what, answer[:300])
        assert 500 not in statuses_of(answer), (what, answer[:300])


def test_invalid_utf8_is_refused_and_a_signed_binary_body_is_kept(target: Target) -> None:
    port = target.ingress.port
    body = b'{"event": "trip_start", "x": "\xff\xfe\xc3\x28"}'
    cases = [
        ("zubie", [(b"Zubie-Signature", b"\xff\xfe\x80abc==")], body),
        ("zubie", [(b"Zubie-Signature", zubie_signature(body).encode() + b"\xff")], body),
        ("azuga", [(b"Authorization", b"Basic \xff\xfe" + base64.b64encode(b"fleet:\xff"))], body),
        ("telematica", [(b"svix-id", b"msg_\xff"), (b"svix-timestamp", b"\xff\xfe")], body),
        ("smartcar", [(b"SC-Signature", b"\xc3\x28" * 32)], body),
        ("zf-scalar", [(b"X-SCALAR-Signature", b"sha256=\xff" * 8)], body),
        ("zubie", [], body),
    ]
    for source, headers, payload in cases:
        answer = exchange(port, request(f"/webhooks/{source}", headers, payload, len(payload)))
        target.count("invalid utf-8", status_of(answer))
        assert status_of(answer) == 401, (source, headers, answer[:300])
    # A body that is not text at all, signed: published byte for byte (the contract).
    answer = exchange(port, request("/webhooks/zubie", zubie_headers(body), body, len(body)))
    assert status_of(answer) == 200, answer[:300]
    target.published.add(body)


def test_a_svix_delivery_outside_the_tolerance_is_refused(target: Target) -> None:
    port = target.ingress.port
    body = b'{"type": "vehicle.soc", "data": {}}'
    now = time.time()
    for what, at in (("replayed 6 minutes later", now - 360), ("from the future", now + 360)):
        answer = exchange(
            port, request("/webhooks/telematica", svix_headers(body, at), body, len(body))
        )
        target.count(what, status_of(answer))
        assert status_of(answer) == 401, (what, answer[:300])


def test_a_flood_of_unknown_paths_adds_no_metric_series(target: Target) -> None:
    before = series(http_text(target.ingress.metrics))
    port = target.ingress.port
    tokens = [secrets.token_hex(6) for _ in range(300)]
    for index, token in enumerate(tokens):
        path = f"/webhooks/{token}" if index % 3 else f"/{token}/{token}"
        method = ("POST", "GET", "PUT")[index % 3]
        head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
        status = status_of(exchange(port, head.encode() + b"Connection: close\r\n\r\n{}"))
        target.count("unknown path", status)
        assert status in {404, 405}, (method, path, status)
    after = series(http_text(target.ingress.metrics))
    added = after - before
    assert not [line for line in after if any(token in line for token in tokens)]
    # At most the series of unknown sources' 404s and 405s.
    labels = {"{" + line.partition("{")[2] for line in added}
    assert labels <= {'{source="_unknown",status="404"}', '{source="_unknown",status="405"}'}, added


async def trickle(port: int, head: bytes, tail: bytes, pause: float) -> bytes:
    """Send `head`, then `tail` a byte at a time; return what the server answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answer = asyncio.create_task(read_until_closed(reader))
    try:
        writer.write(head)
        for byte in tail:
            if answer.done():
                break
            writer.write(bytes([byte]))
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            await asyncio.sleep(pause)
        return await asyncio.wait_for(answer, CLIENT_TIMEOUT_S * 5)
    finally:
        answer.cancel()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def read_until_closed(reader: asyncio.StreamReader) -> bytes:
    received = b""
    with contextlib.suppress(ConnectionError):
        while chunk := await reader.read(65536):
            received += chunk
    return received


async def test_slow_clients_are_cut_off_and_others_served_meanwhile(target: Target) -> None:
    port = target.ingress.port
    body = zubie_body("slow-client")
    signed = request("/webhooks/zubie", zubie_headers(body), body, len(body))
    split = signed.index(b"\r\n\r\n") + 4
    # Many more than could ever be handled at once if they counted.
    slow_headers = [trickle(port, b"", signed[:split], 0.2) for _ in range(40)]
    slow_bodies = [trickle(port, signed[:split], body, 0.2) for _ in range(40)]
    slow = asyncio.gather(*slow_headers, *slow_bodies)
    await asyncio.sleep(0.5)

    served = []
    for index in range(20):
        good = zubie_body(f"served-meanwhile-{index}")
        raw = request("/webhooks/zubie", zubie_headers(good), good, len(good))
        served.append(status_of(await asyncio.to_thread(exchange, port, raw, 5)))
        target.count("served meanwhile", served[-1])
        target.published.add(good)
    answers = await asyncio.wait_for(slow, CLIENT_TIMEOUT_S * 20)
    for answer in answers:
        target.count("slow client", status_of(answer))
    assert served == [200] * 20
    # Slow headers: closed without an answer; slow bodies: 408 and closed. Never served.
    assert {status_of(a) for a in answers[:40]} == {0}
    assert {status_of(a) for a in answers[40:]} == {408}


async def test_nothing_hostile_was_published_and_no_500(target: Target) -> None:
    found = []
    for provider in VERIFIERS:
        found.extend(await read_all(f"{target.prefix}.raw.{provider}", timeout=5))
    values = {record.value for record in found}
    metrics = http_text(target.ingress.metrics)
    output = target.ingress.service.output()
    tried = sum(target.statuses.values())
    rejected = sum(n for key, n in target.statuses.items() if not key.endswith(":200"))
    print(
        f"\n[hostile ingress] tried={tried} rejected={rejected} "
        f"published={len(values)} unexpected_published={len(values - target.published)} "
        f"statuses={dict(sorted(target.statuses.items()))}"
    )
    assert values == target.published
    assert target.ingress.service.process.poll() is None, output
    assert 'status="500"' not in metrics
    assert "Error handling request" not in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
