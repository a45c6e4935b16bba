"""The open-loop sender: requests as bytes, answers parsed, every request accounted for."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bench.sender import http_request, parse_head, send_open_loop
from localkafka.ports import free_port


def test_a_request_is_a_complete_http_message() -> None:
    raw = http_request("h:1", "/webhooks/x", {"Zubie-Signature": "s", "Host": "no"}, b"{}")
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /webhooks/x HTTP/1.1"
    assert b"Host: h:1" in lines
    assert b"Host: no" not in lines
    assert b"Content-Length: 2" in lines
    assert b"Zubie-Signature: s" in lines
    assert body == b"{}"


def test_a_response_head_gives_status_length_and_closing() -> None:
    head = b"HTTP/1.1 503 Service Unavailable\r\nContent-LENGTH: 17\r\nConnection: close\r\n\r\n"
    assert parse_head(head) == (503, 17, True)
    assert parse_head(b"HTTP/1.1 200 OK\r\n\r\n") == (200, 0, False)


async def test_every_request_gets_its_answer_or_a_zero() -> None:
    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        return web.Response(status=200 if body != b"fail" else 401, text="ok")

    app = web.Application()
    app.router.add_post("/w", handle)
    async with TestServer(app) as server:
        requests = [http_request("x", "/w", {}, b"fail" if i == 3 else b"ok") for i in range(40)]
        sent = await send_open_loop(server.host, server.port, requests, 2000.0, connections=4)
    statuses = {s.index: s.status for s in sent}
    assert sorted(statuses) == list(range(40))
    assert statuses[3] == 401
    assert {statuses[i] for i in statuses if i != 3} == {200}
    assert all(s.answered_at >= s.sent_at for s in sent)


async def test_an_unreachable_server_gives_zeros() -> None:
    port = free_port()  # bound and released: nothing listens there
    sent = await send_open_loop("127.0.0.1", port, [b"x"] * 3, 1000.0, connections=2, timeout_s=2)
    assert sorted(s.status for s in sent) == [0, 0, 0]


@pytest.mark.parametrize("count", [0, 1])
async def test_few_requests_are_fine(count: int) -> None:
    sent = await send_open_loop("127.0.0.1", free_port(), [b"x"] * count, 10.0, timeout_s=1)
    assert len(sent) == count
