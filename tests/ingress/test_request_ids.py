"""Request ids: unique within a process and across processes, shaped like a UUID's hex."""

from __future__ import annotations

import re

from ingress.app import RequestIds

HEX32 = re.compile(r"[0-9a-f]{32}")


def test_request_ids_are_32_hex_characters_and_never_repeat() -> None:
    first, second = RequestIds(), RequestIds()  # as two worker processes would have
    ids = [ids.next() for ids in (first, second) for _ in range(1000)]
    assert all(HEX32.fullmatch(i) for i in ids)
    assert len(set(ids)) == len(ids)
