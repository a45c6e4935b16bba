"""Polling the local MyGeotab server into the real broker, and checking what arrived."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from localgeotab import FEEDS, Credentials, Fleet
from tests.support.runtime import read_to_end


def pull_source(url: str, name: str = "fleet", password: str = Credentials.password) -> str:
    c = Credentials()
    return (
        f'[[sources]]\nname = "{name}"\nprovider = "geotab"\nserver = "{url}"\n'
        f'database = "{c.database}"\nusername = "{c.username}"\npassword = "{password}"\n'
    )


def write_sources(directory: Path, text: str) -> Path:
    path = directory / "sources.toml"
    path.write_text(text)
    return path


def expected_keys(fleet: Fleet) -> set[bytes]:
    keys = set()
    for feed in FEEDS:
        total = fleet.total(feed)
        assert total is not None, "only a finite fleet can be checked"
        for i in range(total):
            entity = fleet.entity(feed, i)
            version = f":{entity['version']}" if entity.get("version") else ""
            keys.add(f"{feed}:{entity['id']}{version}".encode())
    return keys


async def raw_keys(prefix: str, isolation_level: str = "read_committed") -> Counter[bytes]:
    records: list[Any] = await read_to_end(f"{prefix}.raw.geotab", isolation_level)
    return Counter(r.key for r in records)
