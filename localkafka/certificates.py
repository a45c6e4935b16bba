"""A local CA and the certificates of a secured cluster, made with `openssl` once per state dir.

EC P-256 keys, unencrypted PKCS#8 PEM: Kafka reads them as a PEM keystore with no key
password (so no keytool), and Python's ssl module loads them as they are.
Broker certificates carry only `IP:127.0.0.1`: bootstrapping as `localhost:PORT` is a
host-name mismatch, on purpose, for tests.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from localkafka.config import BROKER_PRINCIPAL, TlsFiles
from localkafka.errors import LauncherError

ORGANIZATION = "fleetwire"
DAYS = 3650
_CA_EXTENSIONS = """\
[req]
distinguished_name = dn
[dn]
[v3]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""
_LEAF_EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


@dataclass(frozen=True)
class KeyPair:
    cert: Path
    key: Path


@dataclass(frozen=True)
class Certificates:
    directory: Path

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def untrusted_ca_file(self) -> Path:
        return self.directory / "untrusted-ca.pem"

    def client(self, principal: str) -> KeyPair:
        return KeyPair(
            self.directory / f"client-{principal}.pem",
            self.directory / f"client-{principal}-key.pem",
        )

    @property
    def untrusted_client(self) -> KeyPair:
        base = self.directory / "untrusted-client"
        return KeyPair(base.with_name(f"{base.name}.pem"), base.with_name(f"{base.name}-key.pem"))

    def broker(self, node_id: int) -> TlsFiles:
        return TlsFiles(self.directory / f"broker-{node_id}-keystore.pem", self.ca_file)

    def ensure(self, node_ids: Iterable[int], principals: Iterable[str]) -> None:
        """Create whatever is missing; existing files are kept (they are per state dir)."""
        if shutil.which("openssl") is None:
            raise LauncherError("openssl is required for KAFKA_SECURITY=secured; install it")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        ca = KeyPair(self.ca_file, self.directory / "ca-key.pem")
        untrusted = KeyPair(self.untrusted_ca_file, self.directory / "untrusted-ca-key.pem")
        _ensure_ca(ca, "fleetwire local CA")
        _ensure_ca(untrusted, "fleetwire untrusted CA")
        for node_id in node_ids:
            self._ensure_broker(ca, node_id)
        for principal in principals:
            _ensure_leaf(ca, self.client(principal), _subject(principal), san=None)
        # Same name as a real user: only the signer tells it apart.
        _ensure_leaf(untrusted, self.untrusted_client, _subject("fleetwire-ingress"), san=None)

    def _ensure_broker(self, ca: KeyPair, node_id: int) -> None:
        keystore = self.broker(node_id).keystore
        if keystore.is_file():
            return
        pair = KeyPair(
            self.directory / f"broker-{node_id}.pem", self.directory / f"broker-{node_id}-key.pem"
        )
        # Every broker maps to one principal; the OU only tells the nodes apart.
        subject = f"/O={ORGANIZATION}/OU=node-{node_id}/CN={BROKER_PRINCIPAL}"
        _ensure_leaf(ca, pair, subject, san="IP:127.0.0.1")
        # A PEM keystore: the key, then the chain.
        text = pair.key.read_text() + pair.cert.read_text() + ca.cert.read_text()
        _write_private(keystore, text)


def _subject(principal: str) -> str:
    # Java prints it as CN=<principal>,O=fleetwire (RFC 2253 reverses the order).
    return f"/O={ORGANIZATION}/CN={principal}"


def _ensure_ca(pair: KeyPair, name: str) -> None:
    if pair.cert.is_file() and pair.key.is_file():
        return
    ext = pair.cert.with_suffix(".ext")
    ext.write_text(_CA_EXTENSIONS)
    try:
        _openssl(
            "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(pair.key), "-out", str(pair.cert), "-days", str(DAYS),
            "-subj", f"/O={ORGANIZATION}/CN={name}", "-config", str(ext),
            "-extensions", "v3",
        )  # fmt: skip
    finally:
        ext.unlink(missing_ok=True)
    pair.key.chmod(0o600)


def _ensure_leaf(ca: KeyPair, pair: KeyPair, subject: str, san: str | None) -> None:
    if pair.cert.is_file() and pair.key.is_file():
        return
    csr = pair.cert.with_suffix(".csr")
    ext = pair.cert.with_suffix(".ext")
    extensions = _LEAF_EXTENSIONS + (f"subjectAltName = {san}\n" if san else "")
    ext.write_text(f"[req]\ndistinguished_name = dn\n[dn]\n[v3]\n{extensions}")
    try:
        _openssl(
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(pair.key), "-out", str(csr), "-subj", subject,
            "-config", str(ext),
        )  # fmt: skip
        _openssl(
            "x509", "-req", "-in", str(csr), "-CA", str(ca.cert), "-CAkey", str(ca.key),
            "-set_serial", str(secrets.randbits(63)), "-days", str(DAYS), "-sha256",
            "-extfile", str(ext), "-extensions", "v3", "-out", str(pair.cert),
        )  # fmt: skip
    finally:
        csr.unlink(missing_ok=True)
        ext.unlink(missing_ok=True)
    pair.key.chmod(0o600)


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.touch(mode=0o600)
    tmp.write_text(text)
    tmp.replace(path)


def _openssl(*args: str) -> None:
    done = subprocess.run(  # noqa: S603 - fixed arguments
        ["openssl", *args],  # noqa: S607 - openssl from PATH
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise LauncherError(f"openssl {args[0]} failed: {done.stderr.strip()}")
