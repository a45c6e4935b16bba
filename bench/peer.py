"""The peer: a webhook receiver as teams often write it by hand, to compare against.

FastAPI on uvicorn (uvloop and httptools, no access log), one module-level aiokafka
producer with the same durability as fleetwire's (acks=all, idempotence), and per
request: read the body, verify it with the same verifier fleetwire uses, then
`send_and_wait` the body to the provider's raw topic and answer 200. No metrics, no
in-flight bound, no deadline. It is not part of fleetwire: it runs in the benchmark's
own virtualenv (`.venv-bench`, requirements/bench.txt), from the repository root so it
can import the verifiers; `--app-site` adds fleetwire's own site-packages after its own,
for what the verifiers need beyond them and for the providers' entry points.

    python -m bench.peer --sources FILE --port PORT --bootstrap HOST:PORT --prefix PREFIX
                         [--app-site DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import site
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI, Request, Response

ACCEPTED = b'{"status":"accepted"}'


def peer_app(sources: Path, bootstrap: str, prefix: str) -> FastAPI:
    # Imported here, once main() has put fleetwire's site-packages on the path.
    from fleetwire.errors import AuthenticationError  # noqa: PLC0415
    from ingress.sources import load_sources  # noqa: PLC0415
    from providers.registry import installed  # noqa: PLC0415

    verifiers = {
        name: installed().verifier(source)
        for name, source in load_sources(sources, installed().verifiers, env={}).items()
    }
    producer: AIOKafkaProducer | None = None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nonlocal producer
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=True
        )
        await producer.start()
        try:
            yield
        finally:
            await producer.stop()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(content=b"ok")

    @app.post("/webhooks/{source}")
    async def webhook(source: str, request: Request) -> Response:
        verifier = verifiers.get(source)
        if verifier is None:
            return Response(status_code=404)
        body = await request.body()
        try:
            verifier.verify(request.headers, body, time.time())
        except AuthenticationError:
            return Response(status_code=401)
        key = verifier.delivery_id(request.headers, body) or hashlib.sha256(body).hexdigest()
        assert producer is not None
        await producer.send_and_wait(
            f"{prefix}.raw.{verifier.source.provider}",
            value=body,
            key=key.encode(),
            headers=[("fleetwire-source", source.encode())],
        )
        return Response(content=ACCEPTED, media_type="application/json")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peer", description=__doc__)
    parser.add_argument("--sources", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--app-site", type=Path, help="fleetwire's site-packages directory")
    args = parser.parse_args()
    if args.app_site is not None:
        site.addsitedir(str(args.app_site))  # after the peer's own packages
    uvicorn.run(
        peer_app(args.sources, args.bootstrap, args.prefix),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
