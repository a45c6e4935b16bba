"""Samsara: the official .NET SDK's vector and negative cases, the window, rotation, ids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from fleetwire.errors import AuthenticationError, ConfigError
from ingress.samsara import SamsaraVerifier
from ingress.sources import Secret, Source
from tests.support.samples import sample

# samsarahq/samsara-dotnet, src/Samsara.Net.Test/Utils/WebhooksHelperTests.cs, pinned there
# to Samsara's backend signer.
SECRET = "dGVzdC1zZWNyZXQ="  # base64 of "test-secret"
OTHER_SECRET = "YW5vdGhlci1zZWNyZXQ="  # base64 of "another-secret"
TIMESTAMP = "1700000000"
BODY = b"test-body"
SIGNATURE = "v1=e05d9d1f326a1f8a845d2520d09d45c6b20c1931828bbd1dd3858446e7ae7082"
NOW = 1700000000.0


def source(*secrets: str) -> Source:
    return Source(name="samsara", provider="samsara", secrets=tuple(Secret(s) for s in secrets))


def request(signature: str = SIGNATURE, timestamp: str = TIMESTAMP) -> CIMultiDict[str]:
    return CIMultiDict({"X-Samsara-Signature": signature, "X-Samsara-Timestamp": timestamp})


def refused(
    headers: CIMultiDict[str], body: bytes = BODY, now: float = NOW, secret: str = SECRET
) -> str:
    with pytest.raises(AuthenticationError) as info:
        SamsaraVerifier(source(secret)).verify(headers, body, now)
    return info.value.reason


def test_the_official_vector_verifies() -> None:
    SamsaraVerifier(source(SECRET)).verify(request(), BODY, NOW)


def test_sign_reproduces_the_official_vector() -> None:
    signed = SamsaraVerifier(source(SECRET)).sign(BODY, NOW)
    assert signed == {"X-Samsara-Timestamp": TIMESTAMP, "X-Samsara-Signature": SIGNATURE}


def test_header_names_and_hex_case_do_not_matter() -> None:
    upper_hex = "v1=" + SIGNATURE.removeprefix("v1=").upper()
    headers = CIMultiDict({"x-samsara-signature": upper_hex, "x-samsara-timestamp": TIMESTAMP})
    SamsaraVerifier(source(SECRET)).verify(headers, BODY, NOW)


@pytest.mark.parametrize(
    ("body", "case"),
    [(b"test-body-tampered", "tampered body"), (b"test-body\n", "trailing newline")],
)
def test_a_changed_body_is_refused(body: bytes, case: str) -> None:
    assert refused(request(), body=body) == "bad-signature", case


def test_the_other_secret_is_refused() -> None:
    assert refused(request(), secret=OTHER_SECRET) == "bad-signature"


def test_a_secret_that_is_not_base64_is_refused_at_start_without_showing_it() -> None:
    with pytest.raises(ConfigError) as info:
        SamsaraVerifier(source(SECRET, "not valid base64 !!!"))
    message = str(info.value)
    assert "source 'samsara'" in message
    assert "secrets[1]" in message
    assert "base64" in message
    assert "not valid base64 !!!" not in message


def test_a_source_without_secrets_is_refused_at_start() -> None:
    with pytest.raises(ConfigError, match="samsara needs 'secrets'"):
        SamsaraVerifier(source())


def test_the_timestamp_plus_one_is_refused() -> None:
    assert refused(request(timestamp="1700000001"), now=NOW + 1) == "bad-signature"


@pytest.mark.parametrize(
    ("timestamp", "reason"),
    [
        ("", "missing-header"),
        ("not-a-timestamp", "malformed-header"),
        ("-1700000000", "malformed-header"),
        ("1700000000.0", "malformed-header"),
        ("\uff11" * 10, "malformed-header"),  # fullwidth digits are not Unix seconds
    ],
)
def test_an_empty_or_non_numeric_timestamp_is_refused(timestamp: str, reason: str) -> None:
    assert refused(request(timestamp=timestamp)) == reason


def test_a_missing_timestamp_is_refused() -> None:
    assert refused(CIMultiDict({"X-Samsara-Signature": SIGNATURE})) == "missing-header"


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        (SIGNATURE.removeprefix("v1="), "malformed-signature"),  # hex without v1=
        ("v1=deadbeef", "malformed-signature"),
        ("v0=" + SIGNATURE.removeprefix("v1="), "malformed-signature"),
        ("", "missing-header"),
    ],
)
def test_a_malformed_signature_header_is_refused(signature: str, reason: str) -> None:
    assert refused(request(signature=signature)) == reason


def test_a_missing_signature_is_refused() -> None:
    assert refused(CIMultiDict({"X-Samsara-Timestamp": TIMESTAMP})) == "missing-header"


@pytest.mark.parametrize("offset", [-300, 300])
def test_a_timestamp_five_minutes_away_is_still_accepted(offset: int) -> None:
    SamsaraVerifier(source(SECRET)).verify(request(), BODY, NOW + offset)


@pytest.mark.parametrize("offset", [-301, 301, 86_400])
def test_a_timestamp_more_than_five_minutes_away_is_refused(offset: int) -> None:
    assert refused(request(), now=NOW + offset) == "stale-timestamp"


@pytest.mark.parametrize("current", [SECRET, OTHER_SECRET])
def test_every_rotated_secret_verifies(current: str) -> None:
    signer = SamsaraVerifier(source(current))
    body = sample("samsara", "GatewayUnplugged")
    SamsaraVerifier(source(SECRET, OTHER_SECRET)).verify(
        CIMultiDict(signer.sign(body, NOW)), body, NOW
    )


def test_the_delivery_id_is_the_body_event_id() -> None:
    verifier = SamsaraVerifier(source(SECRET))
    body = sample("samsara", "SevereSpeedingStarted")
    assert verifier.delivery_id(request(), body) == "017db07f-6e95-470e-8cc0-a371f9deed2b"
    assert verifier.delivery_id(request(), BODY) is None


def test_samsara_headers_travel_on_with_the_raw_record() -> None:
    assert set(SamsaraVerifier.delivery_headers) == {
        "x-samsara-request",
        "x-samsara-timestamp",
        "x-samsara-org-id",
        "x-samsara-event-type",
    }


@given(st.binary(max_size=2048), st.integers(min_value=1_000_000_000, max_value=4_000_000_000))
def test_sign_then_verify_round_trips(body: bytes, now: int) -> None:
    verifier = SamsaraVerifier(source(SECRET, OTHER_SECRET))
    verifier.verify(CIMultiDict(verifier.sign(body, now)), body, now)


@given(st.binary(min_size=1, max_size=512), st.data())
def test_any_flipped_body_byte_is_refused(body: bytes, data: st.DataObject) -> None:
    verifier = SamsaraVerifier(source(SECRET))
    headers = CIMultiDict(verifier.sign(body, NOW))
    index = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=7))
    flipped = bytearray(body)
    flipped[index] ^= 1 << bit
    with pytest.raises(AuthenticationError) as info:
        verifier.verify(headers, bytes(flipped), NOW)
    assert info.value.reason == "bad-signature"
