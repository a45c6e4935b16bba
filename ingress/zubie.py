"""Zubie: `Zubie-Signature` is base64(HMAC-SHA256(app secret, raw body)). No delivery id."""

from __future__ import annotations

import base64

from fleetwire.errors import AuthenticationError, ConfigError
from ingress.sources import Source
from ingress.verifier import (
    Headers,
    HmacKeys,
    Verifier,
    decode_base64,
    matches_any,
    required_header,
    secret_keys,
)

HEADER = "Zubie-Signature"


class ZubieVerifier(Verifier):
    def __init__(self, source: Source) -> None:
        super().__init__(source)
        if not source.secrets:
            raise ConfigError(f"{source.where}: zubie needs 'secrets' (the app secret)")
        self._keys = HmacKeys(secret_keys(source.secrets), "sha256")

    def verify(self, headers: Headers, body: bytes, now: float) -> None:
        presented = decode_base64(required_header(headers, HEADER))
        expected = self._keys.digests(body)
        if not matches_any(expected, presented):
            raise AuthenticationError("bad-signature", "Zubie-Signature does not match")

    def sign(self, body: bytes, now: float) -> dict[str, str]:
        digest = self._keys.current(body)
        return {HEADER: base64.b64encode(digest).decode()}
