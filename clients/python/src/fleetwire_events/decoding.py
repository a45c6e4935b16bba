"""Decoding a canonical record's value into a typed event.

The envelope is read twice: first only its `type` and `dataschema`, then whole by the
decoder of that type (built once, at import). A type this client does not know, or a
version of it the client does not know, decodes to an event whose `data` is plain JSON
values, so that a consumer built today keeps reading when fleetwire adds types.
"""

from __future__ import annotations

from typing import Any

import msgspec

from fleetwire_events.canonical import Envelope, EventData
from fleetwire_events.catalog import TYPES

Event = Envelope


class DecodeError(ValueError):
    """The value is not a canonical event: not JSON, not UTF-8, or an attribute missing or
    of the wrong type. The message names the attribute at fault (`$.data.trip.id`)."""


class _Head(msgspec.Struct):
    type: str
    dataschema: str = ""


_HEAD = msgspec.json.Decoder(_Head)


def _decoder(data: type[EventData]) -> msgspec.json.Decoder[Envelope[Any]]:
    return msgspec.json.Decoder(Envelope[data])  # type: ignore[valid-type]


_TYPED = {name: (t.schema_file, _decoder(t.data)) for name, t in TYPES.items()}
_GENERIC: msgspec.json.Decoder[Envelope[Any]] = msgspec.json.Decoder(Envelope[Any])


def decode(value: bytes | bytearray | memoryview | str) -> Envelope[Any]:
    """The event in a canonical record's value.

    `data` is the type's struct (see `TYPES`) when the client knows the type and its
    version, else a dict. Attributes and fields added by newer fleetwire releases are
    ignored. Raises `DecodeError` for anything that is not a canonical event.
    """
    try:
        head = _HEAD.decode(value)
        schema_file, decoder = _TYPED.get(head.type, ("", _GENERIC))
        if schema_file and not head.dataschema.endswith(schema_file):
            decoder = _GENERIC  # another version of the type: its shape may differ
        return decoder.decode(value)
    except msgspec.DecodeError as exc:
        raise DecodeError(f"not a canonical event: {exc}") from None
    except (UnicodeDecodeError, RecursionError) as exc:
        # msgspec reports text that is not UTF-8, and nesting deeper than the interpreter's
        # recursion limit, outside its own DecodeError.
        raise DecodeError(f"not a canonical event: {type(exc).__name__}: {exc}") from None


def is_typed(event: Envelope[Any]) -> bool:
    """Whether `event.data` is a struct (a type and version this client knows)."""
    return not isinstance(event.data, dict)
