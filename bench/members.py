"""The members of a consumer group as their own logs tell it: the partitions each was
given last, when, and how many assignments it went through to get there.

The processor logs `partitions assigned: topic[0], topic[3]` (or `none`) at every
assignment, as text (local time first) or as JSON lines (`time`, ISO with its offset).
Its rebalances are eager: every assignment replaces the one before, so the last line is
what the member held from then on. A member started beside another first often gets
every partition alone, and the group rebalances only when the other's join reaches it
(at its next heartbeat); the drain is shared from the last member's last assignment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

ASSIGNED = "partitions assigned: "
PARTITION = re.compile(r"[^\s,\[\]]+\[\d+\]")
TEXT_TIME = "%Y-%m-%d %H:%M:%S,%f"  # logging's asctime
TEXT_TIME_LENGTH = len("2026-01-01 00:00:00,000")


@dataclass(frozen=True)
class Member:
    partitions: int  # in its last assignment
    assignments: int  # 1 when the group never rebalanced after this member's first
    assigned_at: float | None  # the last assignment, in seconds since the epoch

    def as_dict(self) -> dict[str, int]:
        return {"partitions": self.partitions, "assignments": self.assignments}


@dataclass(frozen=True)
class Line:
    at: float | None
    message: str


def member(lines: Iterable[str]) -> Member:
    """What one member's log says; 0 assignments when it never got any."""
    assigned = [line for line in map(parse, lines) if ASSIGNED in line.message]
    if not assigned:
        return Member(0, 0, None)
    last = assigned[-1]
    held = PARTITION.findall(last.message.split(ASSIGNED, 1)[1])
    return Member(len(held), len(assigned), last.at)


def parse(line: str) -> Line:
    """A log line's time and message: a JSON line's fields, or the text line itself."""
    if line.startswith("{"):
        try:
            entry = json.loads(line)
        except ValueError:
            return Line(None, line)
        if isinstance(entry, dict):
            return Line(_epoch(str(entry.get("time", ""))), str(entry.get("message", "")))
    try:  # a naive time is local time, as logging writes it
        at = datetime.strptime(line[:TEXT_TIME_LENGTH], TEXT_TIME).timestamp()
    except ValueError:
        at = None
    return Line(at, line)


def _epoch(iso: str) -> float | None:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return None


def sharing_since(members: Iterable[Member]) -> float | None:
    """When every member held partitions of its own, in seconds since the epoch: the last
    member's last assignment; None if one ended with none."""
    found = list(members)
    if not found or any(m.partitions == 0 or m.assigned_at is None for m in found):
        return None
    return max(m.assigned_at for m in found if m.assigned_at is not None)
