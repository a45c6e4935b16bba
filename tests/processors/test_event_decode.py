from __future__ import annotations

import msgspec
import pytest

from fleetwire.errors import RejectedRecord
from processors import event


class Thing(msgspec.Struct, kw_only=True):
    name: str
    count: int = 0


THING = msgspec.json.Decoder(Thing)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b'{"name": "\x80"}', "invalid-json"),  # msgspec raises UnicodeDecodeError here
        (b'"\x80"', "invalid-json"),  # a type error first, then not UTF-8
        (b'{"name": "a", "count": "3"}', "invalid-payload"),
        (b'{"name": "a", "count": 3', "invalid-json"),
    ],
)
def test_every_decode_failure_is_a_rejection_of_the_right_kind(body: bytes, kind: str) -> None:
    with pytest.raises(RejectedRecord) as caught:
        event.decode(THING, body, "thing")
    assert caught.value.kind == kind
    assert str(caught.value).startswith("thing")


def test_a_type_error_names_the_field_path() -> None:
    with pytest.raises(RejectedRecord, match=r"\$\.count"):
        event.decode(THING, b'{"name": "a", "count": "3"}', "thing")
