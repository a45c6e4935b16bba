"""The one exception tree of fleetwire.

Every error that reaches a person says what is wrong and what to do about it.
"""

from collections.abc import Sequence


class FleetwireError(Exception):
    """Base of every error fleetwire raises on purpose."""


class ConfigError(FleetwireError):
    """Configuration (environment or sources file) is invalid; the process cannot start."""


class AuthenticationError(FleetwireError):
    """A webhook failed authentication. `reason` is a short, bounded label for metrics."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason


class RejectedRecord(FleetwireError):
    """A raw record cannot be turned into canonical events; it goes to the dead-letter topic.

    `kind` is a short, bounded label (metrics, replay filters); the message is the reason
    a person reads in the `fleetwire-error` header.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class RejectedItems(RejectedRecord):
    """Some items of a batch cannot be normalized; the other items still can.

    `events` are the canonical events of the good items, `rejected` the position and the
    reason of each bad one: each bad item becomes a dead letter of its own, which names
    its position, so that a replay normalizes that item alone. As a RejectedRecord its
    kind and message are those of the first bad item (for callers that take the batch
    as a whole).
    """

    def __init__(
        self, events: Sequence[object], rejected: Sequence[tuple[int, RejectedRecord]]
    ) -> None:
        index, first = rejected[0]
        super().__init__(first.kind, f"item {index}: {first} ({len(rejected)} bad item(s))")
        self.events = tuple(events)
        self.rejected = tuple(rejected)


class Ping(FleetwireError):
    """A provider's test delivery or heartbeat: authentic, but no vehicle event.

    The processors count it and write nothing for it: no canonical event, no dead letter.
    The message says what it was (`Ping`, `enode:webhook:test`, ...).
    """


class PublishError(FleetwireError):
    """Kafka did not confirm a write in time; the caller must not acknowledge."""


class KafkaUnavailable(FleetwireError):
    """Kafka refused or could not be reached; the message says which and what to check."""
