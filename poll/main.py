"""Entry point of `fleetwire poll`."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from fleetwire import eventloop
from fleetwire.errors import ConfigError
from fleetwire.settings import Settings
from poll.server import serve
from poll.sources import load_pull_sources


def run_poller(settings: Settings, names: Sequence[str] | None, polled: Collection[str]) -> int:
    """Poll the pull sources named (default: all) of the `polled` providers."""
    sources = load_pull_sources(settings.sources_path, polled=polled)
    if not sources:
        raise ConfigError(
            f"{settings.sources_path}: no pull sources; add a [[sources]] entry with "
            'provider = "geotab" (see docs/operations.md, "Pull sources")'
        )
    unknown = sorted(set(names or ()) - set(sources))
    if unknown:
        raise ConfigError(
            f"--source {', '.join(unknown)}: no such pull source; use some of "
            f"{', '.join(sorted(sources))}"
        )
    chosen = [sources[name] for name in names] if names else list(sources.values())
    eventloop.run(serve(settings, chosen))
    return 0
