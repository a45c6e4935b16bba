"""Azuga: HTTP Basic or a configured key header, compared in constant time."""

from __future__ import annotations

import base64

import pytest
from multidict import CIMultiDict

from fleetwire.errors import AuthenticationError, ConfigError
from ingress.azuga import AzugaVerifier
from ingress.sources import Secret, Source
from tests.support.samples import sample

BASIC = Source(
    name="azuga",
    provider="azuga",
    basic_auth=(Secret("fleet:new-password"), Secret("fleet:old-password")),
)
KEYED = Source(
    name="azuga-key",
    provider="azuga",
    api_key_header="X-Azuga-Key",
    api_keys=(Secret("key-new"), Secret("key-old")),
)
BOTH = Source(
    name="azuga-both",
    provider="azuga",
    basic_auth=(Secret("fleet:pw"),),
    api_key_header="X-Azuga-Key",
    api_keys=(Secret("key-new"),),
)
BODY = sample("azuga", "VEHICLE_PAIRING")


def basic(credentials: str) -> CIMultiDict[str]:
    return CIMultiDict(
        {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}
    )


def refused(source: Source, headers: CIMultiDict[str]) -> str:
    with pytest.raises(AuthenticationError) as info:
        AzugaVerifier(source).verify(headers, BODY, 0.0)
    return info.value.reason


@pytest.mark.parametrize("credentials", ["fleet:new-password", "fleet:old-password"])
def test_either_rotated_basic_credential_verifies(credentials: str) -> None:
    AzugaVerifier(BASIC).verify(basic(credentials), BODY, 0.0)


def test_the_basic_scheme_is_case_insensitive() -> None:
    token = base64.b64encode(b"fleet:new-password").decode()
    AzugaVerifier(BASIC).verify(CIMultiDict({"authorization": f"basic {token}"}), BODY, 0.0)


@pytest.mark.parametrize("key", ["key-new", "key-old"])
def test_either_rotated_key_verifies_in_the_configured_header(key: str) -> None:
    AzugaVerifier(KEYED).verify(CIMultiDict({"x-azuga-key": key}), BODY, 0.0)


def test_a_source_with_both_accepts_either() -> None:
    AzugaVerifier(BOTH).verify(basic("fleet:pw"), BODY, 0.0)
    AzugaVerifier(BOTH).verify(CIMultiDict({"X-Azuga-Key": "key-new"}), BODY, 0.0)
    headers = basic("fleet:wrong")
    headers["X-Azuga-Key"] = "key-new"
    AzugaVerifier(BOTH).verify(headers, BODY, 0.0)


@pytest.mark.parametrize(
    ("source", "headers", "reason"),
    [
        (BASIC, basic("fleet:wrong"), "bad-credentials"),
        (BASIC, basic("fleet:new-password "), "bad-credentials"),
        (BASIC, basic("fleet"), "bad-credentials"),
        (BASIC, CIMultiDict(), "missing-header"),
        (BASIC, CIMultiDict({"X-Azuga-Key": "key-new"}), "missing-header"),
        (BASIC, CIMultiDict({"Authorization": "Bearer fleet:new-password"}), "malformed-header"),
        (BASIC, CIMultiDict({"Authorization": "Basic %%%"}), "malformed-header"),
        (KEYED, CIMultiDict({"X-Azuga-Key": "key-wrong"}), "bad-credentials"),
        (KEYED, CIMultiDict({"X-Other-Key": "key-new"}), "missing-header"),
        (KEYED, basic("fleet:new-password"), "missing-header"),
        (BOTH, CIMultiDict({"Authorization": "Token x", "X-Azuga-Key": "nope"}), "bad-credentials"),
    ],
)
def test_wrong_missing_and_malformed_credentials_are_refused(
    source: Source, headers: CIMultiDict[str], reason: str
) -> None:
    assert refused(source, headers) == reason


def test_there_is_no_delivery_id() -> None:
    assert AzugaVerifier(BASIC).delivery_id(CIMultiDict(), BODY) is None


def test_what_send_signs_verifies() -> None:
    for source in (BASIC, KEYED):
        verifier = AzugaVerifier(source)
        verifier.verify(CIMultiDict(verifier.sign(BODY, 0.0)), BODY, 0.0)
    assert AzugaVerifier(KEYED).sign(BODY, 0.0) == {"X-Azuga-Key": "key-new"}


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (Source(name="az", provider="azuga"), "needs 'basic_auth'"),
        (Source(name="az", provider="azuga", api_keys=(Secret("k"),)), "together"),
        (Source(name="az", provider="azuga", api_key_header="X-Key"), "together"),
        (Source(name="az", provider="azuga", basic_auth=(Secret("no-colon"),)), "user:password"),
        (
            Source(
                name="az", provider="azuga", basic_auth=(Secret("u:p"),), secrets=(Secret("s"),)
            ),
            "does not use secrets",
        ),
    ],
)
def test_incomplete_credentials_stop_the_start(source: Source, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem) as info:
        AzugaVerifier(source)
    assert "source 'az'" in str(info.value)
    assert "no-colon" not in str(info.value)
