"""Where each feed of each source stands: its last committed version token.

Pure bookkeeping. A position is a record of the compacted positions topic keyed
`{source}:{typeName}`, written in the same transaction as the raw records of the page
that reached it, so the latest committed position of a feed is exactly the end of what
it wrote. Restoring folds the committed records in order: the last one of a key wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson


def position_key(source: str, type_name: str) -> bytes:
    return f"{source}:{type_name}".encode()


def encode_position(version: str, written_at: str) -> bytes:
    return orjson.dumps({"version": version, "written_at": written_at})


def restore(records: Iterable[tuple[bytes | None, bytes | None]], source: str) -> dict[str, str]:
    """The version of each feed of `source` from committed (key, value) records, in order.

    A record without a value (a tombstone) forgets the feed: it starts afresh. Records
    that cannot be read are skipped, never guessed at.
    """
    prefix = f"{source}:".encode()
    versions: dict[str, str] = {}
    for key, value in records:
        if key is None or not key.startswith(prefix):
            continue
        type_name = key[len(prefix) :].decode("utf-8", "replace")
        if value is None:
            versions.pop(type_name, None)
            continue
        version = _version(value)
        if version is not None:
            versions[type_name] = version
    return versions


def _version(value: bytes) -> str | None:
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    version = document.get("version") if isinstance(document, dict) else None
    return version if isinstance(version, str) and version else None


@dataclass
class Cursor:
    """What the next GetFeed of one feed asks for, and what a page changes.

    Until a page is committed the cursor does not move: a failed or abandoned page is
    asked for again with the same version, and Geotab answers the same entities.
    """

    type_name: str
    version: str | None = None
    from_date: str | None = None  # only counts while there is no version

    def request(self) -> tuple[str | None, str | None]:
        """(fromVersion, search.fromDate) of the next call."""
        return self.version, (self.from_date if self.version is None else None)

    def moved(self, to_version: str) -> bool:
        """Whether a page ending at `to_version` must be committed (data or not)."""
        return to_version != self.version

    def committed(self, to_version: str) -> None:
        self.version = to_version
