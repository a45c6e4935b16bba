"""Which workers of one ingress have reached Kafka, as every worker sees it.

The workers share the admin port, so `/readyz` is answered by whichever worker the
kernel picks. Were each to report only itself, a load balancer could be told "ready"
while the next webhook lands on a worker still connecting, which answers it 503. So each
worker marks itself in a flag array the supervisor shares with all of them, and a worker
reports ready only once every flag is set (and its own connection works).
"""

from __future__ import annotations

from collections.abc import MutableSequence


class Peers:
    """One worker's view of the shared flags: one per worker, set once it has connected."""

    def __init__(self, flags: MutableSequence[int], index: int) -> None:
        self._flags = flags
        self._index = index

    def mark_connected(self) -> None:
        self._flags[self._index] = 1

    def waiting_for(self) -> list[int]:
        """The indexes of the workers that have not reached Kafka yet."""
        return [index for index, flag in enumerate(self._flags) if not flag]

    def not_ready_reason(self) -> str | None:
        waiting = self.waiting_for()
        if not waiting:
            return None
        names = ", ".join(str(index) for index in waiting)
        return f"ingress worker {names} of {len(self._flags)} not connected to kafka yet"
