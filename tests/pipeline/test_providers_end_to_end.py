"""Every provider through the real `fleetwire ingress` process and the real broker.

Requests are signed here, independently of the project's verifiers: with hmac for the
HMAC providers and with the reference `standardwebhooks` package for Telematica.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from standardwebhooks import Webhook

from localkafka.ports import free_port
from tests.conftest import RUN_ID
from tests.support.kafka import read_all
from tests.support.processes import Service, environment, run
from tests.support.samples import sample

pytestmark = pytest.mark.kafka
DEVELOPMENT_SOURCES = Path(__file__).resolve().parents[2] / "deploy" / "local" / "sources.toml"

WHSEC_NEW = "whsec_" + base64.b64encode(b"telematica e2e key: new").decode()
WHSEC_OLD = "whsec_" + base64.b64encode(b"telematica e2e key: old").decode()
SOURCES = f"""
[[sources]]
name = "azuga-e2e"
provider = "azuga"
basic_auth = ["fleet:new-password", "fleet:old-password"]

[[sources]]
name = "zf-e2e"
provider = "zf-scalar"
secrets = ["zf-new", "zf-old"]

[[sources]]
name = "telematica-e2e"
provider = "telematica"
secrets = ["{WHSEC_NEW}", "{WHSEC_OLD}"]

[[sources]]
name = "zubie-e2e"
provider = "zubie"
secrets = ["zubie-new", "zubie-old"]

[[sources]]
name = "smartcar-e2e"
provider = "smartcar"
secrets = ["smartcar-new", "smartcar-old"]
"""

Headers = dict[str, str]


def hmac_digest(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


def basic(credentials: str) -> Headers:
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def zf(secret: str, body: bytes) -> Headers:
    return {"X-SCALAR-Signature": "sha256=" + hmac_digest(secret, body).hex()}


def zubie(secret: str, body: bytes) -> Headers:
    return {"Zubie-Signature": base64.b64encode(hmac_digest(secret, body)).decode()}


def smartcar(secret: str, body: bytes) -> Headers:
    return {"SC-Signature": hmac_digest(secret, body).hex()}


def svix(secret: str, body: bytes, at: float | None = None, family: str = "svix") -> Headers:
    at = time.time() if at is None else at
    message_id = f"msg_{hashlib.sha256(body + str(at).encode()).hexdigest()[:24]}"
    signature = Webhook(secret).sign(message_id, datetime.fromtimestamp(at, UTC), body.decode())
    return {
        f"{family}-id": message_id,
        f"{family}-timestamp": str(int(at)),
        f"{family}-signature": signature,
    }


def without(headers: Headers, name: str) -> Headers:
    return {k: v for k, v in headers.items() if k.lower() != name.lower()}


def replaced(headers: Headers, name: str, value: str) -> Headers:
    return {**without(headers, name), name: value}


def changed(body: bytes) -> bytes:
    return body.replace(b"{", b"{ ", 1)


@dataclass
class Case:
    provider: str
    source: str
    first: bytes  # signed with the new secret
    second: bytes  # signed with the old secret
    sign: Callable[[str, bytes], Headers]
    secrets: tuple[str, str]
    key: Callable[[bytes, Headers], str]
    # Ways of being wrong that only this provider has: (what, body, headers).
    extra_wrongs: Callable[[Case], list[tuple[str, bytes, Headers]]] = lambda case: []
    signature_header: str = ""
    delivery_headers: tuple[str, ...] = ()
    body_bound: bool = True  # Azuga's credentials do not cover the body

    def signed(self, body: bytes, old: bool = False) -> Headers:
        return self.sign(self.secrets[1] if old else self.secrets[0], body)

    def wrongs(self) -> list[tuple[str, bytes, Headers]]:
        body = self.first
        good = self.signed(body)
        wrongs = [
            ("wrong secret", body, self.sign("not-" + self.secrets[0], body)),
            ("missing header", body, without(good, self.signature_header)),
            ("malformed header", body, replaced(good, self.signature_header, "%%% nonsense")),
        ]
        if self.body_bound:
            wrongs.append(("body changed after signing", changed(body), good))
        return wrongs + self.extra_wrongs(self)


def sha256_key(body: bytes, headers: Headers) -> str:
    return hashlib.sha256(body).hexdigest()


def body_key(name: str) -> Callable[[bytes, Headers], str]:
    return lambda body, headers: str(json.loads(body)[name])


def telematica_wrongs(case: Case) -> list[tuple[str, bytes, Headers]]:
    body = case.first
    now = time.time()
    digest = base64.b64decode(svix(WHSEC_NEW, body)["svix-signature"].split(",", 1)[1])
    hexed = replaced(svix(WHSEC_NEW, body), "svix-signature", "v1," + digest.hex())
    return [
        ("timestamp 6 minutes old", body, svix(WHSEC_NEW, body, now - 360)),
        ("timestamp 6 minutes ahead", body, svix(WHSEC_NEW, body, now + 360)),
        (
            "only other versions",
            body,
            replaced(
                svix(WHSEC_NEW, body),
                "svix-signature",
                svix(WHSEC_NEW, body)["svix-signature"].replace("v1,", "v1a,"),
            ),
        ),
        ("unknown digest encoding (hex)", body, hexed),
        ("missing id", body, without(svix(WHSEC_NEW, body), "svix-id")),
        ("missing timestamp", body, without(svix(WHSEC_NEW, body), "svix-timestamp")),
        ("malformed timestamp", body, replaced(svix(WHSEC_NEW, body), "svix-timestamp", "now")),
    ]


def zf_wrongs(case: Case) -> list[tuple[str, bytes, Headers]]:
    digest = hmac_digest("zf-new", case.first)
    return [
        (
            "unknown digest encoding (base32)",
            case.first,
            {"X-SCALAR-Signature": "sha256=" + base64.b32encode(digest).decode()},
        ),
        (
            "other algorithm",
            case.first,
            {"X-Webhook-Signature": "sha1=" + hashlib.sha1(case.first).hexdigest()},
        ),
    ]


def zubie_wrongs(case: Case) -> list[tuple[str, bytes, Headers]]:
    return [
        (
            "unknown digest encoding (hex)",
            case.first,
            {"Zubie-Signature": hmac_digest("zubie-new", case.first).hex()},
        )
    ]


def smartcar_wrongs(case: Case) -> list[tuple[str, bytes, Headers]]:
    digest = hmac_digest("smartcar-new", case.first)
    return [
        (
            "unknown digest encoding (base64)",
            case.first,
            {"SC-Signature": base64.b64encode(digest).decode()},
        )
    ]


def azuga_wrongs(case: Case) -> list[tuple[str, bytes, Headers]]:
    return [
        ("wrong password", case.first, basic("fleet:guess")),
        ("another scheme", case.first, {"Authorization": "Bearer fleet:new-password"}),
    ]


CASES = {
    case.provider: case
    for case in [
        Case(
            "azuga",
            "azuga-e2e",
            sample("azuga", "VEHICLE_PAIRING"),
            sample("azuga", "variant-unpair"),
            lambda secret, body: basic(secret),
            ("fleet:new-password", "fleet:old-password"),
            sha256_key,
            azuga_wrongs,
            signature_header="Authorization",
            body_bound=False,
        ),
        Case(
            "zf-scalar",
            "zf-e2e",
            sample("zf-scalar", "unit.paired-v1"),
            sample("zf-scalar", "variant-mixed-batch"),
            zf,
            ("zf-new", "zf-old"),
            body_key("eventBatchId"),
            zf_wrongs,
            signature_header="X-SCALAR-Signature",
        ),
        Case(
            "telematica",
            "telematica-e2e",
            sample("telematica", "vehicle.soc"),
            sample("telematica", "user.devices-connected"),
            svix,
            (WHSEC_NEW, WHSEC_OLD),
            lambda body, headers: headers["svix-id"],
            telematica_wrongs,
            signature_header="svix-signature",
            delivery_headers=("svix-id", "svix-timestamp"),
        ),
        Case(
            "zubie",
            "zubie-e2e",
            sample("zubie", "trip_end"),
            sample("zubie", "trip_start"),
            zubie,
            ("zubie-new", "zubie-old"),
            sha256_key,
            zubie_wrongs,
            signature_header="Zubie-Signature",
        ),
        Case(
            "smartcar",
            "smartcar-e2e",
            sample("smartcar", "variant-vehicle-state-v4"),
            sample("smartcar", "variant-vehicle-error"),
            smartcar,
            ("smartcar-new", "smartcar-old"),
            body_key("eventId"),
            smartcar_wrongs,
            signature_header="SC-Signature",
        ),
    ]
}


@dataclass
class Ingress:
    prefix: str
    base: str


@pytest.fixture(scope="module")
def ingress(kafka: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingress]:
    directory = tmp_path_factory.mktemp("providers")
    sources = directory / "sources.toml"
    sources.write_text(SOURCES)
    prefix = f"t{RUN_ID}.providers"
    port, admin = free_port(), free_port()
    env = environment(prefix, sources)
    created = run(["topics"], env)
    assert created.returncode == 0, created.stderr
    service = Service(
        ["ingress"],
        {**env, "FLEETWIRE_HTTP_PORT": str(port), "FLEETWIRE_ADMIN_PORT": str(admin)},
        directory / "log",
    )
    try:
        service.wait_http(f"http://127.0.0.1:{admin}/readyz")
        yield Ingress(prefix, f"http://127.0.0.1:{port}/webhooks")
    finally:
        assert service.stop() == 0, service.output()


async def post(url: str, body: bytes, headers: Headers) -> tuple[int, str, bytes]:
    headers = {"Content-Type": "application/json", **headers}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as response,
    ):
        return response.status, response.content_type, await response.read()


@pytest.mark.parametrize("provider", sorted(CASES))
async def test_signed_requests_are_published_and_every_wrong_one_is_refused(
    ingress: Ingress, provider: str
) -> None:
    case = CASES[provider]
    url = f"{ingress.base}/{case.source}"
    for what, body, headers in case.wrongs():
        status, _, _ = await post(url, body, headers)
        assert status == 401, what

    first_headers = case.signed(case.first)
    second_headers = case.signed(case.second, old=True)
    for body, headers in ((case.first, first_headers), (case.second, second_headers)):
        status, content_type, answer = await post(url, body, headers)
        assert (status, content_type, json.loads(answer)) == (
            200,
            "application/json",
            {"status": "accepted"},
        )

    records = await read_all(f"{ingress.prefix}.raw.{provider}", expect=3, timeout=3)
    # The two signed bodies and nothing else (the raw topic has several partitions, so
    # the order across them is not defined).
    assert sorted(r.value for r in records) == sorted([case.first, case.second])
    by_body = {r.value: r for r in records}
    for body, headers in ((case.first, first_headers), (case.second, second_headers)):
        record = by_body[body]
        assert record.key == case.key(body, headers).encode()
        recorded = dict(record.headers)
        assert recorded["fleetwire-source"] == case.source.encode()
        assert recorded["fleetwire-provider"] == provider.encode()
        assert recorded["content-type"] == b"application/json"
        assert len(recorded["fleetwire-request-id"]) == 32
        received = datetime.fromisoformat(recorded["fleetwire-received-at"].decode())
        assert received.utcoffset() is not None
        assert received.utcoffset().total_seconds() == 0
        for name in case.delivery_headers:
            assert recorded[name] == headers[name].encode()


async def test_telematica_also_verifies_the_standard_webhooks_header_family(
    ingress: Ingress,
) -> None:
    body = sample("telematica", "vehicle.plug-status")
    headers = svix(WHSEC_OLD, body, family="webhook")
    status, _, _ = await post(f"{ingress.base}/telematica-e2e", body, headers)
    assert status == 200
    records = await read_all(
        f"{ingress.prefix}.raw.telematica",
        until=lambda found: any(r.value == body for r in found),
        timeout=10,
    )
    [record] = [r for r in records if r.value == body]
    assert record.key == headers["webhook-id"].encode()
    recorded = dict(record.headers)
    assert recorded["webhook-id"] == headers["webhook-id"].encode()
    assert recorded["webhook-timestamp"] == headers["webhook-timestamp"].encode()


@pytest.mark.parametrize("form", ["variant-verify-v4", "variant-verify-v2-legacy"])
@pytest.mark.parametrize("signed", [False, True])
async def test_smartcar_verify_is_answered_and_not_published(
    ingress: Ingress, form: str, signed: bool
) -> None:
    body = sample("smartcar", form)
    document = json.loads(body)
    challenge = (document.get("data") or document["payload"])["challenge"]
    headers = smartcar("smartcar-new", body) if signed else {}
    status, content_type, answer = await post(f"{ingress.base}/smartcar-e2e", body, headers)
    assert (status, content_type) == (200, "application/json")
    assert json.loads(answer) == {
        "challenge": hmac.new(b"smartcar-new", challenge.encode(), hashlib.sha256).hexdigest()
    }
    # A VERIFY with a wrong signature gets no answer.
    wrong = smartcar("smartcar-wrong", body)
    assert (await post(f"{ingress.base}/smartcar-e2e", body, wrong))[0] == 401
    records = await read_all(f"{ingress.prefix}.raw.smartcar", timeout=2)
    assert body not in [r.value for r in records]


async def test_the_development_sources_work_with_fleetwire_send(kafka: str, tmp_path: Path) -> None:
    """deploy/local/sources.toml loads, and `fleetwire send` signs what each verifier takes."""
    sources = DEVELOPMENT_SOURCES
    prefix = f"t{RUN_ID}.dev-sources"
    port, admin = free_port(), free_port()
    env = {
        **environment(prefix, sources),
        "FLEETWIRE_HTTP_PORT": str(port),
        "FLEETWIRE_ADMIN_PORT": str(admin),
    }
    assert run(["topics"], env).returncode == 0
    service = Service(["ingress"], env, tmp_path / "log")
    try:
        service.wait_http(f"http://127.0.0.1:{admin}/readyz")
        for provider, case in CASES.items():
            payload = tmp_path / f"{provider}.json"
            payload.write_bytes(case.first)
            sent = run(["send", provider, str(payload)], env)
            assert sent.returncode == 0, sent.stdout + sent.stderr
            assert sent.stdout.startswith("200 ")
            [record] = await read_all(f"{prefix}.raw.{provider}", expect=1)
            assert record.value == case.first
    finally:
        assert service.stop() == 0, service.output()


async def test_a_body_of_the_default_limit_fits_kafka_and_one_byte_more_is_413(
    ingress: Ingress,
) -> None:
    limit = 1_048_576  # FLEETWIRE_MAX_BODY_BYTES by default; Kafka's own default is smaller
    largest = b'{"pad": "' + b"x" * (limit - 11) + b'"}'
    assert len(largest) == limit
    url = f"{ingress.base}/zubie-e2e"
    assert (await post(url, largest, zubie("zubie-new", largest)))[0] == 200
    too_large = largest + b" "
    assert (await post(url, too_large, zubie("zubie-new", too_large)))[0] == 413
    records = await read_all(
        f"{ingress.prefix}.raw.zubie",
        until=lambda found: any(len(r.value) == limit for r in found),
        timeout=10,
    )
    assert [r.value for r in records if len(r.value) >= limit] == [largest]
