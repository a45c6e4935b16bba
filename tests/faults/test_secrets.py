"""No secret and no signature in anything a whole run leaves behind.

Ingress and processor run with JSON logs at DEBUG, the most they ever say; every
provider gets signed deliveries, a Smartcar VERIFY, wrong signatures, signatures in
malformed requests and a broken body. Their logs and /metrics are then searched for
every secret (also base64- and hex-encoded) and every signature header value sent.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from standardwebhooks import Webhook

from localkafka.ports import free_port
from tests.faults.common import LEAN_TOPICS, http_text, start_ingress, write_sources
from tests.support.certs import Pair, encrypt_key
from tests.support.kafka import read_all
from tests.support.processes import Service, environment, run
from tests.support.samples import sample
from tests.support.secured import SecuredCluster, unsigned_token

pytestmark = pytest.mark.kafka
WHSEC_KEY = b"faults: secret telematica key"
WHSEC = "whsec_" + base64.b64encode(WHSEC_KEY).decode()
SECRETS = {
    "azuga": "fleet:Azuga-Pa55word-7c1e",
    "zf-scalar": "zf-Secret-Value-5d2a9b",
    "telematica": WHSEC,
    "zubie": "zubie-Secret-Value-0e4f1c",
    "smartcar": "smartcar-Management-Token-93ab",
}
SOURCES = "".join(
    f'[[sources]]\nname = "{name}"\nprovider = "{name}"\n'
    + (f'basic_auth = ["{secret}"]\n' if name == "azuga" else f'secrets = ["{secret}"]\n')
    for name, secret in SECRETS.items()
)


def digest(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


def signed(provider: str, body: bytes, secret: str | None = None) -> dict[str, str]:
    secret = secret or SECRETS[provider]
    if provider == "azuga":
        return {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}
    if provider == "zf-scalar":
        return {"X-SCALAR-Signature": "sha256=" + digest(secret, body).hex()}
    if provider == "zubie":
        return {"Zubie-Signature": base64.b64encode(digest(secret, body)).decode()}
    if provider == "smartcar":
        return {"SC-Signature": digest(secret, body).hex()}
    message_id = "msg_" + hashlib.sha256(body).hexdigest()[:20]
    at = time.time()
    signature = Webhook(secret).sign(message_id, datetime.fromtimestamp(at, UTC), body.decode())
    return {"svix-id": message_id, "svix-timestamp": str(int(at)), "svix-signature": signature}


BODIES = {
    "azuga": sample("azuga", "VEHICLE_PAIRING"),
    "zf-scalar": sample("zf-scalar", "unit.paired-v1"),
    "telematica": sample("telematica", "vehicle.soc"),
    "zubie": sample("zubie", "trip_start"),
    "smartcar": sample("smartcar", "variant-vehicle-state-v4"),
}
SIGNATURE_HEADERS = {
    "authorization",
    "x-scalar-signature",
    "svix-signature",
    "zubie-signature",
    "sc-signature",
}


def forbidden_values() -> set[str]:
    """Every secret in the forms it could leak in."""
    values = set()
    for secret in SECRETS.values():
        values |= {secret, base64.b64encode(secret.encode()).decode()}
    values |= {base64.b64encode(WHSEC_KEY).decode(), WHSEC_KEY.hex()}
    values.add(SECRETS["azuga"].split(":", 1)[1])  # the password alone
    return values


def raw_exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


async def test_logs_and_metrics_of_a_whole_run_hold_no_secret_or_signature(
    kafka: str, prefix: str, tmp_path: Path
) -> None:
    sources = write_sources(tmp_path, SOURCES)
    debug = {"FLEETWIRE_LOG_FORMAT": "json", "FLEETWIRE_LOG_LEVEL": "DEBUG"}
    created = run(["topics"], environment(prefix, sources, **LEAN_TOPICS))
    assert created.returncode == 0, created.stderr
    ingress = start_ingress(prefix, tmp_path, sources, **debug)
    processor_admin = free_port()
    processor = Service(
        ["process"],
        {
            **environment(prefix, sources),
            **debug,
            "FLEETWIRE_ADMIN_PORT": str(processor_admin),
        },
        tmp_path / "processor.log",
    )
    sent_signatures: set[str] = set()
    statuses: list[int] = []

    async def post(source: str, body: bytes, headers: dict[str, str]) -> int:
        sent_signatures.update(v for k, v in headers.items() if k.lower() in SIGNATURE_HEADERS)
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{ingress.base}/webhooks/{source}",
                data=body,
                headers={"Content-Type": "application/json", **headers},
            ) as response,
        ):
            await response.read()
            statuses.append(response.status)
            return response.status

    try:
        ingress.service.wait_http(ingress.readyz)
        processor.wait_http(f"http://127.0.0.1:{processor_admin}/readyz")
        for provider, body in BODIES.items():
            assert await post(provider, body, signed(provider, body)) == 200
            wrong = SECRETS[provider].replace("a", "b")
            if provider == "telematica":
                wrong = "whsec_" + base64.b64encode(b"another key").decode()
            assert await post(provider, body, signed(provider, body, wrong)) == 401
            # A signature for another body: it must not be echoed in the log line.
            other = signed(provider, body + b" ")
            if provider != "azuga":
                assert await post(provider, body, other) == 401
            # A signed body the processor cannot read: dead-lettered, then logged.
            broken = b'{"broken": ' + provider.encode()
            assert await post(provider, broken, signed(provider, broken)) == 200
        verify = sample("smartcar", "variant-verify-v4")
        assert await post("smartcar", verify, signed("smartcar", verify)) == 200
        challenge = json.loads(verify)["data"]["challenge"]
        sent_signatures.add(
            hmac.new(SECRETS["smartcar"].encode(), challenge.encode(), hashlib.sha256).hexdigest()
        )
        # A malformed request quoting a signature: aiohttp's 400 must not log it.
        signature = signed("zubie", b"{}")["Zubie-Signature"]
        sent_signatures.add(signature)
        answer = raw_exchange(
            ingress.port,
            b"POST /webhooks/zubie HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
            + b"Zubie-Signature: "
            + signature.encode()
            + b"\x01\r\n\r\n{}",
        )
        statuses.append(int(answer[9:12]))
        # Everything processed: a dead letter per provider.
        for provider in BODIES:
            await read_all(f"{prefix}.dlq.{provider}", expect=1, timeout=30)
        metrics = http_text(ingress.metrics) + http_text(
            f"http://127.0.0.1:{processor_admin}/metrics"
        )
    finally:
        ingress.service.stop()
        processor.stop()
    logs = ingress.service.output() + processor.output()
    lines = logs.splitlines()
    assert all(json.loads(line) for line in lines if line.startswith("{"))
    searched = forbidden_values() | sent_signatures
    leaks = sorted(value for value in searched if value in logs or value in metrics)
    print(
        f"\n[secrets] requests={len(statuses)} statuses={sorted(set(statuses))} "
        f"log_lines={len(lines)} metric_bytes={len(metrics)} "
        f"values_searched={len(searched)} leaks={len(leaks)}"
    )
    assert len(lines) > 20, logs  # DEBUG logging was really on
    assert not leaks, [
        (value, logs[max(0, logs.find(value) - 300) : logs.find(value) + 50]) for value in leaks[:3]
    ]


KAFKA_WRONG_PASSWORD = "kafka-Wrong-Password-5e1b"
OIDC_CLIENT_SECRET = "oidc-Client-Secret-8c2d"
KEY_PASSPHRASE = "key-Passphrase-3f7a"


class TokenEndpoint:
    """A client-credentials endpoint minting unsigned JWTs for the admin principal."""

    def __init__(self) -> None:
        self.minted: list[str] = []
        self.expected = (
            "Basic " + base64.b64encode(f"fleetwire:{OIDC_CLIENT_SECRET}".encode()).decode()
        )

    async def token(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != self.expected:
            return web.json_response({"error": "invalid_client"}, status=401)
        token = unsigned_token("admin", 300)
        self.minted.append(token)
        return web.json_response({"access_token": token, "expires_in": 300})


async def test_a_secured_run_shows_no_kafka_secret_in_logs_or_metrics(
    secured_kafka: SecuredCluster, prefix: str, tmp_path: Path
) -> None:
    """Every kind of Kafka credential in use at once, and a refused login, at DEBUG."""
    endpoint = TokenEndpoint()
    app = web.Application()
    app.router.add_post("/token", endpoint.token)
    runner = web.AppRunner(app)
    await runner.setup()
    idp_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", idp_port).start()
    cert, key = secured_kafka.client_cert("admin")
    encrypted = encrypt_key(Pair(Path(cert), Path(key)), tmp_path, KEY_PASSPHRASE)
    debug = {"FLEETWIRE_LOG_FORMAT": "json", "FLEETWIRE_LOG_LEVEL": "DEBUG"}
    sources = write_sources(tmp_path, SOURCES)
    created = run(
        ["topics"],
        {**environment(prefix, sources, **LEAN_TOPICS), **secured_kafka.scram_env("admin")},
    )
    assert created.returncode == 0, created.stderr
    oidc = {
        "KAFKA_BOOTSTRAP_SERVERS": secured_kafka.bootstrap,
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "OAUTHBEARER",
        "KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL": f"http://127.0.0.1:{idp_port}/token",
        "KAFKA_SASL_OAUTHBEARER_CLIENT_ID": "fleetwire",
        "KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET": OIDC_CLIENT_SECRET,
        "KAFKA_SSL_CA_LOCATION": secured_kafka.ca_file,
    }
    ingress = start_ingress(prefix, tmp_path, sources, **debug, **oidc)
    refused = start_ingress(
        prefix,
        tmp_path,
        sources,
        **debug,
        **{**secured_kafka.scram_env("admin"), "KAFKA_SASL_PASSWORD": KAFKA_WRONG_PASSWORD},
    )
    processor_admin = free_port()
    processor = Service(
        ["process", "--provider", "zubie"],
        {
            **environment(prefix, sources),
            **debug,
            **secured_kafka.mtls_env(cert, str(encrypted)),
            "KAFKA_SSL_KEY_PASSWORD": KEY_PASSPHRASE,
            "FLEETWIRE_ADMIN_PORT": str(processor_admin),
        },
        tmp_path / "processor.log",
    )
    body = BODIES["zubie"]
    try:
        # In threads: the token endpoint answers from this event loop meanwhile.
        await asyncio.to_thread(ingress.service.wait_http, ingress.readyz, 60)
        await asyncio.to_thread(
            processor.wait_http, f"http://127.0.0.1:{processor_admin}/readyz", 60
        )
        async with aiohttp.ClientSession() as session:
            for target, expected in ((ingress, 200), (refused, 503)):
                async with session.post(
                    f"{target.base}/webhooks/zubie", data=body, headers=signed("zubie", body)
                ) as response:
                    assert response.status == expected
            readyz = ""
            for _ in range(100):
                async with session.get(refused.readyz) as response:
                    readyz = await response.text()
                if "authentication refused" in readyz:
                    break
                await asyncio.sleep(0.2)
        await read_all(
            f"{prefix}.canonical.trips", expect=1, timeout=30, bootstrap=secured_kafka.admin()
        )
        metrics = "".join(
            http_text(url)
            for url in (
                ingress.metrics,
                refused.metrics,
                f"http://127.0.0.1:{processor_admin}/metrics",
            )
        )
    finally:
        ingress.service.stop()
        refused.service.stop()
        processor.stop()
        await runner.cleanup()
    logs = ingress.service.output() + refused.service.output() + processor.output()
    logs += created.stdout + created.stderr
    assert "authentication refused by the broker" in readyz
    assert "authentication refused by the broker" in refused.service.output()
    assert endpoint.minted, "the ingress never fetched a token"
    searched = {
        secured_kafka.password("admin"),
        KAFKA_WRONG_PASSWORD,
        OIDC_CLIENT_SECRET,
        KEY_PASSPHRASE,
        endpoint.expected.removeprefix("Basic "),
        *endpoint.minted,
        *(token.split(".")[1] for token in endpoint.minted),  # the claims part alone
    }
    leaks = sorted(v for v in searched if v in logs or v in metrics or v in readyz)
    print(
        f"\n[kafka secrets] log_lines={len(logs.splitlines())} metric_bytes={len(metrics)} "
        f"tokens_minted={len(endpoint.minted)} values_searched={len(searched)} leaks={len(leaks)}"
    )
    assert len(logs.splitlines()) > 20
    assert not leaks, [
        (value[:8], logs[max(0, logs.find(value) - 300) : logs.find(value) + 50])
        for value in leaks[:3]
    ]
