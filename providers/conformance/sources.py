"""What the signing rules sign and verify with: the provider's `test_credentials` as sources.

`test_credentials` maps sources-file keys to values; a key with several values is a
rotation. The suite builds the source with every value (what an operator rotating a
credential configures) and, for each rotated value, the source with that one alone
(what signed the delivery before, or after, the rotation).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from fleetwire.secret import Secret
from ingress.sources import Source
from ingress.verifier import Verifier
from providers.spec import Provider

# The credential keys of a source and their defaults: a tuple holds secrets.
_DEFAULTS = {
    field.name: field.default
    for field in dataclasses.fields(Source)
    if field.name not in {"name", "provider"}
}


class NotApplicable(Exception):
    """The rule does not apply to this provider; the message says why."""


def verifier_class(provider: Provider) -> type[Verifier]:
    """The provider's verifier; NotApplicable for a provider fleetwire polls."""
    if provider.verifier is None:
        raise NotApplicable(f"{provider.name} is polled, not posted: nothing is signed")
    return provider.verifier


def source(provider: Provider, credentials: Mapping[str, tuple[str, ...]]) -> Source:
    """The source of `provider` configured with `credentials`."""
    given: dict[str, Any] = {}
    for key, values in credentials.items():
        if key not in _DEFAULTS:
            raise AssertionError(
                f"{provider.name}: test_credentials key {key!r} is no sources-file key "
                f"({', '.join(sorted(_DEFAULTS))})"
            )
        if isinstance(_DEFAULTS[key], tuple):
            given[key] = tuple(Secret(value) for value in values)
        else:
            given[key] = values[0]
    bare = Source(name=f"conformance-{provider.name}", provider=provider.name)
    return dataclasses.replace(bare, **given)


def verifier(provider: Provider, credentials: Mapping[str, tuple[str, ...]]) -> Verifier:
    return verifier_class(provider)(source(provider, credentials))


def full(provider: Provider) -> Verifier:
    """The verifier of the source holding every test credential."""
    return verifier(provider, provider.test_credentials)


@dataclasses.dataclass(frozen=True)
class Held:
    """One value of a rotated credential, and the verifier of a source holding it alone."""

    key: str
    index: int
    verifier: Verifier

    @property
    def what(self) -> str:
        return f"{self.key}[{self.index}]"


def rotated(provider: Provider) -> list[Held]:
    """For each value of each rotated key, the verifier of a source holding it alone."""
    verifier_class(provider)
    found = []
    for key, values in provider.test_credentials.items():
        if len(values) < 2 or not isinstance(_DEFAULTS.get(key), tuple):
            continue
        for index, value in enumerate(values):
            alone = {**provider.test_credentials, key: (value,)}
            found.append(Held(key, index, verifier(provider, alone)))
    if not found:
        raise AssertionError(
            f"{provider.name}: test_credentials must hold a rotation: two or more values "
            "under one key (e.g. secrets = (current, previous))"
        )
    return found
