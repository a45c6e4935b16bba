"""What a provider is: one declaration, from which everything else derives."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fleetwire.errors import ConfigError
from fleetwire.secret import Secret
from ingress.sources import Source
from ingress.verifier import Verifier
from processors.output import Normalizer
from schemas.catalog import EVENT_TYPES
from schemas.origins import Origin

NAME = re.compile(r"[a-z][a-z0-9-]{0,39}")

# A provider event that becomes a canonical type: its name as `providereventtype` carries
# it, or that name and what else decides the type ("`action` `Pair`", "one per item").
Event = str | tuple[str, str]


@dataclass(frozen=True)
class Provider:
    """One telematics provider: how its deliveries are authenticated and normalized."""

    name: str  # the sources file's `provider`, the topics' suffix: lowercase, digits, '-'
    title: str  # as people write it: "ZF SCALAR"
    scheme: str  # how it authenticates, in a few words
    normalizer: Normalizer
    # canonical type -> the provider events that become it
    produces: Mapping[str, tuple[Event, ...]]
    # A webhook provider's verifier; None for a provider fleetwire polls instead.
    verifier: type[Verifier] | None = None
    # Where its sample bodies and their reviewed golden files are (conformance suite).
    samples: Path | None = None
    golden: Path | None = None
    # Headers a sample is delivered with, beside the signature (the golden files' input).
    sample_headers: Mapping[str, str] = field(default_factory=dict)
    # Sources-file credentials the conformance suite signs and verifies with; several
    # values under one key are a rotation.
    test_credentials: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # How long a signature stays valid, either way from its signed timestamp, for a scheme
    # that signs one (older or future deliveries are refused); None for untimed schemes.
    replay_window_s: int | None = None
    # False for a static credential (HTTP Basic, an API key): the body is not authenticated.
    body_signed: bool = True
    # Valid samples the processors dead-letter on purpose (a handshake that reaches them),
    # by file stem, with the dead letter's kind; they have no golden file.
    rejected_samples: Mapping[str, str] = field(default_factory=dict)

    @property
    def delivery_headers(self) -> tuple[str, ...]:
        """The provider's own headers the raw record carries (lowercase)."""
        verifier = self.verifier
        return tuple(getattr(verifier, "delivery_headers", ())) if verifier else ()

    @property
    def refusal_status(self) -> int:
        """What the ingress answers a delivery that fails authentication."""
        verifier = self.verifier
        return int(getattr(verifier, "refusal_status", 401)) if verifier else 401

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(self.produces)

    def origins(self) -> dict[str, tuple[Origin, ...]]:
        """For each canonical type it produces, the provider events it comes from."""
        return {
            ce_type: tuple(
                Origin(self.name, self.title, *((e,) if isinstance(e, str) else e)) for e in events
            )
            for ce_type, events in self.produces.items()
        }

    def example_source(self, name: str | None = None) -> Source:
        """A source of this provider holding its test credentials (a rotation where several)."""

        def secrets(key: str) -> tuple[Secret, ...]:
            return tuple(Secret(value) for value in self.test_credentials.get(key, ()))

        return Source(
            name=name or self.name,
            provider=self.name,
            secrets=secrets("secrets"),
            basic_auth=secrets("basic_auth"),
            api_keys=secrets("api_keys"),
            authorization=secrets("authorization"),
        )

    def check(self) -> None:
        """Raise ConfigError, in one line, where the declaration contradicts itself."""
        if not NAME.fullmatch(self.name):
            raise ConfigError(
                f"provider {self.name!r}: a name is 1 to 40 lowercase letters, digits and '-', "
                "starting with a letter"
            )
        unknown = sorted(set(self.produces) - set(EVENT_TYPES))
        if unknown:
            raise ConfigError(
                f"provider {self.name!r} produces unknown canonical types {', '.join(unknown)}; "
                "add them to schemas/catalog.py or correct the names"
            )
        if self.verifier is not None and not (
            isinstance(self.verifier, type) and issubclass(self.verifier, Verifier)
        ):
            raise ConfigError(
                f"provider {self.name!r}: verifier {self.verifier!r} is not a "
                "subclass of ingress.verifier.Verifier"
            )
