"""Which providers are installed: every entry point of the group `fleetwire.providers`.

Entry points are read once per process. A plugin that fails to import, registers
something that is not a `Provider`, registers under a name that is not its provider's,
or clashes with another provider stops the process at start with one line naming it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points

from fleetwire.errors import ConfigError
from ingress.sources import Source
from ingress.verifier import Verifier
from processors.output import Normalizer
from providers.spec import Provider
from schemas.origins import Origin

GROUP = "fleetwire.providers"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Installed:
    provider: Provider
    distribution: str  # the distribution that registered it, e.g. "fleetwire"
    version: str


class Registry:
    """The installed providers by name, checked against each other."""

    def __init__(self, installed: Iterable[Installed]) -> None:
        self._by_name: dict[str, Installed] = {}
        for entry in installed:
            entry.provider.check()
            name = entry.provider.name
            other = self._by_name.get(name)
            if other is not None:
                raise ConfigError(
                    f"provider {name!r} is registered twice: by {_origin(other)} and by "
                    f"{_origin(entry)}; uninstall one of them"
                )
            self._by_name[name] = entry
        self._by_name = dict(sorted(self._by_name.items()))

    def __iter__(self) -> Iterator[Provider]:
        return (entry.provider for entry in self._by_name.values())

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __len__(self) -> int:
        return len(self._by_name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def entries(self) -> tuple[Installed, ...]:
        return tuple(self._by_name.values())

    def get(self, name: str) -> Provider:
        entry = self._by_name.get(name)
        if entry is None:
            raise ConfigError(
                f"provider {name!r} is not installed; installed: {', '.join(self.names)}"
            )
        return entry.provider

    @property
    def verifiers(self) -> dict[str, type[Verifier]]:
        """The webhook providers' verifiers by provider name."""
        return {p.name: p.verifier for p in self if p.verifier is not None}

    @property
    def ingress_verifiers(self) -> dict[str, type[Verifier] | None]:
        """What the ingress is given: every provider's verifier, None where it is polled."""
        return {p.name: p.verifier for p in self}

    @property
    def polled(self) -> tuple[str, ...]:
        """The providers fleetwire polls rather than receives (no verifier)."""
        return tuple(p.name for p in self if p.verifier is None)

    def verifier(self, source: Source) -> Verifier:
        """The verifier of a webhook source, built for its credentials."""
        return self.verifiers[source.provider](source)

    @property
    def normalizers(self) -> dict[str, Normalizer]:
        return {p.name: p.normalizer for p in self}

    def origins(self) -> dict[str, tuple[Origin, ...]]:
        """For each canonical type, every installed provider event that becomes it."""
        merged: dict[str, tuple[Origin, ...]] = {}
        for provider in self:
            for ce_type, origins in provider.origins().items():
                merged[ce_type] = (*merged.get(ce_type, ()), *origins)
        return merged

    def select(self, requested: Sequence[str] | None, flag: str = "--provider") -> list[str]:
        """The providers asked for on the command line, checked (none asked for: all)."""
        chosen = list(requested or self.names)
        unknown = [p for p in chosen if p not in self._by_name]
        if unknown:
            raise ConfigError(
                f"{flag} {', '.join(unknown)}: not installed; installed: {', '.join(self.names)}"
            )
        return chosen

    def titles(self) -> dict[str, str]:
        return {p.name: p.title for p in self}


@cache
def installed() -> Registry:
    """The providers installed beside fleetwire, read from their entry points once."""
    return Registry(_load(ep) for ep in entry_points(group=GROUP))


def _load(entry_point: EntryPoint) -> Installed:
    dist = entry_point.dist
    distribution = dist.metadata["Name"] if dist is not None else "unknown distribution"
    version = dist.version if dist is not None else "?"
    where = f"provider plugin {entry_point.name!r} ({distribution} {version}, {entry_point.value})"
    try:
        provider = entry_point.load()
    except Exception as exc:  # whatever a plugin raises on import names the plugin
        raise ConfigError(f"{where} failed to load: {type(exc).__name__}: {exc}") from None
    if not isinstance(provider, Provider):
        raise ConfigError(f"{where} is a {type(provider).__name__}, not a providers.spec.Provider")
    if provider.name != entry_point.name:
        raise ConfigError(
            f"{where} registers provider {provider.name!r} under the name "
            f"{entry_point.name!r}; the entry point's name must be the provider's"
        )
    return Installed(provider, distribution, version)


def _origin(entry: Installed) -> str:
    return f"{entry.distribution} {entry.version}"
