"""Key pair files for tests, made by the openssl command-line tool (an implementation independent of
the service's), plus small admin helpers for signing key pairs."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import Admin

RSA_SETTINGS = {"commonName": "Example", "organizationUnit": "Engineering", "organization": "Ping Identity",
                "city": "Austin", "state": "Texas", "country": "US", "validDays": 365, "keyAlgorithm": "RSA"}


def openssl(*args: str, cwd: Path, stdin: bytes | None = None) -> bytes:
    done = subprocess.run(["openssl", *args], cwd=cwd, input=stdin, capture_output=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def openssl_key_and_cert(tmp: Path, key_spec: list[str], subject: str = "/C=GB/O=Acme/CN=acme.example",
                         days: int = 30) -> tuple[Path, Path]:
    """A private key (PKCS#8 PEM, unencrypted) and a self-signed certificate for it."""
    key, cert = tmp / "key.pem", tmp / "cert.pem"
    openssl("genpkey", *key_spec, "-out", str(key), cwd=tmp)
    openssl("req", "-x509", "-new", "-key", str(key), "-subj", subject, "-days", str(days), "-out", str(cert),
            cwd=tmp)
    return key, cert


def openssl_pkcs12(tmp: Path, key: Path, cert: Path, password: str) -> bytes:
    out = tmp / "bundle.p12"
    openssl("pkcs12", "-export", "-inkey", str(key), "-in", str(cert), "-passout", f"pass:{password}",
            "-name", "imported", "-out", str(out), cwd=tmp)
    return out.read_bytes()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


async def generate(admin: Admin, key_pair_id: str | None = None, **settings: Any) -> Any:
    body = {**RSA_SETTINGS, **settings}
    if key_pair_id is not None:
        body["id"] = key_pair_id
    return await admin.ok("POST", "/keyPairs/signing/generate", body)


def java_keystore(key: Path, cert: Path, password: str, alias: str = "signingcert") -> bytes:
    """A JKS keystore holding one private-key entry, as PingFederate's bulk export carries them."""
    import jks
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(key.read_bytes(), None)
    der_key = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    der_cert = x509.load_pem_x509_certificate(cert.read_bytes()).public_bytes(serialization.Encoding.DER)
    entry = jks.PrivateKeyEntry.new(alias, [der_cert], der_key, "pkcs8")
    return bytes(jks.KeyStore.new("jks", [entry]).saves(password))
