"""Generated deliveries for the drain and end-to-end phases: Zubie trips with a marker.

Each body is a Zubie trip sample whose trip key and car nickname carry a unique marker,
so the canonical event it becomes can be found again without knowing how the pipeline
derives ids. Zubie is used because the foundation ships it; any provider would do.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.mix import SAMPLES

PROVIDER = "zubie"
TEMPLATES = ("trip_start", "trip_end")
MARKER = re.compile(rb"bench-([0-9a-z]+)-([0-9]{9})")


def marker(run_id: str, index: int) -> str:
    return f"bench-{run_id}-{index:09d}"


def find_marker(value: bytes, run_id: str) -> int | None:
    """The index of this run's marker in a record value, if it holds one."""
    for found in MARKER.finditer(value):
        if found.group(1).decode() == run_id:
            return int(found.group(2))
    return None


def templates(samples: Path = SAMPLES) -> list[dict[str, Any]]:
    return [json.loads((samples / PROVIDER / f"{name}.json").read_bytes()) for name in TEMPLATES]


def trip_body(template: dict[str, Any], mark: str) -> bytes:
    body = {**template, "trip": {**template["trip"], "key": mark}}
    if isinstance(template.get("car"), dict):
        body["car"] = {**template["car"], "nickname": mark}
    return json.dumps(body, separators=(",", ":")).encode()


def bodies(run_id: str, count: int, start: int = 0) -> Iterator[bytes]:
    shapes = templates()
    for index in range(start, start + count):
        yield trip_body(shapes[index % len(shapes)], marker(run_id, index))


def raw_records(
    run_id: str, count: int, source: str = PROVIDER
) -> Iterator[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    """Raw records as the ingress writes them: keyed by the body's SHA-256, same headers."""
    received = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    for body in bodies(run_id, count):
        headers = [
            ("fleetwire-source", source.encode()),
            ("fleetwire-provider", PROVIDER.encode()),
            ("fleetwire-received-at", received.encode()),
            ("fleetwire-request-id", uuid.uuid4().hex.encode()),
            ("content-type", b"application/json"),
        ]
        yield hashlib.sha256(body).hexdigest().encode(), body, headers
