"""No request, however odd, makes the ingress answer 500 (real publisher, real broker)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp.test_utils import RawTestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from ingress.app import WebhookHandler
from ingress.publisher import RawPublisher
from tests.conftest import RUN_ID
from tests.support.ingress import AUTH_HEADER_NAMES, SOURCES, create_raw_topics, ingress_config
from tests.support.kafka import connection
from tests.support.providers import REGISTRY, verifier_for

pytestmark = pytest.mark.kafka
LIMIT = 4096
# 400 is aiohttp refusing malformed HTTP (e.g. a repeated Content-Type) before any handler.
# A refusal is the provider's own refusal status (Motive: 403).
ANSWERS = {200, 400, 404, 413} | {p.refusal_status for p in REGISTRY}

header_names = st.sampled_from(AUTH_HEADER_NAMES) | st.from_regex(
    r"X-[A-Za-z0-9-]{1,20}", fullmatch=True
)
header_values = (
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=100)
    | st.integers(0, 2**40).map(str)
    # Beyond ASCII: what a client sends as UTF-8 arrives as text the ingress must re-encode.
    | st.text(st.characters(min_codepoint=0xA0, exclude_categories=("Cs",)), max_size=20)
)
sources = st.sampled_from([*SOURCES, "unknown", "zubie-2"])


@dataclass
class Live:
    loop: asyncio.AbstractEventLoop
    server: RawTestServer
    session: aiohttp.ClientSession

    def post(self, source: str, body: bytes, headers: CIMultiDict[str]) -> int:
        async def send() -> int:
            url = self.server.make_url(f"/webhooks/{source}")
            async with self.session.post(url, data=body, headers=headers) as response:
                await response.read()
                return response.status

        return self.loop.run_until_complete(send())


@pytest.fixture(scope="module")
def live(kafka: str) -> Iterator[Live]:
    loop = asyncio.new_event_loop()
    prefix = f"t{RUN_ID}.app-properties"
    loop.run_until_complete(create_raw_topics(kafka, prefix, LIMIT))
    publisher = RawPublisher(connection(kafka), timeout_s=5.0, max_record_bytes=LIMIT + 65536)

    async def start() -> tuple[RawTestServer, aiohttp.ClientSession]:
        await publisher.start(wait=True)
        handler = WebhookHandler(ingress_config(prefix, max_body_bytes=LIMIT), publisher)
        server = RawTestServer(handler.dispatch, host="127.0.0.1")
        await server.start_server()
        return server, aiohttp.ClientSession()

    server, session = loop.run_until_complete(start())
    try:
        yield Live(loop, server, session)
    finally:
        loop.run_until_complete(session.close())
        loop.run_until_complete(server.close())
        loop.run_until_complete(publisher.stop())
        loop.close()


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    source=sources,
    headers=st.lists(st.tuples(header_names, header_values), max_size=8),
    body=st.binary(max_size=LIMIT + 200),
    sign=st.booleans(),
)
def test_arbitrary_requests_never_get_a_500(
    live: Live, source: str, headers: list[tuple[str, str]], body: bytes, sign: bool
) -> None:
    request = CIMultiDict(headers)
    if sign and source in SOURCES:
        request.update(verifier_for(SOURCES[source]).sign(body, time.time()))
    status = live.post(source, body, request)
    assert status in ANSWERS
    if status == 400:
        assert len(request.getall("Content-Type", [])) > 1
    elif source not in SOURCES:
        assert status == 404
    elif len(body) > LIMIT:
        assert status == 413
    elif sign:
        assert status == 200
