"""ZF SCALAR Datahub: `sha256=<digest>`, HMAC-SHA256 of the raw body with the portal secret.

ZF's documents name the header `X-SCALAR-Signature` on one page and `X-Webhook-Signature`
on another, and do not say whether the digest is hex or base64: all four are accepted.
A source may also require the `Authorization` value configured in the ZF portal. The
delivery id is the body's `eventBatchId` (one per batch; the events inside have none).
"""

from __future__ import annotations

import base64
import binascii
import string

from fleetwire.errors import AuthenticationError, ConfigError
from ingress.jsonfield import JsonStringField
from ingress.sources import Source
from ingress.verifier import (
    Headers,
    HmacKeys,
    Verifier,
    credential_matches,
    header_bytes,
    matches_any,
    required_header,
    secret_keys,
)

SIGNATURE_HEADERS = ("X-SCALAR-Signature", "X-Webhook-Signature")
AUTHORIZATION = "Authorization"
PREFIX = "sha256="
DIGEST_BYTES = 32
HEX_DIGITS = frozenset(string.hexdigits)

BATCH_ID = JsonStringField("eventBatchId")


class ZfScalarVerifier(Verifier):
    uses = frozenset({"secrets", "authorization"})

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        if not source.secrets:
            raise ConfigError(f"{source.where}: zf-scalar needs 'secrets' (the portal's secret)")
        self._keys = HmacKeys(secret_keys(source.secrets), "sha256")
        self._authorization = secret_keys(source.authorization)

    def verify(self, headers: Headers, body: bytes, now: float) -> None:
        if self._authorization:
            presented = header_bytes(required_header(headers, AUTHORIZATION))
            if not credential_matches(self._authorization, presented):
                raise AuthenticationError("bad-authorization", "Authorization does not match")
        signatures = [headers.get(name) for name in SIGNATURE_HEADERS]
        present = [value for value in signatures if value is not None and value.strip()]
        if not present:
            raise AuthenticationError("missing-header", "no X-SCALAR-Signature header")
        digests = [digest for digest in map(parse_digest, present) if digest is not None]
        if not digests:
            raise AuthenticationError(
                "malformed-signature", "X-SCALAR-Signature is neither a hex nor a base64 SHA-256"
            )
        expected = self._keys.digests(body)
        if not any(matches_any(expected, digest) for digest in digests):
            raise AuthenticationError("bad-signature", "X-SCALAR-Signature does not match")

    def delivery_id(self, headers: Headers, body: bytes) -> str | None:
        return BATCH_ID.find(body)

    def sign(self, body: bytes, now: float) -> dict[str, str]:
        signed = {SIGNATURE_HEADERS[0]: PREFIX + self._keys.current(body).hex()}
        if self._authorization:
            signed[AUTHORIZATION] = self._authorization[0].decode()
        return signed


def parse_digest(value: str) -> bytes | None:
    """The 32 digest bytes of `sha256=<hex or base64>` (prefix optional); None if neither."""
    text = value.strip()
    if text[: len(PREFIX)].lower() == PREFIX:
        text = text[len(PREFIX) :]
    if len(text) == 2 * DIGEST_BYTES and set(text) <= HEX_DIGITS:
        return bytes.fromhex(text)
    standard = text.replace("-", "+").replace("_", "/")  # the URL-safe alphabet too
    try:
        digest = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return digest if len(digest) == DIGEST_BYTES else None
