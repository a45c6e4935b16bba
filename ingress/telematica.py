"""Telematica: Svix / Standard Webhooks signatures.

Headers come as `svix-id`, `svix-timestamp`, `svix-signature` or, on some accounts, as
`webhook-id`, `webhook-timestamp`, `webhook-signature`. The key is the base64 part of a
`whsec_` secret; the signed content is `{id}.{timestamp}.{body}`; the signature header
is a space-separated list of `v1,<base64>` entries (other versions are ignored). A
timestamp more than five minutes away from now, either way, is refused: without it a
captured request could be replayed for ever. The id is the delivery id, the same on
every retry; id and timestamp travel on with the raw record.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass

from fleetwire.errors import AuthenticationError, ConfigError
from ingress.sources import Source
from ingress.verifier import (
    Headers,
    HmacKeys,
    Verifier,
    header_bytes,
    matches_any,
    required_header,
)

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format marker of a secret, not a secret
TOLERANCE_S = 5 * 60
SIGNATURE_VERSION = "v1"
MAX_TIMESTAMP_DIGITS = 12


@dataclass(frozen=True)
class HeaderFamily:
    id: str
    timestamp: str
    signature: str


SVIX = HeaderFamily("svix-id", "svix-timestamp", "svix-signature")
STANDARD = HeaderFamily("webhook-id", "webhook-timestamp", "webhook-signature")
FAMILIES = (SVIX, STANDARD)


class TelematicaVerifier(Verifier):
    delivery_headers = (SVIX.id, SVIX.timestamp, STANDARD.id, STANDARD.timestamp)

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        if not source.secrets:
            raise ConfigError(
                f"{source.where}: telematica needs 'secrets' (the endpoint's whsec_ secret)"
            )
        self._keys = HmacKeys(
            (
                signing_key(source.where, index, secret.value)
                for index, secret in enumerate(source.secrets)
            ),
            "sha256",
        )

    def verify(self, headers: Headers, body: bytes, now: float) -> None:
        family = _family(headers)
        message_id = required_header(headers, family.id)
        timestamp = required_header(headers, family.timestamp)
        signatures = required_header(headers, family.signature)
        if not _unix_seconds(timestamp):
            raise AuthenticationError("malformed-header", f"{family.timestamp} is not Unix seconds")
        if abs(now - int(timestamp)) > TOLERANCE_S:
            raise AuthenticationError(
                "stale-timestamp", f"{family.timestamp} is more than 5 minutes from now"
            )
        presented = _v1_signatures(signatures)
        if not presented:
            raise AuthenticationError("malformed-signature", f"no v1 entry in {family.signature}")
        content = header_bytes(f"{message_id}.{timestamp}.") + body
        expected = self._keys.digests(content)
        if not any(matches_any(expected, signature) for signature in presented):
            raise AuthenticationError("bad-signature", f"{family.signature} does not match")

    def delivery_id(self, headers: Headers, body: bytes) -> str | None:
        value = headers.get(_family(headers).id)
        return value.strip() if value else None

    def sign(self, body: bytes, now: float) -> dict[str, str]:
        return self._signed("msg_" + secrets.token_hex(12), body, now)

    def resign(self, headers: Headers, body: bytes, now: float) -> dict[str, str]:
        # A Svix retry keeps its message id: the delivery id, signed with the timestamp.
        return self._signed(required_header(headers, _family(headers).id), body, now)

    def _signed(self, message_id: str, body: bytes, now: float) -> dict[str, str]:
        timestamp = str(int(now))
        digest = self._keys.current(f"{message_id}.{timestamp}.".encode() + body)
        return {
            SVIX.id: message_id,
            SVIX.timestamp: timestamp,
            SVIX.signature: f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}",
        }


def signing_key(where: str, index: int, secret: str) -> bytes:
    """The HMAC key of a `whsec_` secret; ConfigError (never showing it) if malformed."""
    problem = f"{where}: secrets[{index}] is not a Standard Webhooks secret"
    if not secret.startswith(SECRET_PREFIX):
        raise ConfigError(f"{problem}: it must start with {SECRET_PREFIX!r} as Telematica shows it")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{problem}: the part after {SECRET_PREFIX!r} must be base64") from None
    if not key:
        raise ConfigError(f"{problem}: the part after {SECRET_PREFIX!r} is empty")
    return key


def _unix_seconds(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= MAX_TIMESTAMP_DIGITS


def _family(headers: Headers) -> HeaderFamily:
    """The header family this request uses: the first whose id header is present."""
    for family in FAMILIES:
        if family.id in headers:
            return family
    raise AuthenticationError("missing-header", "neither svix-id nor webhook-id is present")


def _v1_signatures(header: str) -> list[bytes]:
    """Every decodable `v1,<base64>` entry; entries of other versions are skipped."""
    found = []
    for entry in header.split():
        version, _, encoded = entry.partition(",")
        if version != SIGNATURE_VERSION:
            continue
        try:
            found.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    return found
