"""Finding one top-level string field of a JSON body without decoding all of it.

Delivery ids live in the body for some providers (ZF's `eventBatchId`, Smartcar's
`eventId`), and the ingress must not parse every body it forwards. Providers put the id
first, so a pattern anchored at the start of the body finds it in the common case; it
can only match the first key of the top-level object, never a nested one. Anything
else falls back to a shallow decode (top-level keys only, values left as raw bytes).
"""

from __future__ import annotations

import re

import msgspec

MAX_LENGTH = 256

_top_level = msgspec.json.Decoder(dict[str, msgspec.Raw])
_string = msgspec.json.Decoder(str)


class JsonStringField:
    """One named top-level string field; `find(body)` returns it or None."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._quoted = b'"' + name.encode() + b'"'
        value = rb'"([^"\\\x00-\x1f]{1,' + str(MAX_LENGTH).encode() + rb'})"'
        self._first_key = re.compile(rb"\A\s*\{\s*" + re.escape(self._quoted) + rb"\s*:\s*" + value)

    def find(self, body: bytes) -> str | None:
        match = self._first_key.match(body)
        if match is not None:
            return match.group(1).decode("utf-8", "replace")
        if self._quoted not in body:
            return None
        return self._decode(body)

    def _decode(self, body: bytes) -> str | None:
        try:
            raw = _top_level.decode(body).get(self.name)
            value = None if raw is None else _string.decode(raw)
        except msgspec.DecodeError:  # not JSON, not an object, or not a string
            return None
        if value is None or not 0 < len(value) <= MAX_LENGTH:
            return None
        return value
