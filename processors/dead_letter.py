"""A dead-lettered record as replay sees it: where it sits, why it failed, what to resend.

Pure: headers in, decisions out. The dead-letter headers are those `processors.output`
adds (`fleetwire.envelope.DEAD_LETTER_HEADERS`); everything else is what the raw
record's writer recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fleetwire import envelope
from fleetwire.logs import record_ref

KafkaHeaders = list[tuple[str, bytes]]


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]

    @property
    def ref(self) -> str:
        """Where this dead letter sits: `topic[partition]@offset`, unique and stable."""
        return record_ref(self.topic, self.partition, self.offset)

    @property
    def kind(self) -> str:
        return envelope.header(self.headers, envelope.ERROR_KIND) or "unknown"

    @property
    def reason(self) -> str:
        return envelope.header(self.headers, envelope.ERROR) or ""

    @property
    def failed_at(self) -> datetime | None:
        text = envelope.header(self.headers, envelope.FAILED_AT)
        if text is None:
            return None
        try:
            return as_utc(datetime.fromisoformat(text))
        except ValueError:
            return None

    def replay_headers(self) -> KafkaHeaders:
        """The raw record's own headers again, marked as a replay of this dead letter."""
        return envelope.for_replay(self.headers, self.ref)


@dataclass(frozen=True)
class Selection:
    """Which dead letters to replay: every one, unless narrowed by kind or failure time."""

    kinds: frozenset[str] = frozenset()
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive

    def matches(self, letter: DeadLetter) -> bool:
        if self.kinds and letter.kind not in self.kinds:
            return False
        if self.since is None and self.until is None:
            return True
        failed_at = letter.failed_at
        if failed_at is None:
            return False  # a time range was asked for and this one has no time
        if self.since is not None and failed_at < self.since:
            return False
        return self.until is None or failed_at < self.until


def as_utc(moment: datetime) -> datetime:
    """Times without an offset are taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
