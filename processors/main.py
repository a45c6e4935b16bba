"""Entry point of `fleetwire process`."""

from __future__ import annotations

from collections.abc import Sequence

from fleetwire import eventloop
from fleetwire.errors import ConfigError
from fleetwire.settings import Settings
from processors.registry import NORMALIZERS
from processors.server import serve


def run_processor(settings: Settings, providers: Sequence[str] | None) -> int:
    chosen = list(providers or sorted(NORMALIZERS))
    unknown = [p for p in chosen if p not in NORMALIZERS]
    if unknown:
        raise ConfigError(
            f"--provider {', '.join(unknown)}: unknown; use one of {', '.join(sorted(NORMALIZERS))}"
        )
    eventloop.run(serve(settings, chosen))
    return 0
