"""Samsara: `X-Samsara-Signature: v1=<hex HMAC-SHA256>` over `v1:{timestamp}:{raw body}`.

The key is the secret as Samsara's Developer portal shows it, base64-decoded: a secret
that is not base64 is refused at start, since it could never verify anything. The
timestamp is `X-Samsara-Timestamp` (Unix seconds) exactly as received; it is signed, and
one more than five minutes away from now, either way, is refused, so that a captured
request cannot be replayed for ever (Samsara documents no window; this one is ours).
Samsara's Python helper signs the notification URL with the raw secret instead; Samsara's
own .NET SDK says that scheme rejected every real webhook, so it is not followed here.

The delivery id is the body's `eventId`. `X-Samsara-Request` names the notification, but
Samsara does not say that a retry repeats it, so it only travels on with the raw record.
"""

from __future__ import annotations

import base64
import binascii
import re

from fleetwire.errors import AuthenticationError, ConfigError
from ingress.jsonfield import JsonStringField
from ingress.sources import Source
from ingress.verifier import Headers, HmacKeys, Verifier, header_bytes, matches_any

SIGNATURE = "X-Samsara-Signature"
TIMESTAMP = "X-Samsara-Timestamp"
VERSION = "v1"
TOLERANCE_S = 5 * 60
EVENT_ID = JsonStringField("eventId")
SIGNATURE_VALUE = re.compile(r"v1=([0-9a-fA-F]{64})")
UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


class SamsaraVerifier(Verifier):
    delivery_headers = (
        "x-samsara-request",
        "x-samsara-timestamp",
        "x-samsara-org-id",
        "x-samsara-event-type",
    )

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        if not source.secrets:
            raise ConfigError(
                f"{source.where}: samsara needs 'secrets' (the webhook's secret key, "
                "base64, as Samsara's portal shows it)"
            )
        self._keys = HmacKeys(
            (
                signing_key(source.where, index, secret.value)
                for index, secret in enumerate(source.secrets)
            ),
            "sha256",
        )

    def verify(self, headers: Headers, body: bytes, now: float) -> None:
        timestamp = headers.get(TIMESTAMP)
        if timestamp is None or not timestamp:
            raise AuthenticationError("missing-header", f"header {TIMESTAMP} is missing")
        if not UNIX_SECONDS.fullmatch(timestamp):
            raise AuthenticationError("malformed-header", f"{TIMESTAMP} is not Unix seconds")
        if abs(now - int(timestamp)) > TOLERANCE_S:
            raise AuthenticationError(
                "stale-timestamp", f"{TIMESTAMP} is more than 5 minutes from now"
            )
        signature = headers.get(SIGNATURE)
        if signature is None or not signature.strip():
            raise AuthenticationError("missing-header", f"header {SIGNATURE} is missing")
        match = SIGNATURE_VALUE.fullmatch(signature.strip())
        if match is None:
            raise AuthenticationError("malformed-signature", f"{SIGNATURE} is not v1=<hex>")
        presented = bytes.fromhex(match.group(1))
        content = signed_content(header_bytes(timestamp), body)
        if not matches_any(self._keys.digests(content), presented):
            raise AuthenticationError("bad-signature", f"{SIGNATURE} does not match")

    def delivery_id(self, headers: Headers, body: bytes) -> str | None:
        return EVENT_ID.find(body)

    def sign(self, body: bytes, now: float) -> dict[str, str]:
        timestamp = str(int(now))
        digest = self._keys.current(signed_content(timestamp.encode(), body))
        return {TIMESTAMP: timestamp, SIGNATURE: f"{VERSION}={digest.hex()}"}


def signed_content(timestamp: bytes, body: bytes) -> bytes:
    return b"%s:%s:%s" % (VERSION.encode(), timestamp, body)


def signing_key(where: str, index: int, secret: str) -> bytes:
    """The HMAC key of a portal secret; ConfigError (never showing it) if not base64."""
    try:
        key = base64.b64decode(secret.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(
            f"{where}: secrets[{index}] is not base64; give the secret key exactly as "
            "Samsara's portal shows it"
        ) from None
    if not key:
        raise ConfigError(f"{where}: secrets[{index}] is empty")
    return key
