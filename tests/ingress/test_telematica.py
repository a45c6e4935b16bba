"""Telematica (Svix / Standard Webhooks), checked against the reference implementation."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import pytest
from multidict import CIMultiDict
from standardwebhooks import Webhook

from fleetwire.errors import AuthenticationError, ConfigError
from ingress.sources import Secret, Source
from ingress.telematica import TelematicaVerifier
from tests.support.samples import sample

NEW = "whsec_" + base64.b64encode(b"new telematica key, 24 b").decode()
OLD = "whsec_" + base64.b64encode(b"old telematica key, 24 b").decode()
SOURCE = Source(name="telematica", provider="telematica", secrets=(Secret(NEW), Secret(OLD)))
BODY = sample("telematica", "vehicle.soc")
NOW = time.time()


def reference_signature(secret: str, message_id: str, at: float, body: bytes) -> str:
    return Webhook(secret).sign(message_id, datetime.fromtimestamp(at, UTC), body.decode())


def headers(family: str, message_id: str, at: float, signature: str) -> CIMultiDict[str]:
    return CIMultiDict(
        {
            f"{family}-id": message_id,
            f"{family}-timestamp": str(int(at)),
            f"{family}-signature": signature,
        }
    )


def verify(request: CIMultiDict[str], body: bytes = BODY, now: float = NOW) -> None:
    TelematicaVerifier(SOURCE).verify(request, body, now)


def refused(request: CIMultiDict[str], body: bytes = BODY, now: float = NOW) -> str:
    with pytest.raises(AuthenticationError) as info:
        verify(request, body, now)
    return info.value.reason


@pytest.mark.parametrize("family", ["svix", "webhook"])
@pytest.mark.parametrize("secret", [NEW, OLD])
def test_reference_signatures_verify_with_either_family_and_secret(
    family: str, secret: str
) -> None:
    verify(
        headers(
            family,
            "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
            NOW,
            reference_signature(secret, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", NOW, BODY),
        )
    )


def test_any_v1_entry_may_match_and_other_versions_are_ignored() -> None:
    good = reference_signature(NEW, "msg_1", NOW, BODY)
    digest = good.split(",", 1)[1]
    wrong = base64.b64encode(b"\0" * 32).decode()
    verify(headers("svix", "msg_1", NOW, f"v1a,{digest} v1,{wrong} {good}"))
    assert refused(headers("svix", "msg_1", NOW, f"v1a,{digest} v2,{digest}")) == (
        "malformed-signature"
    )


@pytest.mark.parametrize("minutes", [-6, 6])
def test_a_timestamp_six_minutes_away_is_refused(minutes: int) -> None:
    at = NOW + minutes * 60
    request = headers("svix", "msg_1", at, reference_signature(NEW, "msg_1", at, BODY))
    assert refused(request) == "stale-timestamp"


@pytest.mark.parametrize("minutes", [-4.9, 4.9])
def test_a_timestamp_within_five_minutes_verifies(minutes: float) -> None:
    at = NOW + minutes * 60
    verify(headers("webhook", "msg_1", at, reference_signature(NEW, "msg_1", at, BODY)))


def test_wrong_secret_and_changed_body_are_refused() -> None:
    other = "whsec_" + base64.b64encode(b"someone else's key").decode()
    assert refused(headers("svix", "m", NOW, reference_signature(other, "m", NOW, BODY))) == (
        "bad-signature"
    )
    signed = headers("svix", "m", NOW, reference_signature(NEW, "m", NOW, BODY))
    assert refused(signed, BODY.replace(b"vehicle.soc", b"vehicle.plug-status")) == (
        "bad-signature"
    )
    # The id and timestamp are signed too.
    signed["svix-id"] = "m2"
    assert refused(signed) == "bad-signature"


@pytest.mark.parametrize("missing", ["svix-id", "svix-timestamp", "svix-signature"])
def test_each_missing_header_is_refused(missing: str) -> None:
    request = headers("svix", "m", NOW, reference_signature(NEW, "m", NOW, BODY))
    del request[missing]
    assert refused(request) == "missing-header"


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("svix-timestamp", "yesterday", "malformed-header"),
        ("svix-timestamp", "1700000000.5", "malformed-header"),
        ("svix-timestamp", "-1", "malformed-header"),
        ("svix-signature", "v1,%%%", "malformed-signature"),
        ("svix-signature", "not a signature", "malformed-signature"),
    ],
)
def test_malformed_headers_are_refused(name: str, value: str, reason: str) -> None:
    request = headers("svix", "m", NOW, reference_signature(NEW, "m", NOW, BODY))
    request[name] = value
    assert refused(request) == reason


def test_a_hex_digest_is_an_unknown_encoding() -> None:
    digest = base64.b64decode(reference_signature(NEW, "m", NOW, BODY).split(",", 1)[1])
    assert refused(headers("svix", "m", NOW, f"v1,{digest.hex()}")) == "bad-signature"


def test_the_delivery_id_and_delivery_headers() -> None:
    verifier = TelematicaVerifier(SOURCE)
    assert verifier.delivery_id(headers("svix", "msg_a", NOW, "v1,x"), BODY) == "msg_a"
    assert verifier.delivery_id(headers("webhook", "msg_b", NOW, "v1,x"), BODY) == "msg_b"
    assert {"svix-id", "svix-timestamp", "webhook-id", "webhook-timestamp"} <= set(
        verifier.delivery_headers
    )


def test_what_send_signs_verifies_with_the_reference() -> None:
    signed = TelematicaVerifier(SOURCE).sign(BODY, time.time())
    as_standard = {name.replace("svix-", "webhook-"): value for name, value in signed.items()}
    Webhook(NEW).verify(BODY, as_standard)


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("c2VjcmV0", "must start with 'whsec_'"),
        ("whsec_not base64!", "must be base64"),
        ("whsec_", "is empty"),
    ],
)
def test_a_malformed_secret_stops_the_start_without_showing_it(secret: str, problem: str) -> None:
    source = Source(name="tm", provider="telematica", secrets=(Secret(NEW), Secret(secret)))
    with pytest.raises(ConfigError, match=problem) as info:
        TelematicaVerifier(source)
    message = str(info.value)
    assert "source 'tm'" in message
    assert "secrets[1]" in message
    assert "c2VjcmV0" not in message
    assert "not base64!" not in message


def test_a_source_without_secrets_or_with_foreign_credentials_is_refused() -> None:
    with pytest.raises(ConfigError, match="needs 'secrets'"):
        TelematicaVerifier(Source(name="tm", provider="telematica"))
    with pytest.raises(ConfigError, match="does not use basic_auth"):
        TelematicaVerifier(
            Source(
                name="tm",
                provider="telematica",
                secrets=(Secret(NEW),),
                basic_auth=(Secret("u:p"),),
            )
        )


def test_a_retry_keeps_its_message_id_and_is_signed_again() -> None:
    verifier = TelematicaVerifier(SOURCE)
    first = verifier.sign(BODY, 1_761_896_350)
    retry = verifier.resign(CIMultiDict(first), BODY, 1_761_896_410)
    assert retry["svix-id"] == first["svix-id"]
    assert retry["svix-timestamp"] == "1761896410"
    assert retry["svix-signature"] != first["svix-signature"]
    verifier.verify(CIMultiDict(retry), BODY, 1_761_896_410)
    assert verifier.delivery_id(CIMultiDict(retry), BODY) == first["svix-id"]
