"""Enode's signature: `sha1=` and the hex HMAC-SHA1 of the raw body; the delivery header."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from fleetwire.errors import AuthenticationError, ConfigError
from ingress.enode import EnodeVerifier
from ingress.sources import Secret, Source

SIGNATURE = "x-enode-signature"
# The vector of Enode's webhook page.
SECRET = "example-secret"  # Enode's published example
BODY = b'{"payload":"example"}'
EXPECTED = "sha1=e417e6fc2e7f8a78c93a35a7b344d36ce179fc8d"


def verifier(*secrets: str) -> EnodeVerifier:
    return EnodeVerifier(
        Source(name="enode", provider="enode", secrets=tuple(map(Secret, secrets)))
    )


def headers(signature: str, **more: str) -> CIMultiDict[str]:
    return CIMultiDict({SIGNATURE: signature, **more})


def test_the_published_vector_verifies_and_signs_the_same() -> None:
    verifier(SECRET).verify(headers(EXPECTED), BODY, 0.0)
    assert verifier(SECRET).sign(BODY, 0.0) == {SIGNATURE: EXPECTED}


def test_header_names_are_case_insensitive_and_the_prefix_too() -> None:
    sent = CIMultiDict({"X-Enode-Signature": "SHA1=" + EXPECTED[5:].upper()})
    verifier(SECRET).verify(sent, BODY, 0.0)


@pytest.mark.parametrize(
    ("sent", "reason"),
    [
        (CIMultiDict(), "missing-header"),
        (headers(EXPECTED[5:]), "malformed-signature"),  # no `sha1=`
        (headers("sha256=" + EXPECTED[5:]), "malformed-signature"),
        (headers("sha1=" + EXPECTED[5:-1]), "malformed-signature"),
        (headers("sha1=" + "g" * 40), "malformed-signature"),
        (headers("sha1=" + "0" * 40), "bad-signature"),
    ],
)
def test_wrong_requests_are_refused(sent: CIMultiDict[str], reason: str) -> None:
    with pytest.raises(AuthenticationError) as info:
        verifier(SECRET).verify(sent, BODY, 0.0)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    ("secret", "body"),
    [
        ("other-secret", BODY),
        (SECRET, BODY + b"\n"),
        (SECRET, b'{"payload": "example"}'),  # the same JSON, re-serialized
    ],
)
def test_another_secret_or_body_is_refused(secret: str, body: bytes) -> None:
    with pytest.raises(AuthenticationError) as info:
        verifier(secret).verify(headers(EXPECTED), body, 0.0)
    assert info.value.reason == "bad-signature"


def test_either_rotated_secret_verifies() -> None:
    verifier("new", SECRET).verify(headers(EXPECTED), BODY, 0.0)


def test_the_delivery_header_is_the_delivery_id_and_travels_with_the_record() -> None:
    sent = headers(EXPECTED, **{"X-Enode-Delivery": " 0b3f-delivery "})
    assert verifier(SECRET).delivery_id(sent, BODY) == "0b3f-delivery"
    assert verifier(SECRET).delivery_id(headers(EXPECTED), BODY) is None
    assert "x-enode-delivery" in EnodeVerifier.delivery_headers


def test_a_refusal_stays_401() -> None:
    assert EnodeVerifier.refusal_status == 401


def test_a_source_without_secrets_does_not_start() -> None:
    with pytest.raises(ConfigError, match="enode needs 'secrets'"):
        EnodeVerifier(Source(name="e", provider="enode"))


@given(st.binary(max_size=2048), st.text(min_size=1, max_size=64))
def test_sign_then_verify_round_trips(body: bytes, secret: str) -> None:
    signer = verifier(secret)
    signer.verify(CIMultiDict(signer.sign(body, 0.0)), body, 0.0)


@given(st.binary(max_size=512), st.binary(min_size=1, max_size=8))
def test_any_other_body_is_refused(body: bytes, extra: bytes) -> None:
    signer = verifier(SECRET)
    with pytest.raises(AuthenticationError):
        signer.verify(CIMultiDict(signer.sign(body, 0.0)), extra + body, 0.0)
