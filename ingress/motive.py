"""Motive (formerly KeepTruckin): `X-KT-Webhook-Signature` is the hex HMAC-SHA1 of the body.

The key is the secret's own characters. The secret looks like hex, but it is not decoded:
Motive's published vectors only reproduce with the text as key. Its length is not checked
either (one old page asks for 20 characters, its own examples have 32). The raw body is
signed as received. Motive sends no delivery id, so the ingress keys the raw record by the
body's SHA-256, and no timestamp, so a captured request can be replayed: the processors'
de-duplication window is what catches that.

A bad signature is refused with 403: Motive stops retrying on 403 and retries every other
4xx, a 401 included.
"""

from __future__ import annotations

from fleetwire.errors import AuthenticationError, ConfigError
from ingress.sources import Source
from ingress.verifier import (
    Headers,
    HmacKeys,
    Verifier,
    matches_any,
    parse_hex_digest,
    required_header,
    secret_keys,
)

HEADER = "X-KT-Webhook-Signature"
DIGEST_BYTES = 20


class MotiveVerifier(Verifier):
    provider = "motive"
    refusal_status = 403

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        if not source.secrets:
            raise ConfigError(
                f"{source.where}: motive needs 'secrets' (the webhook's shared secret, as text)"
            )
        self._keys = HmacKeys(secret_keys(source.secrets), "sha1")

    def verify(self, headers: Headers, body: bytes, now: float) -> None:
        presented = parse_hex_digest(required_header(headers, HEADER), DIGEST_BYTES)
        if presented is None:
            raise AuthenticationError("malformed-signature", f"{HEADER} is not a hex SHA-1")
        expected = self._keys.digests(body)
        if not matches_any(expected, presented):
            raise AuthenticationError("bad-signature", f"{HEADER} does not match")

    def sign(self, body: bytes, now: float) -> dict[str, str]:
        return {HEADER: self._keys.current(body).hex()}
