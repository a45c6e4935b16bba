"""The installed providers, as the tests loop over them: every one, built-in or plugin."""

from __future__ import annotations

from ingress.sources import Source
from ingress.verifier import Verifier
from providers.registry import installed

REGISTRY = installed()
PROVIDERS = REGISTRY.names
VERIFIERS = REGISTRY.verifiers  # the webhook providers
NORMALIZERS = REGISTRY.normalizers
POLLED = REGISTRY.polled  # the providers fleetwire polls (Geotab)


def verifier_for(source: Source) -> Verifier:
    return REGISTRY.verifier(source)
