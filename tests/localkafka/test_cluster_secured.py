"""A secured cluster, logged into the ways a production cluster is: SASL_SSL with every
mechanism, mTLS, and the refusals that keep unauthenticated or unauthorised clients out."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import ssl
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaClient, AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.abc import AbstractTokenProvider
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.helpers import create_ssl_context

from localkafka import Cluster

pytestmark = pytest.mark.kafka

TOPIC_AUTHORIZATION_FAILED = 29


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    started = Cluster.start(
        tmp_path_factory.mktemp("secured"), security="secured", heap="-Xms128m -Xmx384m"
    )
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def secured(cluster: Cluster) -> dict[str, Any]:
    described: dict[str, Any] = cluster.descriptor["secured"]
    return described


def sasl_options(
    secured: dict[str, Any], mechanism: str, user: str, password: str | None = None
) -> dict[str, Any]:
    return {
        "bootstrap_servers": secured["sasl_ssl_bootstrap"],
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": mechanism,
        "sasl_plain_username": user,
        "sasl_plain_password": secured["users"][user] if password is None else password,
        "ssl_context": create_ssl_context(cafile=secured["ca_file"]),
        "request_timeout_ms": 10000,
    }


def unsigned_token(sub: str, lifetime_s: float) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    now = time.time()
    return (
        f"{part({'alg': 'none'})}.{part({'sub': sub, 'iat': now - 60, 'exp': now + lifetime_s})}."
    )


class Token(AbstractTokenProvider):  # type: ignore[misc]
    def __init__(self, sub: str, lifetime_s: float) -> None:
        self._token = unsigned_token(sub, lifetime_s)

    async def token(self) -> str:
        return self._token


async def round_trip(options: dict[str, Any], topic: str) -> bytes:
    """Write one record and read it back with the same credentials."""
    producer = AIOKafkaProducer(**options, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        value = uuid.uuid4().bytes
        await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, **options, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        async for record in consumer:
            if record.value == value:
                return value
    finally:
        await consumer.stop()
    raise AssertionError("unreachable")


async def logs_in(options: dict[str, Any]) -> bool:
    """True when a client with these options gets the cluster's metadata."""
    client = AIOKafkaClient(**options)
    try:
        await asyncio.wait_for(client.bootstrap(), 30)
    except Exception:  # every refusal reaches aiokafka's users as "Unable to bootstrap"
        return False
    finally:
        await client.close()
    # A refused OAUTHBEARER token still "bootstraps": aiokafka takes the broker's error
    # challenge for success, then the broker drops the connection and no broker is known.
    return bool(client.cluster.brokers())


async def create_topic(options: dict[str, Any], topic: str) -> int:
    """The error code of creating `topic` (0: created)."""
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        response = await admin.create_topics([NewTopic(topic, 1, 1)])
        return int(response.topic_errors[0][1])
    finally:
        await admin.close()


@pytest.fixture(scope="module")
def topic(cluster: Cluster, secured: dict[str, Any]) -> str:
    name = f"secured-{uuid.uuid4().hex[:8]}"
    done = cluster.tool(
        "topics", "--bootstrap-server", secured["sasl_ssl_bootstrap"],
        "--command-config", secured["admin_properties"], "--create", "--topic", name,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return name


def test_the_descriptor_names_every_file_and_user(
    cluster: Cluster, secured: dict[str, Any]
) -> None:
    d = cluster.descriptor
    assert d["security"] == "secured"
    assert d["bootstrap"] is None  # no PLAINTEXT listener at all
    assert d["nodes"][0]["client_port"] is None
    assert set(secured["users"]) == set(secured["client_certs"]) >= {"admin", "fleetwire-outsider"}
    paths = [secured["ca_file"], secured["untrusted_ca_file"], secured["admin_properties"]]
    paths += [p for pair in secured["client_certs"].values() for p in pair.values()]
    assert all(Path(p).is_file() for p in paths)
    assert json.loads((cluster.state_dir / "cluster.json").read_text()) == d


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"])
async def test_the_admin_logs_in_with_a_password(
    secured: dict[str, Any], topic: str, mechanism: str
) -> None:
    assert await round_trip(sasl_options(secured, mechanism, "admin"), topic)


async def test_the_admin_logs_in_with_an_unsigned_oauth_token(
    secured: dict[str, Any], topic: str
) -> None:
    options = sasl_options(secured, "OAUTHBEARER", "admin")
    options["sasl_oauth_token_provider"] = Token("admin", 3600)
    assert await round_trip(options, topic)


async def test_an_expired_token_is_refused(cluster: Cluster, secured: dict[str, Any]) -> None:
    log = cluster.node(1).log_file
    refusals = log.read_text().count("Failed authentication")
    options = sasl_options(secured, "OAUTHBEARER", "admin")
    options["sasl_oauth_token_provider"] = Token("admin", 3600)
    assert await logs_in(options)
    options["sasl_oauth_token_provider"] = Token("admin", -10)
    assert not await logs_in(options)
    assert log.read_text().count("Failed authentication") > refusals


async def test_the_admin_logs_in_with_a_client_certificate(
    secured: dict[str, Any], topic: str
) -> None:
    pair = secured["client_certs"]["admin"]
    context = create_ssl_context(
        cafile=secured["ca_file"], certfile=pair["cert"], keyfile=pair["key"]
    )
    options = {
        "bootstrap_servers": secured["mtls_bootstrap"],
        "security_protocol": "SSL",
        "ssl_context": context,
    }
    assert await round_trip(options, topic)


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"])
async def test_a_wrong_password_is_refused(secured: dict[str, Any], mechanism: str) -> None:
    options = sasl_options(secured, mechanism, "fleetwire-ingress", password="wrong")
    assert not await logs_in(options)


async def test_a_client_without_a_certificate_is_refused_on_the_mtls_listener(
    secured: dict[str, Any],
) -> None:
    context = create_ssl_context(cafile=secured["ca_file"])
    options = {
        "bootstrap_servers": secured["mtls_bootstrap"],
        "security_protocol": "SSL",
        "ssl_context": context,
    }
    assert not await logs_in(options)


async def test_a_certificate_from_the_untrusted_ca_is_refused(secured: dict[str, Any]) -> None:
    pair = secured["untrusted_client_cert"]
    context = create_ssl_context(
        cafile=secured["ca_file"], certfile=pair["cert"], keyfile=pair["key"]
    )
    options = {
        "bootstrap_servers": secured["mtls_bootstrap"],
        "security_protocol": "SSL",
        "ssl_context": context,
    }
    assert not await logs_in(options)


async def test_the_outsider_may_log_in_but_not_create_a_topic(secured: dict[str, Any]) -> None:
    options = sasl_options(secured, "SCRAM-SHA-512", "fleetwire-outsider")
    assert (
        await create_topic(options, f"outsider-{uuid.uuid4().hex[:8]}")
        == TOPIC_AUTHORIZATION_FAILED
    )


async def test_the_admin_may_create_a_topic(secured: dict[str, Any]) -> None:
    options = sasl_options(secured, "SCRAM-SHA-512", "admin")
    assert await create_topic(options, f"admin-{uuid.uuid4().hex[:8]}") == 0


async def test_a_certificate_maps_to_the_user_of_the_same_name(
    cluster: Cluster, secured: dict[str, Any]
) -> None:
    """An ACL for User:fleetwire-ingress lets the SCRAM login and the certificate alike."""
    name = f"mapped-{uuid.uuid4().hex[:8]}"
    admin = [
        "--bootstrap-server",
        secured["sasl_ssl_bootstrap"],
        "--command-config",
        secured["admin_properties"],
    ]
    granted = cluster.tool(
        "acls", *admin, "--add", "--allow-principal", "User:fleetwire-ingress",
        "--operation", "Create", "--topic", name,
    )  # fmt: skip
    assert granted.returncode == 0, granted.stderr
    pair = secured["client_certs"]["fleetwire-ingress"]
    context = create_ssl_context(
        cafile=secured["ca_file"], certfile=pair["cert"], keyfile=pair["key"]
    )
    mtls = {
        "bootstrap_servers": secured["mtls_bootstrap"],
        "security_protocol": "SSL",
        "ssl_context": context,
    }
    assert await create_topic(mtls, f"{name}-not-granted") == TOPIC_AUTHORIZATION_FAILED
    assert await create_topic(mtls, name) == 0


async def test_localhost_fails_the_host_name_check(secured: dict[str, Any]) -> None:
    options = sasl_options(secured, "SCRAM-SHA-512", "admin")
    options["bootstrap_servers"] = secured["hostname_mismatch_bootstrap"]
    assert not await logs_in(options)
    # And the cause is the certificate, not the address: the same port over 127.0.0.1 works.
    host, port = secured["hostname_mismatch_bootstrap"].split(":")
    context = create_ssl_context(cafile=secured["ca_file"])
    with (
        socket.create_connection(("127.0.0.1", int(port))) as raw,
        pytest.raises(ssl.SSLCertVerificationError, match=r"mismatch|doesn't match"),
    ):
        context.wrap_socket(raw, server_hostname=host)
