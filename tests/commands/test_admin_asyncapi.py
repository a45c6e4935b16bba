"""The admin listener (the processors' among them) serves the AsyncAPI document beside /schemas/."""

from __future__ import annotations

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from commands.asyncapi import DOCUMENT
from fleetwire.admin import ASYNCAPI_CONTENT_TYPE, admin_app
from schemas.catalog import EVENT_TYPES

Client = TestClient[web.Request, web.Application]


async def always_ready() -> bool:
    return True


@pytest.mark.parametrize("base_url", [None, "https://schemas.example.com/fleetwire/v1/"])
async def test_the_committed_document_is_served_whatever_the_schema_base(
    base_url: str | None,
) -> None:
    client: Client = TestClient(
        TestServer(admin_app(always_ready, CollectorRegistry(), schema_base_url=base_url))
    )
    await client.start_server()
    try:
        response = await client.get("/asyncapi.yaml")
        assert response.status == 200
        assert response.content_type == ASYNCAPI_CONTENT_TYPE
        body = await response.read()
        assert body == DOCUMENT.read_bytes()
        served = yaml.safe_load(body)
        assert served["asyncapi"] == "3.0.0"
        assert {m["name"] for m in served["components"]["messages"].values()} >= set(EVENT_TYPES)
        first = next(iter(EVENT_TYPES.values()))
        assert (await client.get(f"/schemas/{first.schema_file}")).status == 200
    finally:
        await client.close()
