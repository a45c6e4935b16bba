"""Entry point of `fleetwire ingress`."""

from __future__ import annotations

import uvloop

from fleetwire.settings import Settings
from ingress.server import build_config, serve


def run_ingress(settings: Settings) -> int:
    config = build_config(settings)  # bad configuration stops here, before listening
    uvloop.run(serve(settings, config))
    return 0
