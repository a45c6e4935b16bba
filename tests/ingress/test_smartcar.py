"""Smartcar: SC-Signature, the VERIFY handshake (v4 and legacy v2), eventId."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from fleetwire.errors import AuthenticationError, ConfigError
from ingress.smartcar import SmartcarVerifier, might_be_verify
from ingress.sources import Secret, Source
from tests.support.samples import sample, valid_samples

SOURCE = Source(
    name="smartcar", provider="smartcar", secrets=(Secret("token-new"), Secret("tok-old"))
)
BODY = sample("smartcar", "variant-vehicle-state-v4")
VERIFY_FORMS = ["variant-verify-v4", "variant-verify-v2-legacy"]


def signature(body: bytes, token: str) -> str:
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def signed(body: bytes, token: str = "token-new") -> CIMultiDict[str]:
    return CIMultiDict({"SC-Signature": signature(body, token)})


def refused(headers: CIMultiDict[str], body: bytes = BODY) -> str:
    with pytest.raises(AuthenticationError) as info:
        SmartcarVerifier(SOURCE).verify(headers, body, 0.0)
    return info.value.reason


@pytest.mark.parametrize("token", ["token-new", "tok-old"])
def test_either_rotated_token_verifies(token: str) -> None:
    SmartcarVerifier(SOURCE).verify(signed(BODY, token), BODY, 0.0)


def test_uppercase_hex_verifies() -> None:
    SmartcarVerifier(SOURCE).verify(
        CIMultiDict({"sc-signature": signature(BODY, "token-new").upper()}), BODY, 0.0
    )


def test_wrong_token_changed_body_and_missing_header_are_refused() -> None:
    assert refused(signed(BODY, "someone-else")) == "bad-signature"
    assert refused(signed(BODY), BODY.replace(b"78", b"79")) == "bad-signature"
    assert refused(CIMultiDict()) == "missing-header"


@pytest.mark.parametrize(
    "value",
    [
        "not hex at all",
        "abc123",
        "sha256=" + hashlib.sha256(b"x").hexdigest(),
        # The right digest in an encoding Smartcar does not use.
        base64.b64encode(bytes.fromhex(signature(BODY, "token-new"))).decode(),
    ],
)
def test_malformed_or_wrongly_encoded_signatures_are_refused(value: str) -> None:
    assert refused(CIMultiDict({"SC-Signature": value})) == "malformed-signature"


@pytest.mark.parametrize("form", VERIFY_FORMS)
def test_verify_is_answered_with_the_challenge_hmac_of_the_first_token(form: str) -> None:
    body = sample("smartcar", form)
    challenge = json.loads(body)["data" if "data" in json.loads(body) else "payload"]["challenge"]
    expected = hmac.new(b"token-new", challenge.encode(), hashlib.sha256).hexdigest()
    verifier = SmartcarVerifier(SOURCE)
    for headers in (CIMultiDict(), signed(body), signed(body, "tok-old")):
        verifier.verify(headers, body, 0.0)
        answer = verifier.challenge(headers, body)
        assert answer is not None
        assert json.loads(answer) == {"challenge": expected}


@pytest.mark.parametrize("form", VERIFY_FORMS)
def test_a_verify_with_a_wrong_signature_is_refused(form: str) -> None:
    body = sample("smartcar", form)
    assert refused(signed(body, "someone-else"), body) == "bad-signature"


@pytest.mark.parametrize(
    "challenge",
    ['{"eventId": "forged"}', "[1, 2]", "", "has space", 42, None],
)
def test_a_verify_whose_challenge_could_sign_a_body_is_refused(challenge: object) -> None:
    body = json.dumps({"eventType": "VERIFY", "data": {"challenge": challenge}}).encode()
    assert refused(CIMultiDict(), body) == "malformed-challenge"


def test_vehicle_events_are_not_handshakes() -> None:
    verifier = SmartcarVerifier(SOURCE)
    for path in valid_samples("smartcar"):
        if path.stem in VERIFY_FORMS:
            continue
        body = path.read_bytes()
        assert verifier.challenge(signed(body), body) is None
    # The word alone, anywhere else in a body, does not make a handshake.
    body = json.dumps({"eventType": "VEHICLE_STATE", "data": {"note": "verify"}}).encode()
    assert verifier.challenge(signed(body), body) is None
    assert refused(CIMultiDict(), body) == "missing-header"


def test_the_delivery_id_is_the_event_id_of_every_sample() -> None:
    verifier = SmartcarVerifier(SOURCE)
    for path in valid_samples("smartcar"):
        body = path.read_bytes()
        assert verifier.delivery_id(CIMultiDict(), body) == json.loads(body).get("eventId")


def test_the_event_id_is_found_wherever_it_is_in_the_top_level_object() -> None:
    verifier = SmartcarVerifier(SOURCE)
    body = b'{"data": {"eventId": "nested"}, "eventId": "e-1"}'
    assert verifier.delivery_id(CIMultiDict(), body) == "e-1"
    assert verifier.delivery_id(CIMultiDict(), b'{"data": {"eventId": "nested"}}') is None
    assert verifier.delivery_id(CIMultiDict(), b"not json") is None


def test_what_send_signs_verifies() -> None:
    verifier = SmartcarVerifier(SOURCE)
    assert verifier.sign(BODY, 0.0) == {"SC-Signature": signature(BODY, "token-new")}


def test_a_source_without_a_token_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"source 'sc'.*Management Token"):
        SmartcarVerifier(Source(name="sc", provider="smartcar"))


@given(
    before=st.binary(max_size=64),
    word=st.sampled_from([b"verify", b"VERIFY", b"Verify", b"vErIfY"]),
    after=st.binary(max_size=64),
    other=st.binary(max_size=128),
)
def test_the_cheap_verify_test_finds_every_case_and_only_those(
    before: bytes, word: bytes, after: bytes, other: bytes
) -> None:
    assert might_be_verify(before + word + after)
    assert might_be_verify(other) == (re.search(rb"(?i)verify", other) is not None)
