"""Finding a top-level string field without a full decode agrees with a full decode."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ingress.jsonfield import MAX_LENGTH, JsonStringField

FIELD = JsonStringField("eventId")

scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["eventId", "data", "x"]) | st.text(max_size=5), inner, max_size=3
        )
    ),
    max_leaves=10,
)
ids = st.text(max_size=MAX_LENGTH + 2) | st.integers() | st.none()


def expected(document: Any) -> str | None:
    value = document.get("eventId") if isinstance(document, dict) else None
    return value if isinstance(value, str) and 0 < len(value) <= MAX_LENGTH else None


@given(
    st.dictionaries(st.sampled_from(["data", "meta", "x"]), values, max_size=3),
    ids,
    st.booleans(),
    st.booleans(),
    st.sampled_from([None, 0, 2]),
)
def test_finding_agrees_with_decoding(
    rest: dict[str, Any], event_id: Any, first: bool, ascii_only: bool, indent: int | None
) -> None:
    document = {"eventId": event_id, **rest} if first else {**rest, "eventId": event_id}
    body = json.dumps(document, ensure_ascii=ascii_only, indent=indent).encode()
    assert FIELD.find(body) == expected(document)


@given(values)
def test_a_nested_field_is_never_taken_for_the_top_level_one(document: Any) -> None:
    wrapped = {"data": {"eventId": "nested"}, "x": document}
    assert FIELD.find(json.dumps(wrapped).encode()) is None


@given(st.binary(max_size=300))
def test_any_bytes_give_a_string_or_none(body: bytes) -> None:
    found = FIELD.find(body)
    assert found is None or isinstance(found, str)
