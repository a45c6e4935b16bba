"""A throw-away CA and certificates made with openssl, for TLS tests without a broker.

They carry the extensions Python 3.13's default context insists on (VERIFY_X509_STRICT:
a critical basicConstraints and keyCertSign on the CA, key identifiers on both), so a
test of a refused name or CA fails for that reason and not for a malformed certificate.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_ca(directory: Path, name: str) -> Pair:
    pair = Pair(directory / f"{name}.pem", directory / f"{name}.key")
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", f"/CN={name}", "-keyout", str(pair.key), "-out", str(pair.cert),
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-addext", "subjectKeyIdentifier=hash",
    )  # fmt: skip
    return pair


def issue(ca: Pair, directory: Path, name: str, san: str = "IP:127.0.0.1") -> Pair:
    """A certificate signed by `ca` whose only subject alternative name is `san`."""
    pair = Pair(directory / f"{name}.pem", directory / f"{name}.key")
    request = directory / f"{name}.csr"
    extensions = directory / f"{name}.ext"
    extensions.write_text(
        f"subjectAltName={san}\n"
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth,clientAuth\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n"
    )
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
        "-keyout", str(pair.key), "-out", str(request),
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", str(request), "-CA", str(ca.cert), "-CAkey", str(ca.key),
        "-CAcreateserial", "-days", "2", "-extfile", str(extensions), "-out", str(pair.cert),
    )  # fmt: skip
    return pair


def encrypt_key(pair: Pair, directory: Path, passphrase: str) -> Path:
    encrypted = directory / f"{pair.key.stem}.encrypted.key"
    _openssl(
        "pkey", "-in", str(pair.key), "-aes256", "-passout", f"pass:{passphrase}",
        "-out", str(encrypted),
    )  # fmt: skip
    return encrypted
