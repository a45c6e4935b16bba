"""A raw record as the processors see it: the body plus what the ingress recorded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec


class RawRecord(msgspec.Struct, frozen=True, kw_only=True):
    provider: str
    source: str
    key: str  # the delivery id (or the body's SHA-256), the same on every retry
    body: bytes
    headers: Mapping[str, str]  # lowercase names
    received_at: str

    @classmethod
    def from_kafka(
        cls,
        provider: str,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]],
    ) -> RawRecord:
        names = {name.lower(): raw.decode("utf-8", "replace") for name, raw in headers}
        return cls(
            provider=names.get("fleetwire-provider", provider),
            source=names.get("fleetwire-source", provider),
            key=(key or b"").decode("utf-8", "replace"),
            body=value or b"",
            headers=names,
            received_at=names.get("fleetwire-received-at", ""),
        )
