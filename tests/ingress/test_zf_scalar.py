"""ZF SCALAR: sha256=<hex or base64> in either documented header, optional Authorization."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from multidict import CIMultiDict

from fleetwire.errors import AuthenticationError, ConfigError
from ingress.sources import Secret, Source
from ingress.zf_scalar import ZfScalarVerifier
from tests.support.samples import sample, valid_samples

SOURCE = Source(
    name="zf", provider="zf-scalar", secrets=(Secret("portal-new"), Secret("portal-old"))
)
WITH_AUTH = Source(
    name="zf-auth",
    provider="zf-scalar",
    secrets=(Secret("portal-new"),),
    authorization=(Secret("Bearer zf-configured"),),
)
BODY = sample("zf-scalar", "variant-mixed-batch")


def digest(body: bytes, secret: str = "portal-new") -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


def refused(headers: CIMultiDict[str], body: bytes = BODY, source: Source = SOURCE) -> str:
    with pytest.raises(AuthenticationError) as info:
        ZfScalarVerifier(source).verify(headers, body, 0.0)
    return info.value.reason


ENCODINGS = {
    "hex": lambda d: d.hex(),
    "HEX": lambda d: d.hex().upper(),
    "base64": lambda d: base64.b64encode(d).decode(),
    "base64url-unpadded": lambda d: base64.urlsafe_b64encode(d).decode().rstrip("="),
}


@pytest.mark.parametrize(
    "header", ["X-SCALAR-Signature", "X-Webhook-Signature", "x-scalar-signature"]
)
@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("prefix", ["sha256=", "SHA256=", ""])
def test_every_header_name_digest_encoding_and_prefix_verifies(
    header: str, encoding: str, prefix: str
) -> None:
    value = prefix + ENCODINGS[encoding](digest(BODY))
    ZfScalarVerifier(SOURCE).verify(CIMultiDict({header: value}), BODY, 0.0)


@pytest.mark.parametrize("secret", ["portal-new", "portal-old"])
def test_either_rotated_secret_verifies(secret: str) -> None:
    headers = CIMultiDict({"X-SCALAR-Signature": "sha256=" + digest(BODY, secret).hex()})
    ZfScalarVerifier(SOURCE).verify(headers, BODY, 0.0)


def test_wrong_secret_changed_body_and_missing_header_are_refused() -> None:
    assert refused(CIMultiDict({"X-SCALAR-Signature": "sha256=" + digest(BODY, "x").hex()})) == (
        "bad-signature"
    )
    good = CIMultiDict({"X-SCALAR-Signature": "sha256=" + digest(BODY).hex()})
    assert refused(good, BODY.replace(b"success", b"failed")) == "bad-signature"
    assert refused(CIMultiDict()) == "missing-header"
    assert refused(CIMultiDict({"X-SCALAR-Signature": "  "})) == "missing-header"


@pytest.mark.parametrize(
    "value",
    [
        "sha256=",
        "sha256=zzzz",
        "sha1=" + hashlib.sha1(BODY).hexdigest(),
        "sha256=" + base64.b32encode(digest(BODY)).decode(),
        "sha256=" + digest(BODY).hex()[:-2],
        "sha256=" + base64.b64encode(digest(BODY) + b"\0").decode(),
    ],
)
def test_malformed_and_unknown_encodings_are_refused(value: str) -> None:
    assert refused(CIMultiDict({"X-Webhook-Signature": value})) == "malformed-signature"


def test_a_required_authorization_value_must_be_presented() -> None:
    signature = "sha256=" + digest(BODY).hex()
    ZfScalarVerifier(WITH_AUTH).verify(
        CIMultiDict({"X-SCALAR-Signature": signature, "Authorization": "Bearer zf-configured"}),
        BODY,
        0.0,
    )
    headers = CIMultiDict({"X-SCALAR-Signature": signature})
    assert refused(headers, source=WITH_AUTH) == "missing-header"
    headers["Authorization"] = "Bearer zf-configured-not"
    assert refused(headers, source=WITH_AUTH) == "bad-authorization"


def test_the_delivery_id_is_the_batch_id_of_every_sample() -> None:
    verifier = ZfScalarVerifier(SOURCE)
    for path in valid_samples("zf-scalar"):
        body = path.read_bytes()
        assert verifier.delivery_id(CIMultiDict(), body) == json.loads(body)["eventBatchId"]
    assert verifier.delivery_id(CIMultiDict(), b'{"eventsData": []}') is None


def test_what_send_signs_verifies_independently() -> None:
    signed = ZfScalarVerifier(WITH_AUTH).sign(BODY, 0.0)
    assert signed == {
        "X-SCALAR-Signature": "sha256=" + digest(BODY).hex(),
        "Authorization": "Bearer zf-configured",
    }


def test_a_source_without_a_secret_or_with_foreign_credentials_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"source 'zf'.*needs 'secrets'"):
        ZfScalarVerifier(Source(name="zf", provider="zf-scalar"))
    with pytest.raises(ConfigError, match="does not use api_key_header, api_keys"):
        ZfScalarVerifier(
            Source(
                name="zf",
                provider="zf-scalar",
                secrets=(Secret("s"),),
                api_key_header="X-Key",
                api_keys=(Secret("k"),),
            )
        )
