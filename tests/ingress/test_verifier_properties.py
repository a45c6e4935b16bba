"""Whatever arrives, a verifier either accepts or raises AuthenticationError; never more.

The conformance suite (tests/providers) holds every provider to this with the
credentials it declares for testing; here, the configurations those leave out.
"""

from __future__ import annotations

import base64
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from fleetwire.errors import AuthenticationError
from ingress.sources import Secret, Source
from ingress.verifier import Verifier
from tests.support.ingress import AUTH_HEADER_NAMES
from tests.support.providers import verifier_for

# What the suite's requests leave out: Azuga with both an HTTP Basic credential and a key
# header (its test credentials hold HTTP Basic alone), and Telematica's `webhook-*` header
# family (the suite draws the names the verifier signs with, `svix-*`).
WHSEC = "whsec_" + base64.b64encode(b"property test key").decode()
SOURCES = {
    "telematica": Source(name="telematica", provider="telematica", secrets=(Secret(WHSEC),)),
    "azuga": Source(
        name="azuga",
        provider="azuga",
        basic_auth=(Secret("u:p"),),
        api_key_header="X-Azuga-Key",
        api_keys=(Secret("k"),),
    ),
}
header_values = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"(sha256=|v1,|v1a,|Basic |)[A-Za-z0-9+/=_-]{0,70}", fullmatch=True),
    st.integers(0, 2_000_000_000).map(str),
)
bodies = st.one_of(
    st.binary(max_size=500),
    st.sampled_from(
        [
            b'{"eventType": "VERIFY", "data": {"challenge": "c"}}',
            b'{"eventName": "verify", "payload": {"challenge": 1}}',
            b'{"eventBatchId": "b", "eventId": "e"}',
        ]
    ),
)


def attempt(verifier: Verifier, headers: CIMultiDict[str], body: bytes) -> None:
    try:
        verifier.verify(headers, body, time.time())
        verifier.challenge(headers, body)
        verifier.delivery_id(headers, body)
    except AuthenticationError:
        pass


@pytest.mark.parametrize("provider", sorted(SOURCES))
@settings(max_examples=150, deadline=None)
@given(
    headers=st.lists(st.tuples(st.sampled_from(AUTH_HEADER_NAMES), header_values), max_size=6),
    body=bodies,
)
def test_arbitrary_requests_only_ever_fail_authentication(
    provider: str, headers: list[tuple[str, str]], body: bytes
) -> None:
    attempt(verifier_for(SOURCES[provider]), CIMultiDict(headers), body)


@pytest.mark.parametrize("provider", sorted(SOURCES))
@settings(max_examples=50, deadline=None)
@given(body=st.binary(max_size=2000))
def test_what_sign_produces_verifies(provider: str, body: bytes) -> None:
    verifier = verifier_for(SOURCES[provider])
    verifier.verify(CIMultiDict(verifier.sign(body, time.time())), body, time.time())
