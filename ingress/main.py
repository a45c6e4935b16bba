"""Entry point of `fleetwire ingress`."""

from __future__ import annotations

from fleetwire import eventloop
from fleetwire.settings import Settings
from ingress.server import build_config, hold_stop_signals, serve
from ingress.verifier import Verifiers
from ingress.workers import run_workers


def run_ingress(settings: Settings, verifiers: Verifiers) -> int:
    """Serve the webhooks of the sources whose providers' verifiers are given."""
    config = build_config(settings, verifiers)  # bad configuration stops here, before listening
    if settings.workers > 1:
        return run_workers(settings, verifiers)
    hold_stop_signals()
    eventloop.run(serve(settings, config))
    return 0
