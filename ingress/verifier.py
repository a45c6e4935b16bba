"""What every provider's verifier offers the ingress.

A verifier is pure: it looks at headers, the raw body, the source's credentials and the
current time, and either returns or raises `AuthenticationError` with a short reason.
Headers are a case-insensitive mapping (aiohttp's `CIMultiDictProxy`, or `CIMultiDict`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import ClassVar

from fleetwire.errors import AuthenticationError, ConfigError
from fleetwire.secret import Secret
from ingress.sources import Source

Headers = Mapping[str, str]
HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


class Verifier(ABC):
    """Authenticates one source's webhooks and names their deliveries."""

    # Lowercase names of the provider's own delivery headers, copied onto the raw record.
    delivery_headers: ClassVar[tuple[str, ...]] = ()
    # The answer to a delivery that fails authentication. Most providers retry a 5xx and
    # give up on a 4xx; one that retries every 4xx but one (Motive: 403) says which here.
    refusal_status: ClassVar[int] = 401
    # The sources-file credential keys this provider understands; any other is a mistake.
    uses: ClassVar[frozenset[str]] = frozenset({"secrets"})

    def __init__(self, source: Source) -> None:
        self.source = source
        unused = source.credentials() - self.uses
        if unused:
            raise ConfigError(
                f"{source.where}: {source.provider} does not use {', '.join(sorted(unused))}; "
                f"remove it (it takes {', '.join(sorted(self.uses))})"
            )

    @abstractmethod
    def verify(self, headers: Headers, body: bytes, now: float) -> None:
        """Return if the request is authentic; raise AuthenticationError otherwise."""

    def delivery_id(self, headers: Headers, body: bytes) -> str | None:
        """The provider's id of this delivery, the same on every retry; None if it has none."""
        return None

    def challenge(self, headers: Headers, body: bytes) -> bytes | None:
        """A response body to answer with instead of publishing (a handshake), else None."""
        return None

    @abstractmethod
    def sign(self, body: bytes, now: float) -> dict[str, str]:
        """Headers that make `body` authentic for this source, as the provider would send."""

    def resign(self, headers: Headers, body: bytes, now: float) -> dict[str, str]:
        """The headers of the delivery `headers` sent again at `now`: a provider's retry.

        Most schemes sign the body alone, so a retry is signed like a first delivery; a
        scheme whose signed headers name the delivery keeps that name.
        """
        return self.sign(body, now)


class HmacKeys:
    """A source's HMAC keys, each keyed once; the first is the current one.

    `hmac.new` pads and hashes the key again for every message: about half the cost of
    the HMAC of a 1.4 KB webhook body. A copy of an HMAC keyed in advance skips that.
    """

    __slots__ = ("_keyed",)

    def __init__(self, keys: Iterable[bytes], digest: str) -> None:
        self._keyed = tuple(hmac.new(key, digestmod=digest) for key in keys)

    def digests(self, message: bytes) -> list[bytes]:
        """The message's HMAC under every key, in order."""
        return [_finished(keyed, message) for keyed in self._keyed]

    def current(self, message: bytes) -> bytes:
        """The message's HMAC under the current (first) key: what a sender signs with."""
        return _finished(self._keyed[0], message)


def _finished(keyed: hmac.HMAC, message: bytes) -> bytes:
    mac = keyed.copy()
    mac.update(message)
    return mac.digest()


def parse_hex_digest(value: str, size: int) -> bytes | None:
    """The `size` bytes of a hex digest (either case); None if it is not one."""
    text = value.strip()
    if len(text) != 2 * size or not (text.isascii() and all(c in HEX_DIGITS for c in text)):
        return None
    return bytes.fromhex(text)


def matches_any(expected: Iterable[bytes], presented: bytes) -> bool:
    """Constant-time comparison against every candidate; no early exit on a match."""
    found = False
    for candidate in expected:
        found |= hmac.compare_digest(candidate, presented)
    return found


def credential_matches(expected: Iterable[bytes], presented: bytes) -> bool:
    """Constant-time match of a static credential, its length included.

    `compare_digest` leaks whether the lengths differ; comparing digests does not.
    """
    digest = hashlib.sha256(presented).digest()
    return matches_any((hashlib.sha256(value).digest() for value in expected), digest)


def decode_base64(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise AuthenticationError("malformed-signature", "signature is not base64") from None


def header_bytes(value: str) -> bytes:
    """A header value's bytes as received (non-UTF-8 bytes arrive as surrogate escapes)."""
    return value.encode("utf-8", "surrogateescape")


def required_header(headers: Headers, name: str) -> str:
    value = headers.get(name)
    if value is None or not value.strip():
        raise AuthenticationError("missing-header", f"header {name} is missing")
    return value.strip()


def secret_keys(secrets: Iterable[Secret]) -> tuple[bytes, ...]:
    return tuple(secret.encode() for secret in secrets)


# The installed providers' verifiers by provider name (providers.registry); None for a
# provider that fleetwire polls rather than receives, whose sources the ingress passes over.
Verifiers = Mapping[str, type[Verifier] | None]
