"""The secured cluster's certificates, checked with Python's ssl module (no broker needed)."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from localkafka.certificates import Certificates

USERS = ("admin", "fleetwire-ingress")


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    made = Certificates(tmp_path_factory.mktemp("tls"))
    made.ensure([1, 2], USERS)
    return made


def subject(cert: Path) -> str:
    done = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-noout", "-subject", "-nameopt", "RFC2253"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().removeprefix("subject=")


@pytest.fixture(scope="module")
def broker_port(certs: Certificates) -> Iterator[int]:
    """A TLS server on 127.0.0.1 presenting node 1's certificate, as the broker does."""
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(certs.broker(1).keystore)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            try:
                with server.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        listener.close()


def handshake(certs: Certificates, port: int, server_hostname: str, cafile: Path) -> None:
    context = ssl.create_default_context(cafile=str(cafile))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=server_hostname),
    ):
        pass


def test_a_client_trusting_the_ca_accepts_the_broker_at_its_ip(
    certs: Certificates, broker_port: int
) -> None:
    handshake(certs, broker_port, "127.0.0.1", certs.ca_file)


def test_localhost_is_a_host_name_mismatch(certs: Certificates, broker_port: int) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match=r"mismatch|doesn't match"):
        handshake(certs, broker_port, "localhost", certs.ca_file)


def test_the_untrusted_ca_does_not_vouch_for_the_broker(
    certs: Certificates, broker_port: int
) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        handshake(certs, broker_port, "127.0.0.1", certs.untrusted_ca_file)


def test_subjects_put_the_principal_in_the_common_name(certs: Certificates) -> None:
    assert subject(certs.client("fleetwire-ingress").cert) == "CN=fleetwire-ingress,O=fleetwire"
    assert subject(certs.broker(2).keystore) == "CN=kafka-broker,OU=node-2,O=fleetwire"
    assert subject(certs.untrusted_client.cert) == "CN=fleetwire-ingress,O=fleetwire"


def test_client_keys_load_as_they_are(certs: Certificates) -> None:
    context = ssl.create_default_context()
    for name in USERS:
        pair = certs.client(name)
        context.load_cert_chain(pair.cert, pair.key)  # no password: unencrypted keys
        assert pair.key.stat().st_mode & 0o077 == 0


def test_a_second_ensure_keeps_what_exists(certs: Certificates) -> None:
    before = {p: p.read_bytes() for p in certs.directory.iterdir()}
    certs.ensure([1, 2], USERS)
    assert {p: p.read_bytes() for p in certs.directory.iterdir()} == before
