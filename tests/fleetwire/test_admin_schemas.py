"""Every process's admin listener publishes the JSON Schemas that `dataschema` points at."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry
from yarl import URL

from fleetwire.admin import SCHEMA_CONTENT_TYPE, admin_app
from schemas.catalog import EVENT_TYPES, SCHEMA_BASE_URL, EventType
from schemas.jsonschema import SCHEMA_DIR
from tests.support.golden import GOLDEN

OTHER_BASE = "https://schemas.example.com/fleetwire/v1/"
Client = TestClient[web.Request, web.Application]


async def always_ready() -> bool:
    return True


async def started(schema_base_url: str | None) -> Client:
    app = admin_app(always_ready, CollectorRegistry(), schema_base_url=schema_base_url)
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    return client


@pytest.fixture
async def committed() -> AsyncIterator[Client]:
    client = await started(None)
    yield client
    await client.close()


@pytest.fixture
async def elsewhere() -> AsyncIterator[Client]:
    client = await started(OTHER_BASE)
    yield client
    await client.close()


@pytest.mark.parametrize("event_type", EVENT_TYPES.values(), ids=lambda t: t.name)
async def test_each_type_schema_is_served_as_committed(
    committed: Client, event_type: EventType
) -> None:
    response = await committed.get(f"/schemas/{event_type.schema_file}")
    assert response.status == 200
    assert response.content_type == SCHEMA_CONTENT_TYPE
    assert await response.read() == (SCHEMA_DIR / event_type.schema_file).read_bytes()


async def test_at_the_default_base_the_served_files_are_the_committed_bytes() -> None:
    client = await started(SCHEMA_BASE_URL)
    try:
        for event_type in EVENT_TYPES.values():
            response = await client.get(f"/schemas/{event_type.schema_file}")
            assert await response.read() == (SCHEMA_DIR / event_type.schema_file).read_bytes()
    finally:
        await client.close()


async def test_under_another_base_only_the_id_changes(elsewhere: Client) -> None:
    for event_type in EVENT_TYPES.values():
        response = await elsewhere.get(f"/schemas/{event_type.schema_file}")
        served: dict[str, Any] = json.loads(await response.read())
        committed = json.loads((SCHEMA_DIR / event_type.schema_file).read_bytes())
        assert served.pop("$id") == f"{OTHER_BASE}{event_type.schema_file}"
        committed.pop("$id")
        assert served == committed


@pytest.mark.parametrize(
    "path",
    [
        "/schemas/vehicle.trip.teleported.v1.json",
        "/schemas/catalog.py",
        "/schemas/__init__.py",
        "/schemas/..%2Fcatalog.py",
        "/schemas/..%2F..%2Fpyproject.toml",
        "/schemas/%2e%2e%2fjsonschema.py",
        "/schemas/json%2Fvehicle.trip.ended.v1.json",
        "/schemas/..",
        "/schemas/.",
        "/schemas/VEHICLE.TRIP.ENDED.V1.JSON",
    ],
)
async def test_unknown_names_and_path_tricks_are_404(committed: Client, path: str) -> None:
    response = await committed.get(URL(path, encoded=True))
    assert response.status == 404
    assert b"$schema" not in await response.read()


async def test_a_404_says_how_schemas_are_named(committed: Client) -> None:
    response = await committed.get("/schemas/trip.json")
    assert response.status == 404
    assert "{type}.v{version}.json" in (await response.json())["error"]


async def test_the_other_admin_routes_still_answer(committed: Client) -> None:
    assert (await committed.get("/healthz")).status == 200
    assert (await committed.get("/readyz")).status == 200
    assert (await committed.get("/metrics")).status == 200


async def test_every_golden_dataschema_resolves_on_the_admin_listener(committed: Client) -> None:
    """What `dataschema` says in every reviewed event is a file the listener serves."""
    seen = set()
    for path in GOLDEN.glob("*/*.json"):
        for event in json.loads(path.read_text()):
            url = event["dataschema"]
            assert url.startswith(SCHEMA_BASE_URL), url
            seen.add(url.removeprefix(SCHEMA_BASE_URL))
    assert len(seen) == len(EVENT_TYPES)
    for name in sorted(seen):
        response = await committed.get(f"{URL(SCHEMA_BASE_URL).path}{name}")
        assert response.status == 200, name
        assert json.loads(await response.read())["$id"] == f"{SCHEMA_BASE_URL}{name}"
