"""The `fleetwire-received-at` stamp: RFC 3339 UTC with milliseconds, cheaply.

Formatting a datetime for every webhook cost more than the rest of the raw record's
headers together; the part up to the second changes once a second, so only the
milliseconds are formatted per request.
"""

from __future__ import annotations

import time

NS_PER_S = 1_000_000_000
NS_PER_MS = 1_000_000


class UtcMillis:
    """`2026-01-02T03:04:05.678Z` for a time in nanoseconds since the epoch."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = b""

    def format(self, now_ns: int) -> bytes:
        second, rest = divmod(now_ns, NS_PER_S)
        if second != self._second:
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second)).encode()
            self._second = second
        return b"%s%03dZ" % (self._prefix, rest // NS_PER_MS)
