"""Keys keyed once sign exactly as `hmac.new` does, for every key and message."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from ingress.verifier import HmacKeys

keys = st.lists(st.binary(max_size=200), min_size=1, max_size=3)
digests = st.sampled_from(["sha256", "sha1"])


@given(keys, st.binary(max_size=4096), digests)
def test_digests_match_hmac_new_under_every_key(
    keys: list[bytes], message: bytes, digest: str
) -> None:
    expected = [hmac.new(key, message, getattr(hashlib, digest)).digest() for key in keys]
    assert HmacKeys(keys, digest).digests(message) == expected


@given(keys, st.lists(st.binary(max_size=300), min_size=2, max_size=4), digests)
def test_a_message_leaves_no_trace_in_the_next(
    keys: list[bytes], messages: list[bytes], digest: str
) -> None:
    prepared = HmacKeys(keys, digest)
    for message in messages:
        assert prepared.current(message) == hmac.new(keys[0], message, digest).digest()
