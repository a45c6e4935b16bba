"""The golden-file convention (providers.golden) for fleetwire's own tests, by
provider name.

The convention, the comparison and `FLEETWIRE_UPDATE_GOLDEN=1` regeneration belong to the
conformance suite, which every provider passes (tests/providers/test_conformance.py); the
tests here use the same raw records to check one rule at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fleetwire.topics import TopicNames
from processors.output import InRecord, OutRecord, Transformer
from providers import golden
from tests.support.providers import NORMALIZERS, REGISTRY

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
RECEIVED_AT = golden.RECEIVED_AT
PREFIX = golden.PREFIX
UPDATE_ENV = golden.UPDATE_ENV
TRANSFORMER = Transformer(TopicNames(PREFIX), NORMALIZERS)


def delivery(provider: str, body: bytes, headers: Mapping[str, str] | None = None) -> InRecord:
    """The raw record of `body` by the golden convention; `headers` replaces the
    provider's sample headers."""
    return golden.delivery(REGISTRY.get(provider), body, headers)


def transform(
    provider: str, body: bytes, headers: Mapping[str, str] | None = None
) -> list[OutRecord]:
    return golden.transform(REGISTRY.get(provider), body, headers)


def canonical_events(
    provider: str, body: bytes, headers: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The events `body` becomes; fails the test if it was dead-lettered instead."""
    return golden.canonical_events(REGISTRY.get(provider), body, headers)


def dead_letter(provider: str, body: bytes) -> tuple[str, str]:
    """(kind, reason) of the dead letter `body` becomes; fails if it became events."""
    return golden.dead_letter(REGISTRY.get(provider), body)
