"""Golden files: the canonical events each valid sample becomes, reviewed once, then compared.

tests/golden/<provider>/<sample stem>.json holds the list of canonical events that the
pure transform (processors.output.Transformer, the processors' real path) makes of
tests/samples/<provider>/<sample>.json delivered as a fixed raw record: key = the body's
SHA-256 (what the ingress uses when a provider has no delivery id), source = the
provider's name, a fixed received time. They are the reviewed contract: after a change,
regenerate with `FLEETWIRE_UPDATE_GOLDEN=1 .venv/bin/pytest ...` and review the diff.

Use from a test module:

    @pytest.mark.parametrize("sample", valid_samples("zubie"), ids=lambda p: p.stem)
    def test_golden(sample: Path) -> None:
        assert_matches_golden("zubie", sample)
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from fleetwire.topics import TopicNames
from processors.output import InRecord, OutRecord, Transformer
from processors.registry import NORMALIZERS
from tests.support.samples import SAMPLES

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
RECEIVED_AT = "2025-01-01T00:00:00.000Z"
PREFIX = "golden"
UPDATE_ENV = "FLEETWIRE_UPDATE_GOLDEN"


def delivery(provider: str, body: bytes, key: str | None = None) -> InRecord:
    """The raw record the ingress would have written for `body` (source = provider)."""
    headers = [
        ("fleetwire-source", provider.encode()),
        ("fleetwire-provider", provider.encode()),
        ("fleetwire-received-at", RECEIVED_AT.encode()),
        ("content-type", b"application/json"),
    ]
    return InRecord(
        topic=TopicNames(PREFIX).raw(provider),
        partition=0,
        offset=0,
        key=(key or hashlib.sha256(body).hexdigest()).encode(),
        value=body,
        headers=headers,
    )


def transform(provider: str, body: bytes, key: str | None = None) -> list[OutRecord]:
    return Transformer(TopicNames(PREFIX), NORMALIZERS).transform(
        provider, delivery(provider, body, key)
    )


def canonical_events(provider: str, body: bytes) -> list[dict[str, Any]]:
    """The events `body` becomes; fails the test if it was dead-lettered instead."""
    out = transform(provider, body)
    for record in out:
        if record.event_type is None:
            headers = dict(record.headers)
            raise AssertionError(
                f"dead-lettered ({record.error_kind}): {headers['fleetwire-error'].decode()}"
            )
    return [json.loads(record.value) for record in out]


def dead_letter(provider: str, body: bytes) -> tuple[str, str]:
    """(kind, reason) of the dead letter `body` becomes; fails if it became events."""
    out = transform(provider, body)
    assert [r.event_type for r in out] == [None], f"not dead-lettered: {out}"
    [record] = out
    assert record.topic == TopicNames(PREFIX).dead_letter(provider)
    assert record.value == body
    return record.error_kind or "", dict(record.headers)["fleetwire-error"].decode()


def golden_path(provider: str, sample: Path) -> Path:
    return GOLDEN / provider / f"{sample.stem}.json"


def assert_matches_golden(provider: str, sample: Path) -> None:
    events = canonical_events(provider, sample.read_bytes())
    path = golden_path(provider, sample)
    if os.environ.get(UPDATE_ENV) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(events, indent=2, ensure_ascii=False) + "\n")
        return
    assert path.exists(), f"{path} is missing: run with {UPDATE_ENV}=1 and review it"
    expected = json.loads(path.read_text())
    assert events == expected, (
        f"{sample.name} no longer gives {path}; if intended, "
        f"regenerate with {UPDATE_ENV}=1 and review the diff"
    )


def orphaned_golden_files(provider: str) -> list[str]:
    """Golden files whose sample no longer exists."""
    samples = {p.stem for p in (SAMPLES / provider).glob("*.json")}
    return sorted(p.name for p in (GOLDEN / provider).glob("*.json") if p.stem not in samples)
