"""Enode: `x-enode-signature: sha1=<hex>`, the HMAC-SHA1 of the raw body.

The key is the secret given to Enode when the webhook was created, as text. No timestamp
is signed. `x-enode-delivery` names the delivered payload (one batch of up to 100
events): it is the delivery id, and it travels on with the raw record.
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

SIGNATURE = "x-enode-signature"
DELIVERY = "x-enode-delivery"
PREFIX = "sha1="
DIGEST_BYTES = 20


class EnodeVerifier(Verifier):
    provider = "enode"
    delivery_headers = (DELIVERY,)

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        if not source.secrets:
            raise ConfigError(
                f"{source.where}: enode needs 'secrets' (the secret given to Enode "
                "when the webhook was created)"
            )
        self._keys = HmacKeys(secret_keys(source.secrets), "sha1")

    def verify(self, headers: Headers, body: bytes, now: float) -> None:
        value = required_header(headers, SIGNATURE)
        if value[: len(PREFIX)].lower() != PREFIX:
            raise AuthenticationError("malformed-signature", f"{SIGNATURE} lacks {PREFIX!r}")
        presented = parse_hex_digest(value[len(PREFIX) :], DIGEST_BYTES)
        if presented is None:
            raise AuthenticationError("malformed-signature", f"{SIGNATURE} is not a hex SHA-1")
        expected = self._keys.digests(body)
        if not matches_any(expected, presented):
            raise AuthenticationError("bad-signature", f"{SIGNATURE} does not match")

    def delivery_id(self, headers: Headers, body: bytes) -> str | None:
        value = headers.get(DELIVERY)
        return value.strip() or None if value else None

    def sign(self, body: bytes, now: float) -> dict[str, str]:
        return {SIGNATURE: PREFIX + self._keys.current(body).hex()}
