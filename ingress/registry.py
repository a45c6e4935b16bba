"""Which verifier authenticates which provider: one line per provider."""

from __future__ import annotations

from collections.abc import Callable

from ingress.sources import Source
from ingress.verifier import Verifier
from ingress.zubie import ZubieVerifier

VERIFIERS: dict[str, Callable[[Source], Verifier]] = {
    "zubie": ZubieVerifier,
}


def verifier_for(source: Source) -> Verifier:
    return VERIFIERS[source.provider](source)
