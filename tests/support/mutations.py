"""Hypothesis strategies for payloads: arbitrary JSON, and samples damaged in one place.

Random JSON rarely gets past a decoder's first field; a real sample with one value
replaced, removed or added reaches every branch behind it.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(
        [2**64, -(2**63) - 1, 10**30, 10**400, 1e308, -1e308]
    )  # edges of the number types
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)

Path = tuple[str | int, ...]


def paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every position in a JSON document, the root included."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(paths(item, (*prefix, index)))
    return found


def _replace(document: Any, path: Path, new: Any) -> Any:
    if not path:
        return new
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return document


def _delete(document: Any, path: Path) -> Any:
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return document


@st.composite
def damaged(draw: st.DrawFn, document: Any) -> Any:
    """`document` with one value replaced, one key or element removed, or one key added."""
    result = copy.deepcopy(document)
    path = draw(st.sampled_from(paths(result)))
    action = draw(st.sampled_from(["replace", "delete", "add"]))
    if action == "delete" and path:
        return _delete(result, path)
    if action == "add":
        target: Any = result
        for step in path:
            target = target[step]
        if isinstance(target, dict):
            target[draw(st.text(max_size=12))] = draw(json_values)
            return result
        if isinstance(target, list):
            target.append(draw(json_values))
            return result
    return _replace(result, path, draw(json_values))


def outcome(normalize: Any, record: Any) -> list[Any] | str:
    """The events a normalizer makes, or the kind of its rejection; anything else escapes.

    Events are also encoded, so a value JSON cannot carry fails here rather than in the
    worker.
    """
    import msgspec

    from fleetwire.errors import RejectedRecord

    try:
        events = normalize(record)
    except RejectedRecord as exc:
        rejected = exc
    else:
        rejected = None
    if rejected is not None:
        assert rejected.kind, "a rejection must say what kind"
        assert str(rejected), "a rejection must say why"
        return rejected.kind
    for ev in events:
        msgspec.json.encode(ev)
    return list(events)


@st.composite
def flipped(draw: st.DrawFn, body: bytes) -> bytes:
    """`body` with one byte replaced: broken UTF-8, stray quotes, truncated tokens."""
    index = draw(st.integers(min_value=0, max_value=len(body) - 1))
    return body[:index] + bytes([draw(st.integers(min_value=0, max_value=255))]) + body[index + 1 :]
