"""`fleetwire send SOURCE FILE`: sign a payload as the source's provider would, and post it."""

from __future__ import annotations

import time
from pathlib import Path

import aiohttp

from fleetwire.errors import ConfigError, FleetwireError
from fleetwire.settings import Settings
from ingress.sources import load_sources
from providers.registry import installed


async def send(settings: Settings, source_name: str, path: Path, url: str | None) -> int:
    verifiers = installed().verifiers
    sources = load_sources(settings.sources_path, verifiers)
    source = sources.get(source_name)
    if source is None:
        raise ConfigError(
            f"no source {source_name!r} in {settings.sources_path}; "
            f"known: {', '.join(sorted(sources))}"
        )
    try:
        body = path.read_bytes()  # noqa: ASYNC240 - one small file before any I/O starts
    except OSError as exc:
        raise FleetwireError(f"cannot read {path}: {exc.strerror}") from None
    headers = verifiers[source.provider](source).sign(body, time.time())
    headers.setdefault("Content-Type", "application/json")
    target = url or f"http://127.0.0.1:{settings.http_port}/webhooks/{source.name}"
    async with aiohttp.ClientSession() as session:
        try:
            async with session.post(target, data=body, headers=headers) as response:
                answer = await response.text()
        except aiohttp.ClientError as exc:
            raise FleetwireError(
                f"cannot reach the ingress at {target} ({exc}); is it running (make run)?"
            ) from None
    print(f"{response.status} {answer}")
    return 0 if response.status == 200 else 1
