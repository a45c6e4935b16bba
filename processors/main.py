"""Entry point of `fleetwire process`."""

from __future__ import annotations

from collections.abc import Mapping

from fleetwire import eventloop
from fleetwire.settings import Settings
from processors.output import Normalizer
from processors.server import serve


def run_processor(settings: Settings, normalizers: Mapping[str, Normalizer]) -> int:
    """Process the raw topics of the providers whose normalizers are given."""
    eventloop.run(serve(settings, normalizers))
    return 0
