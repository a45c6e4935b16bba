"""/readyz: 200 when ready, else 503 with the reason the process gives."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from fleetwire.admin import Readiness, admin_app


async def readyz(ready: Readiness) -> tuple[int, dict[str, str]]:
    async with TestClient(TestServer(admin_app(ready))) as client:
        response = await client.get("/readyz")
        return response.status, await response.json()


async def test_ready() -> None:
    async def ready() -> bool:
        return True

    assert await readyz(ready) == (200, {"status": "ready"})


async def test_not_ready_without_a_reason() -> None:
    async def ready() -> bool:
        return False

    assert await readyz(ready) == (503, {"status": "not ready", "reason": "kafka unreachable"})


async def test_not_ready_with_the_reason() -> None:
    line = "kafka b:9093: authentication refused by the broker (...); check KAFKA_SASL_USERNAME"

    async def ready() -> str:
        return line

    assert await readyz(ready) == (503, {"status": "not ready", "reason": line})
