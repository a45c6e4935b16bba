"""Where a canonical type comes from: a provider event, and what else decides the type.

Each provider declares its own (providers/spec.py `Provider.produces`); the events
document and the AsyncAPI document render them, and the conformance suite checks them
against what the golden files show the normalizers really do.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    provider: str  # the provider's name
    title: str  # the provider's name as people write it
    event: str  # as the event's `providereventtype` carries it
    when: str = ""  # what else decides the type, or how the event fans out

    def describe(self) -> str:
        text = f"{self.title} `{self.event}`"
        return f"{text}, {self.when}" if self.when else text
