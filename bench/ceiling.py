"""The ceiling: a bare aiohttp + uvloop receiver that only authenticates and answers 200.

It runs the same verifiers on the same sources as the ingress but writes nothing to
Kafka, keeps no metrics and logs nothing, so fleetwire's requests/s divided by this
one's is what durability (and everything else the ingress does) costs.

    python -m bench.ceiling --sources FILE --port PORT
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from pathlib import Path

import uvloop
from aiohttp import web

from fleetwire.errors import AuthenticationError
from ingress.sources import load_sources
from ingress.verifier import Verifier
from providers.registry import installed

ACCEPTED = b'{"status":"accepted"}'


def ceiling_app(verifiers: Mapping[str, Verifier]) -> web.Application:
    async def webhook(request: web.Request) -> web.Response:
        verifier = verifiers.get(request.match_info["source"])
        if verifier is None:
            return web.Response(status=404)
        body = await request.read()
        try:
            verifier.verify(request.headers, body, time.time())
        except AuthenticationError:
            return web.Response(status=401)
        return web.Response(body=ACCEPTED, content_type="application/json")

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/webhooks/{source}", webhook)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__)
    parser.add_argument("--sources", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    sources = load_sources(args.sources, installed().verifiers, env={})
    verifiers = {name: installed().verifier(source) for name, source in sources.items()}
    web.run_app(
        ceiling_app(verifiers),
        host=args.host,
        port=args.port,
        access_log=None,
        print=None,
        loop=uvloop.new_event_loop(),
    )


if __name__ == "__main__":
    main()
