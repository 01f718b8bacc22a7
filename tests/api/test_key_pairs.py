"""Admin API: signing key pairs (/keyPairs/signing): generate, import, view, export, CSR, delete."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from tests.conftest import Admin
from tests.keyfiles import (
    RSA_SETTINGS,
    b64,
    generate,
    java_keystore,
    openssl,
    openssl_key_and_cert,
    openssl_pkcs12,
)
from tokensmith.clock import FakeClock
from tokensmith.settings import Settings

PATH = "/keyPairs/signing"


def _paths(response: Any) -> list[str]:
    return [e.get("fieldPath", "") for e in response.json()["validationErrors"]]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_generated_rsa_key_pair_is_described_like_pingfederate(admin: Admin, clock: FakeClock,
                                                                    tmp_path: Path) -> None:
    created = await generate(admin, subjectAlternativeNames=["sts.example.com", "192.0.2.7"])
    assert re.fullmatch(r"[a-z0-9]{25}", created["id"])
    assert created["subjectDN"] == "CN=Example, OU=Engineering, O=Ping Identity, L=Austin, ST=Texas, C=US"
    assert created["issuerDN"] == created["subjectDN"]
    assert created["subjectAlternativeNames"] == ["sts.example.com", "192.0.2.7"]
    assert created["validFrom"] == _iso(clock.now())
    assert created["expires"] == _iso(clock.now() + 365 * 86400)
    assert (created["keyAlgorithm"], created["keySize"], created["signatureAlgorithm"]) == ("RSA", 2048,
                                                                                             "SHA256withRSA")
    assert created["version"] == 3 and created["status"] == "VALID"
    assert created["serialNumber"].isdigit()
    fetched = await admin.ok("GET", f"{PATH}/{created['id']}")
    assert fetched == created
    assert [i["id"] for i in (await admin.ok("GET", PATH))["items"]] == [created["id"]]

    # the fingerprints and serial agree with what openssl reads from the exported certificate
    response = await admin.get(f"{PATH}/{created['id']}/certificate")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-x509-ca-cert")
    (tmp_path / "c.pem").write_bytes(response.content)
    sha1 = openssl("x509", "-in", "c.pem", "-noout", "-fingerprint", "-sha1", cwd=tmp_path).decode()
    sha256 = openssl("x509", "-in", "c.pem", "-noout", "-fingerprint", "-sha256", cwd=tmp_path).decode()
    assert sha1.split("=", 1)[1].strip().replace(":", "") == created["sha1Fingerprint"]
    assert sha256.split("=", 1)[1].strip().replace(":", "") == created["sha256Fingerprint"]
    serial = openssl("x509", "-in", "c.pem", "-noout", "-serial", cwd=tmp_path).decode()
    assert int(serial.split("=", 1)[1], 16) == int(created["serialNumber"])
    openssl("verify", "-attime", str(int(clock.now()) + 60), "-CAfile", "c.pem", "c.pem", cwd=tmp_path)


@pytest.mark.parametrize(("size", "signature"), [(256, "SHA256withECDSA"), (384, "SHA384withECDSA"),
                                                 (521, "SHA512withECDSA")])
async def test_ec_key_pairs_on_each_curve(admin: Admin, size: int, signature: str) -> None:
    created = await generate(admin, f"ec{size}", keyAlgorithm="EC", keySize=size)
    assert (created["id"], created["keyAlgorithm"], created["keySize"], created["signatureAlgorithm"]) == (
        f"ec{size}", "EC", size, signature)
    cert = x509.load_pem_x509_certificate((await admin.get(f"{PATH}/ec{size}/certificate")).content)
    public = cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.key_size == size


async def test_explicit_signature_algorithm_and_key_size(admin: Admin) -> None:
    created = await generate(admin, "rsa3072", keySize=3072, signatureAlgorithm="SHA512withRSA")
    assert (created["keySize"], created["signatureAlgorithm"]) == (3072, "SHA512withRSA")
    ec_sig = await generate(admin, "ec-sha384", keyAlgorithm="EC", signatureAlgorithm="SHA384withECDSA")
    assert (ec_sig["keySize"], ec_sig["signatureAlgorithm"]) == (256, "SHA384withECDSA")


@pytest.mark.parametrize(("change", "field"), [
    ({"keySize": 1024}, "keySize"),
    ({"keyAlgorithm": "EC", "keySize": 2048}, "keySize"),
    ({"keyAlgorithm": "DSA"}, "keyAlgorithm"),
    ({"signatureAlgorithm": "SHA256withECDSA"}, "signatureAlgorithm"),
    ({"keyAlgorithm": "EC", "signatureAlgorithm": "SHA256withRSA"}, "signatureAlgorithm"),
    ({"signatureAlgorithm": "MD5withRSA"}, "signatureAlgorithm"),
    ({"validDays": 0}, "validDays"),
    ({"country": "USA"}, "country"),
    ({"commonName": " "}, "commonName"),
    ({"subjectAlternativeNames": ["ok.example.com", "not a name!"]}, "subjectAlternativeNames[1]"),
    ({"id": "Upper Case"}, "id"),
    ({"cryptoProvider": "HSM"}, "cryptoProvider"),
    ({"organization": None}, "organization"),
    ({"unexpected": 1}, "unexpected"),
])
async def test_generation_rules_give_422_naming_the_field(admin: Admin, change: dict[str, Any],
                                                          field: str) -> None:
    body = {k: v for k, v in {**RSA_SETTINGS, **change}.items() if v is not None}
    response = await admin.post(f"{PATH}/generate", body)
    assert response.status_code == 422, response.text
    assert field in _paths(response)
    assert (await admin.ok("GET", PATH))["items"] == []


async def test_duplicate_id_is_refused(admin: Admin) -> None:
    await generate(admin, "signing1", keyAlgorithm="EC")
    again = await admin.post(f"{PATH}/generate", {**RSA_SETTINGS, "id": "signing1", "keyAlgorithm": "EC"})
    assert again.status_code == 422
    assert again.json()["validationErrors"][0]["errorId"] == "duplicate_id"


async def test_status_follows_the_clock(admin: Admin, clock: FakeClock) -> None:
    await generate(admin, "short", keyAlgorithm="EC", validDays=1)
    clock.advance(2 * 86400)
    assert (await admin.ok("GET", f"{PATH}/short"))["status"] == "EXPIRED"


# --------------------------------------------------------------------------- import


async def test_import_pkcs12_made_by_openssl(admin: Admin, tmp_path: Path) -> None:
    key, cert = openssl_key_and_cert(tmp_path, ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])
    bundle = openssl_pkcs12(tmp_path, key, cert, "s3cret-pass")
    wrong = await admin.post(f"{PATH}/import", {"id": "p12", "fileData": b64(bundle), "format": "PKCS12",
                                                "password": "nope"})
    assert wrong.status_code == 422
    assert _paths(wrong) == ["password"]
    imported = await admin.ok("POST", f"{PATH}/import", {"id": "p12", "fileData": b64(bundle),
                                                         "format": "PKCS12", "password": "s3cret-pass"})
    assert imported["subjectDN"] == "CN=acme.example, O=Acme, C=GB"
    assert (imported["keyAlgorithm"], imported["keySize"]) == ("RSA", 2048)
    # format may be left out: detected
    auto = await admin.ok("POST", f"{PATH}/import", {"id": "p12b", "fileData": b64(bundle),
                                                     "password": "s3cret-pass"})
    assert auto["sha256Fingerprint"] == imported["sha256Fingerprint"]


async def test_import_pem_raw_base64_and_encrypted(admin: Admin, tmp_path: Path) -> None:
    key, cert = openssl_key_and_cert(tmp_path, ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"])
    pem = key.read_bytes() + cert.read_bytes()
    raw = await admin.ok("POST", f"{PATH}/import", {"id": "raw", "fileData": pem.decode(), "format": "PEM",
                                                    "password": ""})
    assert (raw["keyAlgorithm"], raw["keySize"]) == ("EC", 384)
    await admin.ok("POST", f"{PATH}/import", {"id": "based", "fileData": b64(pem), "password": ""})
    openssl("pkcs8", "-topk8", "-in", str(key), "-v2", "aes-256-cbc", "-passout", "pass:pem-pass", "-out",
            "enc.pem", cwd=tmp_path)
    encrypted = (tmp_path / "enc.pem").read_bytes() + cert.read_bytes()
    wrong = await admin.post(f"{PATH}/import", {"id": "enc", "fileData": b64(encrypted), "password": "bad"})
    assert wrong.status_code == 422 and _paths(wrong) == ["password"]
    ok = await admin.ok("POST", f"{PATH}/import", {"id": "enc", "fileData": b64(encrypted),
                                                   "password": "pem-pass"})
    assert ok["sha1Fingerprint"] == raw["sha1Fingerprint"]


@pytest.mark.parametrize(("file_data", "extra", "field"), [
    ("not base64 at all!", {}, "fileData"),
    (b64(b"\xfe\xed\xfe\xed" + b"\x00" * 60), {}, "fileData"),  # a Java keystore
    (b64(b"\x30\x03\x02\x01\x03"), {}, "password"),  # not a PKCS12 file
    ("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", {"format": "PEM"}, "fileData"),
])
async def test_import_refuses_bad_files(admin: Admin, file_data: str, extra: dict[str, str], field: str) -> None:
    response = await admin.post(f"{PATH}/import", {"fileData": file_data, "password": "x", **extra})
    assert response.status_code == 422, response.text
    assert _paths(response) == [field]


async def test_import_refuses_pem_without_its_certificate_and_unsupported_keys(admin: Admin,
                                                                               tmp_path: Path) -> None:
    key, _ = openssl_key_and_cert(tmp_path, ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])
    other = tmp_path / "other"
    other.mkdir()
    _, stranger = openssl_key_and_cert(other, ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])
    mismatched = await admin.post(f"{PATH}/import", {"fileData": (key.read_bytes() + stranger.read_bytes()).decode(),
                                                     "password": ""})
    assert mismatched.status_code == 422
    assert "no certificate for its private key" in mismatched.json()["validationErrors"][0]["message"]
    ed = tmp_path / "ed"
    ed.mkdir()
    ed_key, ed_cert = openssl_key_and_cert(ed, ["-algorithm", "ED25519"])
    unsupported = await admin.post(f"{PATH}/import", {"fileData": (ed_key.read_bytes() + ed_cert.read_bytes())
                                                      .decode(), "password": ""})
    assert unsupported.status_code == 422
    assert "RSA and EC" in unsupported.json()["validationErrors"][0]["message"]
    missing_password = await admin.post(f"{PATH}/import", {"fileData": "x"})
    assert missing_password.status_code == 422 and _paths(missing_password) == ["password"]


# --------------------------------------------------------------------------- export and secrecy


async def test_pem_and_pkcs12_exports_carry_the_same_key_protected_by_the_password(admin: Admin,
                                                                                   tmp_path: Path) -> None:
    created = await generate(admin, "exp")
    cert = x509.load_pem_x509_certificate((await admin.get(f"{PATH}/exp/certificate")).content)
    no_password = await admin.post(f"{PATH}/exp/pem", {"password": ""})
    assert no_password.status_code == 422 and _paths(no_password) == ["password"]

    pem = await admin.post(f"{PATH}/exp/pem", {"password": "export-pass-1"})
    assert pem.status_code == 200
    assert pem.headers["content-type"].startswith("application/x-pem-file")
    assert b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in pem.content
    assert b"-----BEGIN PRIVATE KEY-----" not in pem.content
    (tmp_path / "exp.pem").write_bytes(pem.content)
    # openssl opens it with the password (and only with it)
    modulus = openssl("rsa", "-in", "exp.pem", "-passin", "pass:export-pass-1", "-noout", "-modulus", cwd=tmp_path)
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    assert int(modulus.decode().strip().split("=", 1)[1], 16) == public.public_numbers().n

    p12 = await admin.post(f"{PATH}/exp/pkcs12", {"password": "export-pass-1"})
    assert p12.status_code == 200
    assert p12.headers["content-type"].startswith("application/x-pkcs12")
    key, p12_cert, _ = pkcs12.load_key_and_certificates(p12.content, b"export-pass-1")
    assert p12_cert is not None and p12_cert.fingerprint(hashes.SHA256()).hex().upper() == \
        created["sha256Fingerprint"]
    assert key is not None and key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "exp.p12").write_bytes(p12.content)
    openssl("pkcs12", "-in", "exp.p12", "-passin", "pass:export-pass-1", "-noout", cwd=tmp_path)
    # and round-trips through import
    again = await admin.ok("POST", f"{PATH}/import", {"id": "exp2", "fileData": b64(p12.content),
                                                      "password": "export-pass-1"})
    assert again["sha256Fingerprint"] == created["sha256Fingerprint"]


async def test_private_key_is_never_stored_or_shown_in_clear(admin: Admin, settings: Settings,
                                                             tmp_path: Path) -> None:
    key, cert = openssl_key_and_cert(tmp_path, ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])
    await admin.ok("POST", f"{PATH}/import", {"id": "secret", "fileData": (key.read_bytes() + cert.read_bytes())
                                              .decode(), "password": ""})
    private = serialization.load_pem_private_key(key.read_bytes(), None)
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    scalar = private.private_numbers().private_value.to_bytes(32, "big")  # type: ignore[union-attr]
    stored = b"".join(p.read_bytes() for p in settings.data_dir.glob("config.db*"))
    for secret in (der, b64(der).encode(), scalar, key.read_bytes().split(b"\n")[1]):
        assert secret not in stored
    for response in (await admin.get(PATH), await admin.get(f"{PATH}/secret")):
        assert "rivate" not in response.text and b64(der)[:40] not in response.text


async def test_unknown_key_pair_is_404_everywhere(admin: Admin) -> None:
    for method, suffix, body in (("GET", "", None), ("DELETE", "", None), ("GET", "/certificate", None),
                                 ("POST", "/pem", {"password": "x"}), ("POST", "/pkcs12", {"password": "x"}),
                                 ("GET", "/csr", None), ("POST", "/csr", {"fileData": "x"})):
        response = await admin.request(method, f"{PATH}/ghost{suffix}", body)
        assert response.status_code == 404, (method, suffix)
        assert response.json()["resultId"] == "resource_not_found"


async def test_delete_removes_the_key_pair(admin: Admin) -> None:
    await generate(admin, "gone", keyAlgorithm="EC")
    await admin.ok("DELETE", f"{PATH}/gone")
    assert (await admin.get(f"{PATH}/gone")).status_code == 404


# --------------------------------------------------------------------------- CSR


def _ca(now: float) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    start = datetime.fromtimestamp(now, UTC) - timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(start).not_valid_after(start + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


async def test_csr_and_ca_response(admin: Admin, clock: FakeClock) -> None:
    created = await generate(admin, "csr1", subjectAlternativeNames=["sts.example.com"])
    response = await admin.get(f"{PATH}/csr1/csr")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/pkcs10")
    request = x509.load_pem_x509_csr(response.content)
    assert request.is_signature_valid
    assert request.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Example"

    ca_key, ca_cert = _ca(clock.now())
    start = datetime.fromtimestamp(clock.now(), UTC)
    signed = (x509.CertificateBuilder().subject_name(request.subject).issuer_name(ca_cert.subject)
              .public_key(request.public_key()).serial_number(4242).not_valid_before(start)
              .not_valid_after(start + timedelta(days=90)).sign(ca_key, hashes.SHA256()))
    pem = (signed.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(serialization.Encoding.PEM))
    updated = await admin.ok("POST", f"{PATH}/csr1/csr", {"fileData": pem.decode()}, status=200)
    assert updated["issuerDN"] == "CN=Test CA"
    assert updated["serialNumber"] == "4242"
    assert updated["subjectDN"] == created["subjectDN"]
    assert updated["signatureAlgorithm"] == "SHA256withECDSA"

    other_key = ec.generate_private_key(ec.SECP256R1())
    stranger = (x509.CertificateBuilder().subject_name(request.subject).issuer_name(ca_cert.subject)
                .public_key(other_key.public_key()).serial_number(5).not_valid_before(start)
                .not_valid_after(start + timedelta(days=90)).sign(ca_key, hashes.SHA256()))
    refused = await admin.post(f"{PATH}/csr1/csr",
                               {"fileData": stranger.public_bytes(serialization.Encoding.PEM).decode()})
    assert refused.status_code == 422 and _paths(refused) == ["fileData"]


@pytest.mark.parametrize("key_spec", [["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                                      ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]])
async def test_import_java_keystore_as_pingfederate_exports_them(admin: Admin, tmp_path: Path,
                                                                 key_spec: list[str]) -> None:
    key, cert = openssl_key_and_cert(tmp_path, key_spec)
    store = java_keystore(key, cert, "2FederateM0re")
    wrong = await admin.post(f"{PATH}/import", {"id": "jks", "fileData": b64(store), "format": "PKCS12",
                                                "password": "wrong-password"})
    assert wrong.status_code == 422 and _paths(wrong) == ["password"]
    imported = await admin.ok("POST", f"{PATH}/import", {"id": "jks", "fileData": b64(store), "format": "PKCS12",
                                                         "password": "2FederateM0re"})
    assert imported["subjectDN"] == "CN=acme.example, O=Acme, C=GB"
    expected = openssl("x509", "-in", str(cert), "-noout", "-fingerprint", "-sha256", cwd=tmp_path)
    assert imported["sha256Fingerprint"] == expected.decode().split("=", 1)[1].strip().replace(":", "")
