"""What holds across every reviewed golden file, whichever provider it came from (what
holds of each provider's own events: the conformance suite, tests/providers)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from tests.support.golden import GOLDEN

FILES = sorted(GOLDEN.glob("*/*.json"))


def events(path: Path) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(path.read_text())
    return loaded


def test_different_deliveries_never_share_an_id() -> None:
    counts = Counter(event["id"] for path in FILES for event in events(path))
    assert [event_id for event_id, n in counts.items() if n > 1] == []
