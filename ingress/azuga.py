"""Azuga: HTTP Basic, or a static key in a header the customer names. No signature.

Nothing binds the credential to the body, so a source of this kind should also be
restricted by network (see docs/providers.md). No delivery id either: the ingress keys
the raw record by the body's SHA-256.
"""

from __future__ import annotations

import base64
import binascii
from enum import Enum

from fleetwire.errors import AuthenticationError, ConfigError
from ingress.sources import Source
from ingress.verifier import Headers, Verifier, credential_matches, header_bytes, secret_keys

AUTHORIZATION = "Authorization"


class Outcome(Enum):
    ABSENT = "absent"
    MALFORMED = "malformed"
    MISMATCH = "mismatch"
    MATCH = "match"


class AzugaVerifier(Verifier):
    uses = frozenset({"basic_auth", "api_key_header", "api_keys"})

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        if bool(source.api_key_header) != bool(source.api_keys):
            raise ConfigError(
                f"{source.where}: azuga needs 'api_key_header' and 'api_keys' together "
                "(the header name and its accepted values)"
            )
        if not source.basic_auth and not source.api_keys:
            raise ConfigError(
                f"{source.where}: azuga needs 'basic_auth' (\"user:password\" values) or "
                "'api_key_header' with 'api_keys'"
            )
        for index, secret in enumerate(source.basic_auth):
            if ":" not in secret.value:
                raise ConfigError(
                    f"{source.where}: basic_auth[{index}] must have the form user:password"
                )
        self._basic = secret_keys(source.basic_auth)
        self._key_header = source.api_key_header
        self._keys = secret_keys(source.api_keys)

    def verify(self, headers: Headers, body: bytes, now: float) -> None:
        outcomes = []
        if self._basic:
            outcomes.append(self._check_basic(headers.get(AUTHORIZATION)))
        if self._key_header is not None:
            outcomes.append(self._check_key(headers.get(self._key_header)))
        if Outcome.MATCH in outcomes:
            return
        if Outcome.MISMATCH in outcomes:
            raise AuthenticationError("bad-credentials", "Azuga credentials do not match")
        if Outcome.MALFORMED in outcomes:
            raise AuthenticationError("malformed-header", "Authorization is not HTTP Basic")
        raise AuthenticationError("missing-header", "no Azuga credentials in the request")

    def _check_basic(self, header: str | None) -> Outcome:
        if header is None:
            return Outcome.ABSENT
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "basic":
            return Outcome.MALFORMED
        try:
            credentials = base64.b64decode(token.strip(), validate=True)
        except (binascii.Error, ValueError):
            return Outcome.MALFORMED
        return Outcome.MATCH if credential_matches(self._basic, credentials) else Outcome.MISMATCH

    def _check_key(self, header: str | None) -> Outcome:
        if header is None:
            return Outcome.ABSENT
        matched = credential_matches(self._keys, header_bytes(header.strip()))
        return Outcome.MATCH if matched else Outcome.MISMATCH

    def sign(self, body: bytes, now: float) -> dict[str, str]:
        if self._basic:
            return {AUTHORIZATION: "Basic " + base64.b64encode(self._basic[0]).decode()}
        assert self._key_header is not None  # the constructor guarantees one of the two
        return {self._key_header: self._keys[0].decode()}
