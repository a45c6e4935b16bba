"""Pull sources: the `[[sources]]` entries of a provider that fleetwire polls.

They share the sources file with the webhook sources (ingress/sources.py reads those and
skips these); here the webhook entries are skipped, their credentials unread.

```toml
[[sources]]
name = "geotab-fleet"
provider = "geotab"
server = "my.geotab.com"             # a host, or a URL (http only for a local server)
database = "company_db"
username = "env:GEOTAB_USERNAME"
password = "env:GEOTAB_PASSWORD"
feeds = ["Device", "LogRecord"]      # default: DEFAULT_FEEDS
from_date = 2024-05-01T00:00:00Z     # optional: where a feed without a position starts
```
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fleetwire.errors import ConfigError
from fleetwire.secret import Secret
from ingress.sources import read_entries, resolve

PULL_KEYS = frozenset(
    {"name", "provider", "server", "database", "username", "password", "feeds", "from_date"}
)
DEFAULT_FEEDS = ("Device", "LogRecord", "FaultData", "Trip", "ExceptionEvent")
# Geotab's data feeds (its Data Feed guide): active ones return new records only,
# calculated ones new records and changes to old ones.
KNOWN_FEEDS = frozenset(
    {
        "AnnotationLog", "Audit", "CustomData", "DVIRLog", "DebugData", "Device", "Diagnostic",
        "DriverChange", "DutyStatusLog", "FaultData", "IoxAddOn", "LogRecord", "Route", "Rule",
        "ShipmentLog", "StatusData", "TextMessage", "Trailer", "TrailerAttachment", "User",
        "Zone", "ChargeEvent", "ExceptionEvent", "FillUp", "FuelTaxDetail", "FuelUsed", "Trip",
    }
)  # fmt: skip
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class PullSource:
    name: str
    provider: str
    server: str  # the base URL calls go to first, e.g. https://my.geotab.com
    database: str
    username: Secret
    password: Secret
    feeds: tuple[str, ...] = DEFAULT_FEEDS
    from_date: datetime | None = None

    @property
    def where(self) -> str:
        return f"source {self.name!r}"


def load_pull_sources(
    path: Path, env: Mapping[str, str] | None = None, *, polled: Collection[str]
) -> dict[str, PullSource]:
    """The sources of the `polled` providers in the file; raise ConfigError naming the
    entry at fault."""
    env = os.environ if env is None else env
    sources = {}
    for entry in read_entries(path):
        if entry.get("provider") in polled:
            source = _pull_source(f"{path}: source {entry['name']!r}", entry, env)
            sources[source.name] = source
    return sources


def _pull_source(where: str, entry: dict[str, Any], env: Mapping[str, str]) -> PullSource:
    unknown = set(entry) - PULL_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    return PullSource(
        name=entry["name"],
        provider=entry["provider"],
        server=server_url(where, _text(where, entry, "server")),
        database=_text(where, entry, "database"),
        username=resolve(f"{where}: username", _text(where, entry, "username"), env),
        password=resolve(f"{where}: password", _text(where, entry, "password"), env),
        feeds=_feeds(where, entry.get("feeds")),
        from_date=_from_date(where, entry.get("from_date")),
    )


def _text(where: str, entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {key!r} must be a non-empty string")
    return value.strip()


def server_url(where: str, server: str) -> str:
    """`my.geotab.com` -> `https://my.geotab.com`; a URL keeps its scheme (http: local only)."""
    url = server if "://" in server else f"https://{server}"
    parts = urlsplit(url)
    local = parts.hostname in LOCAL_HOSTS
    if (
        not parts.hostname
        or parts.scheme not in ("http", "https")
        or (parts.scheme == "http" and not local)
        or parts.path.strip("/")
        or parts.query
    ):
        raise ConfigError(
            f"{where}: 'server' {server!r} must be a host such as my.geotab.com "
            "(https), or http://127.0.0.1:PORT for a local server"
        )
    return f"{parts.scheme}://{parts.netloc}"


def _feeds(where: str, feeds: Any) -> tuple[str, ...]:
    if feeds is None:
        return DEFAULT_FEEDS
    if not isinstance(feeds, list) or not feeds or not all(isinstance(f, str) for f in feeds):
        raise ConfigError(f"{where}: 'feeds' must be a non-empty list of Geotab type names")
    unknown = sorted(set(feeds) - KNOWN_FEEDS)
    if unknown:
        raise ConfigError(
            f"{where}: {', '.join(unknown)} has no data feed; use some of "
            f"{', '.join(sorted(KNOWN_FEEDS))}"
        )
    if len(set(feeds)) != len(feeds):
        raise ConfigError(f"{where}: 'feeds' names a type twice")
    return tuple(feeds)


def _from_date(where: str, value: Any) -> datetime | None:
    """A TOML date or date-time, or an ISO 8601 string; UTC when it names no offset."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            value = None
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if not isinstance(value, datetime):
        raise ConfigError(
            f"{where}: 'from_date' must be a date or time such as 2024-05-01T00:00:00Z"
        )
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
