"""Which verifier authenticates which provider: one line per provider."""

from __future__ import annotations

from collections.abc import Callable

from ingress.azuga import AzugaVerifier
from ingress.enode import EnodeVerifier
from ingress.motive import MotiveVerifier
from ingress.smartcar import SmartcarVerifier
from ingress.sources import Source
from ingress.telematica import TelematicaVerifier
from ingress.verifier import Verifier
from ingress.zf_scalar import ZfScalarVerifier
from ingress.zubie import ZubieVerifier

VERIFIERS: dict[str, Callable[[Source], Verifier]] = {
    "azuga": AzugaVerifier,
    "zf-scalar": ZfScalarVerifier,
    "telematica": TelematicaVerifier,
    "zubie": ZubieVerifier,
    "smartcar": SmartcarVerifier,
    "motive": MotiveVerifier,
    "enode": EnodeVerifier,
}


def verifier_for(source: Source) -> Verifier:
    return VERIFIERS[source.provider](source)
