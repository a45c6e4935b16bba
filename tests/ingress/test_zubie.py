from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from fleetwire.errors import AuthenticationError
from ingress.sources import Secret, Source
from ingress.zubie import ZubieVerifier
from tests.support.samples import sample

SOURCE = Source(name="zubie", provider="zubie", secrets=(Secret("new"), Secret("old")))


def signed(body: bytes, secret: str) -> CIMultiDict[str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return CIMultiDict({"zubie-signature": base64.b64encode(digest).decode()})


@pytest.mark.parametrize("secret", ["new", "old"])
def test_either_rotated_secret_verifies(secret: str) -> None:
    body = sample("zubie", "trip_end")
    ZubieVerifier(SOURCE).verify(signed(body, secret), body, 0.0)


def test_the_document_example_key_verifies_its_own_signature() -> None:
    source = Source(
        name="z", provider="zubie", secrets=(Secret("1buvdm8ZkK49ptKkqz8b4x2ebphqeSr1"),)
    )
    body = sample("zubie", "trip_start")
    ZubieVerifier(source).verify(signed(body, "1buvdm8ZkK49ptKkqz8b4x2ebphqeSr1"), body, 0.0)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (CIMultiDict(), "missing-header"),
        (CIMultiDict({"Zubie-Signature": "%%%not base64%%%"}), "malformed-signature"),
        (CIMultiDict({"Zubie-Signature": base64.b64encode(b"x" * 32).decode()}), "bad-signature"),
    ],
)
def test_wrong_requests_are_refused(headers: CIMultiDict[str], reason: str) -> None:
    with pytest.raises(AuthenticationError) as info:
        ZubieVerifier(SOURCE).verify(headers, b"{}", 0.0)
    assert info.value.reason == reason


def test_a_body_changed_after_signing_is_refused() -> None:
    body = sample("zubie", "trip_end")
    with pytest.raises(AuthenticationError):
        ZubieVerifier(SOURCE).verify(signed(body, "new"), body + b" ", 0.0)


@given(st.binary(max_size=2048))
def test_sign_then_verify_round_trips(body: bytes) -> None:
    verifier = ZubieVerifier(SOURCE)
    verifier.verify(CIMultiDict(verifier.sign(body, 0.0)), body, 0.0)
