"""Motive's signature: hex HMAC-SHA1 of the raw body, keyed by the secret's own text."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from fleetwire.errors import AuthenticationError, ConfigError
from ingress.motive import MotiveVerifier
from ingress.sources import Secret, Source

HEADER = "X-KT-Webhook-Signature"
# Both vectors Motive publishes: the current reference page and KeepTruckin's 2017 page.
CURRENT = ("d9d36bea41c44ae49d1bfc4a48ba2abe", b'["fault_code_closed"]')
CURRENT_SIGNATURE = "f04a8386a21a6cba0447024e83b3f0983352bb72"
OF_2017 = ("8cbd43f98ba1e33c28c9", b'{"action":"test"}')
OF_2017_SIGNATURE = "5e1a966298ba4f3e91847aea8746198ca0530dd2"
# What the current page's openssl and Ruby lines compute (the expected signature used as
# the key), and what hex-decoding the secret gives: neither is Motive's signature.
SIGNATURE_AS_KEY = "7395d181ea84dc0dd2b2b62a00fc2c8a1f54d010"
HEX_DECODED_SECRET = "033db203ac2d7cca4a55382eb68143fa8d08e8bb"

SOURCE = Source(name="motive", provider="motive", secrets=(Secret("new"), Secret("old")))


def verifier(secret: str) -> MotiveVerifier:
    return MotiveVerifier(Source(name="motive", provider="motive", secrets=(Secret(secret),)))


def headers(signature: str) -> CIMultiDict[str]:
    return CIMultiDict({HEADER: signature})


@pytest.mark.parametrize(
    ("vector", "signature"), [(CURRENT, CURRENT_SIGNATURE), (OF_2017, OF_2017_SIGNATURE)]
)
def test_both_published_vectors_verify(vector: tuple[str, bytes], signature: str) -> None:
    secret, body = vector
    verifier(secret).verify(headers(signature), body, 0.0)
    assert verifier(secret).sign(body, 0.0) == {HEADER: signature}


def test_an_uppercase_hex_signature_verifies() -> None:
    secret, body = CURRENT
    verifier(secret).verify(headers(CURRENT_SIGNATURE.upper()), body, 0.0)


@pytest.mark.parametrize("wrong", [SIGNATURE_AS_KEY, HEX_DECODED_SECRET])
def test_the_signatures_of_the_wrong_keys_are_refused(wrong: str) -> None:
    secret, body = CURRENT
    with pytest.raises(AuthenticationError) as info:
        verifier(secret).verify(headers(wrong), body, 0.0)
    assert info.value.reason == "bad-signature"


def test_the_wrong_keys_really_give_those_signatures() -> None:
    """The must-fail values are what the two mistakes compute, so refusing them matters."""
    secret, body = CURRENT
    as_key = hmac.new(CURRENT_SIGNATURE.encode(), body, hashlib.sha1).hexdigest()
    decoded = hmac.new(bytes.fromhex(secret), body, hashlib.sha1).hexdigest()
    assert (as_key, decoded) == (SIGNATURE_AS_KEY, HEX_DECODED_SECRET)


@pytest.mark.parametrize(
    ("sent", "reason"),
    [
        (CIMultiDict(), "missing-header"),
        (headers("   "), "missing-header"),
        (headers("sha1=" + CURRENT_SIGNATURE), "malformed-signature"),
        (headers(CURRENT_SIGNATURE[:-2]), "malformed-signature"),
        (headers("z" * 40), "malformed-signature"),
        (headers("ab" * 32), "malformed-signature"),  # a SHA-256 length
        (headers("0" * 40), "bad-signature"),
    ],
)
def test_wrong_requests_are_refused(sent: CIMultiDict[str], reason: str) -> None:
    secret, body = CURRENT
    with pytest.raises(AuthenticationError) as info:
        verifier(secret).verify(sent, body, 0.0)
    assert info.value.reason == reason


def test_a_body_changed_after_signing_is_refused() -> None:
    secret, body = CURRENT
    for changed in (body + b"\n", body.replace(b"closed", b"opened"), b" " + body):
        with pytest.raises(AuthenticationError):
            verifier(secret).verify(headers(CURRENT_SIGNATURE), changed, 0.0)


def test_the_secret_length_is_not_checked() -> None:
    for secret in ("x", "8cbd43f98ba1e33c28c9", "y" * 64):
        body = b'{"action":"test"}'
        digest = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
        verifier(secret).verify(headers(digest), body, 0.0)


@pytest.mark.parametrize("secret", ["new", "old"])
def test_either_rotated_secret_verifies(secret: str) -> None:
    body = b'{"action":"test"}'
    digest = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    MotiveVerifier(SOURCE).verify(headers(digest), body, 0.0)


def test_a_refusal_is_403_and_there_is_no_delivery_id() -> None:
    assert MotiveVerifier.refusal_status == 403
    assert MotiveVerifier(SOURCE).delivery_id(CIMultiDict(), b"{}") is None


def test_a_source_without_secrets_does_not_start() -> None:
    with pytest.raises(ConfigError, match="motive needs 'secrets'"):
        MotiveVerifier(Source(name="m", provider="motive"))


@given(st.binary(max_size=2048), st.text(min_size=1, max_size=64))
def test_sign_then_verify_round_trips(body: bytes, secret: str) -> None:
    signer = verifier(secret)
    signer.verify(CIMultiDict(signer.sign(body, 0.0)), body, 0.0)


@given(st.binary(max_size=512), st.binary(min_size=1, max_size=8))
def test_any_other_body_is_refused(body: bytes, extra: bytes) -> None:
    signer = verifier("secret")
    with pytest.raises(AuthenticationError):
        signer.verify(CIMultiDict(signer.sign(body, 0.0)), body + extra, 0.0)
