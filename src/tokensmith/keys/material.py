"""Key pair material: generate a key with a self-signed certificate, read PKCS#12 and PEM files,
write them back out, build CSRs, and describe a certificate the way the admin API shows it.

Everything cryptographic is done by ``cryptography``; this module only chooses parameters, checks
inputs and reports what is wrong with them (:class:`KeyMaterialError` names the request field).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

RSA, EC = "RSA", "EC"
RSA_SIZES = (2048, 3072, 4096)
MIN_IMPORTED_RSA = 1024
EC_CURVES: dict[int, type[ec.EllipticCurve]] = {256: ec.SECP256R1, 384: ec.SECP384R1, 521: ec.SECP521R1}
JOSE_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
# Signature algorithm names as PingFederate (Java) spells them -> (key algorithm, hash).
SignatureHash = hashes.SHA256 | hashes.SHA384 | hashes.SHA512
SIGNATURE_ALGORITHMS: dict[str, tuple[str, type[SignatureHash]]] = {
    "SHA256withRSA": (RSA, hashes.SHA256),
    "SHA384withRSA": (RSA, hashes.SHA384),
    "SHA512withRSA": (RSA, hashes.SHA512),
    "SHA256withECDSA": (EC, hashes.SHA256),
    "SHA384withECDSA": (EC, hashes.SHA384),
    "SHA512withECDSA": (EC, hashes.SHA512),
}
DEFAULT_EC_SIGNATURE = {256: "SHA256withECDSA", 384: "SHA384withECDSA", 521: "SHA512withECDSA"}
_OID_NAMES = {
    SignatureAlgorithmOID.RSA_WITH_SHA1: "SHA1withRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA224: "SHA224withRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA256: "SHA256withRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA384: "SHA384withRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA512: "SHA512withRSA",
    SignatureAlgorithmOID.RSASSA_PSS: "RSASSA-PSS",
    SignatureAlgorithmOID.ECDSA_WITH_SHA1: "SHA1withECDSA",
    SignatureAlgorithmOID.ECDSA_WITH_SHA224: "SHA224withECDSA",
    SignatureAlgorithmOID.ECDSA_WITH_SHA256: "SHA256withECDSA",
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: "SHA384withECDSA",
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: "SHA512withECDSA",
    SignatureAlgorithmOID.DSA_WITH_SHA1: "SHA1withDSA",
    SignatureAlgorithmOID.DSA_WITH_SHA256: "SHA256withDSA",
}
# Attribute names in rendered DNs, as Java renders them (the rest as cryptography does).
_DN_NAMES = {NameOID.EMAIL_ADDRESS: "EMAILADDRESS", NameOID.SERIAL_NUMBER: "SERIALNUMBER",
             NameOID.DOMAIN_COMPONENT: "DC"}
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", re.DOTALL)
_DNS_NAME = re.compile(r"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}"
                       r"[A-Za-z0-9])?)*$")
JAVA_KEYSTORE_MAGIC = (b"\xfe\xed\xfe\xed", b"\xce\xce\xce\xce")
MAX_FILE_BYTES = 256 * 1024
# Passwords that protect exported private keys (PKCS#12, PEM, bulk export): whoever gets the file can
# guess offline as fast as the key derivation allows, so a short password is refused.
MIN_EXPORT_PASSWORD = 12


class KeyMaterialError(ValueError):
    """Input that cannot become a key pair; ``field`` is the admin API property at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class KeyPairMaterial:
    key: PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()


@dataclass(frozen=True)
class NewKeyPair:
    """Validated settings for :func:`generate`."""

    common_name: str
    organization: str
    country: str
    valid_days: int
    key_algorithm: str
    key_size: int
    signature_algorithm: str
    organization_unit: str = ""
    city: str = ""
    state: str = ""
    subject_alternative_names: tuple[str, ...] = ()


# --------------------------------------------------------------------------- key facts


def key_facts(key: PublicKey | PrivateKey) -> tuple[str, int]:
    """(key algorithm, size in bits): ("RSA", 2048), ("EC", 256)..."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return RSA, key.key_size
    return EC, key.curve.key_size


def jose_curve(key: PublicKey | PrivateKey) -> str | None:
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return JOSE_CURVES.get(key.curve.name)
    return None


def default_key_size(algorithm: str) -> int:
    return 2048 if algorithm == RSA else 256


def check_signature_algorithm(key_algorithm: str, key_size: int, requested: str | None) -> str:
    """The signature algorithm to use for a new certificate; raises when it does not fit the key."""
    if not requested:
        return "SHA256withRSA" if key_algorithm == RSA else DEFAULT_EC_SIGNATURE[key_size]
    found = SIGNATURE_ALGORITHMS.get(requested)
    if found is None:
        raise KeyMaterialError("signatureAlgorithm", f"'{requested}' is not supported; use one of "
                               f"{', '.join(SIGNATURE_ALGORITHMS)}")
    if found[0] != key_algorithm:
        raise KeyMaterialError("signatureAlgorithm",
                               f"'{requested}' cannot be used with an {key_algorithm} key")
    return requested


def check_subject_alternative_name(value: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(value))
    except ValueError:
        pass
    if len(value) <= 253 and _DNS_NAME.match(value):
        return x509.DNSName(value)
    raise KeyMaterialError("subjectAlternativeNames", f"'{value}' is neither a DNS name nor an IP address")


# --------------------------------------------------------------------------- generation


def _name(spec: NewKeyPair) -> x509.Name:
    # Encoded from the least to the most specific part, so it renders as "CN=..., OU=..., ..., C=..".
    parts = [(NameOID.COUNTRY_NAME, spec.country), (NameOID.STATE_OR_PROVINCE_NAME, spec.state),
             (NameOID.LOCALITY_NAME, spec.city), (NameOID.ORGANIZATION_NAME, spec.organization),
             (NameOID.ORGANIZATIONAL_UNIT_NAME, spec.organization_unit), (NameOID.COMMON_NAME, spec.common_name)]
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in parts if value])


def generate(spec: NewKeyPair, now: float) -> KeyPairMaterial:
    key: PrivateKey
    if spec.key_algorithm == RSA:
        key = rsa.generate_private_key(public_exponent=65537, key_size=spec.key_size)
    else:
        key = ec.generate_private_key(EC_CURVES[spec.key_size]())
    name = _name(spec)
    start = datetime.fromtimestamp(int(now), UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(name).issuer_name(name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(start)
               .not_valid_after(start + timedelta(days=spec.valid_days))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                            key_encipherment=spec.key_algorithm == RSA, data_encipherment=False,
                                            key_agreement=spec.key_algorithm == EC, key_cert_sign=False,
                                            crl_sign=False, encipher_only=False, decipher_only=False),
                              critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if spec.subject_alternative_names:
        sans = [check_subject_alternative_name(v) for v in spec.subject_alternative_names]
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    digest = SIGNATURE_ALGORITHMS[spec.signature_algorithm][1]()
    return KeyPairMaterial(key, builder.sign(key, digest))


# --------------------------------------------------------------------------- import


def decode_file_data(file_data: str, fmt: str | None) -> bytes:
    """``fileData`` as bytes: base64 of a PKCS#12 or PEM file, or raw PEM text."""
    text = file_data.strip()
    if "-----BEGIN" in text:
        return text.encode("utf-8")
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyMaterialError("fileData", "fileData must be base64-encoded PKCS12 or PEM data, "
                               "or PEM text") from exc
    if not data:
        raise KeyMaterialError("fileData", "fileData is empty")
    return data


def _matching_certificate(key: PrivateKey, certificates: Sequence[x509.Certificate],
                          field: str) -> tuple[x509.Certificate, tuple[x509.Certificate, ...]]:
    wanted = _spki(key.public_key())
    leaf = next((c for c in certificates if _spki(c.public_key()) == wanted), None)
    if leaf is None:
        raise KeyMaterialError(field, "The file holds no certificate for its private key")
    return leaf, tuple(c for c in certificates if c is not leaf)


def _spki(public: Any) -> bytes:
    return bytes(public.public_bytes(serialization.Encoding.DER,
                                     serialization.PublicFormat.SubjectPublicKeyInfo))


def check_key(key: Any, field: str = "fileData") -> PrivateKey:
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_IMPORTED_RSA:
            raise KeyMaterialError(field, f"RSA keys must have at least {MIN_IMPORTED_RSA} bits; this one has "
                                   f"{key.key_size}")
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name not in JOSE_CURVES:
            raise KeyMaterialError(field, f"EC curve {key.curve.name} is not supported; use P-256, P-384 or P-521")
        return key
    raise KeyMaterialError(field, "Only RSA and EC key pairs are supported")


def _read_pkcs12(data: bytes, password: str) -> KeyPairMaterial:
    attempts: list[bytes | None] = [password.encode("utf-8")]
    if password == "":
        attempts.append(None)
    loaded = None
    for secret in attempts:
        try:
            loaded = pkcs12.load_key_and_certificates(data, secret)
            break
        except (ValueError, UnsupportedAlgorithm):
            continue
    if loaded is None:
        raise KeyMaterialError("password", "The file could not be read: the password is wrong or the file is not "
                               "a valid PKCS12 file")
    key, cert, extra = loaded
    if key is None:
        raise KeyMaterialError("fileData", "The PKCS12 file holds no private key")
    checked = check_key(key)
    certificates = ([cert] if cert is not None else []) + list(extra)
    leaf, chain = _matching_certificate(checked, certificates, "fileData")
    return KeyPairMaterial(checked, leaf, chain)


def _read_pem(data: bytes, password: str) -> KeyPairMaterial:
    keys: list[PrivateKey] = []
    certificates: list[x509.Certificate] = []
    for match in _PEM_BLOCK.finditer(data):
        label, block = match.group(1), match.group(0)
        if label == b"CERTIFICATE":
            try:
                certificates.append(x509.load_pem_x509_certificate(block))
            except ValueError as exc:
                raise KeyMaterialError("fileData", "A CERTIFICATE block in the PEM data is damaged") from exc
        elif label.endswith(b"PRIVATE KEY"):
            keys.append(_pem_key(block, password))
    if len(keys) != 1:
        raise KeyMaterialError("fileData", "The PEM data must hold exactly one private key" if keys else
                               "The PEM data holds no private key")
    if not certificates:
        raise KeyMaterialError("fileData", "The PEM data holds no certificate")
    leaf, chain = _matching_certificate(keys[0], certificates, "fileData")
    return KeyPairMaterial(keys[0], leaf, chain)


def _pem_key(block: bytes, password: str) -> PrivateKey:
    encrypted = b"ENCRYPTED" in block[:300]  # "BEGIN ENCRYPTED PRIVATE KEY" or "Proc-Type: 4,ENCRYPTED"
    try:
        key = serialization.load_pem_private_key(block, password.encode("utf-8") if encrypted else None)
    except TypeError as exc:  # a password was needed, or given for an unencrypted key
        raise KeyMaterialError("password", "The private key is encrypted; give its password") from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        field = "password" if encrypted else "fileData"
        raise KeyMaterialError(field, "The private key could not be read: the password is wrong or the key "
                               "is damaged" if encrypted else "The private key could not be read") from exc
    return check_key(key)


def read_key_pair_file(data: bytes, fmt: str | None, password: str) -> KeyPairMaterial:
    """Parse an imported file. ``fmt`` is "PKCS12", "PEM" or None (detect)."""
    if len(data) > MAX_FILE_BYTES:
        raise KeyMaterialError("fileData", f"The file is larger than {MAX_FILE_BYTES // 1024} KiB")
    if data[:4] in JAVA_KEYSTORE_MAGIC:  # PingFederate bulk exports carry keystores
        from tokensmith.keys import javakeystore

        key, leaf, chain = javakeystore.read(data, password)
        return KeyPairMaterial(check_key(key), leaf, chain)
    is_pem = b"-----BEGIN" in data
    if fmt == "PEM" or (fmt is None and is_pem):
        if not is_pem:
            raise KeyMaterialError("fileData", "format is PEM but the data holds no PEM blocks")
        return _read_pem(data, password)
    if is_pem:
        raise KeyMaterialError("format", "The data is PEM, not PKCS12")
    return _read_pkcs12(data, password)


# --------------------------------------------------------------------------- export


def certificate_pem(material: KeyPairMaterial) -> bytes:
    return material.certificate.public_bytes(serialization.Encoding.PEM)


def pem_file(material: KeyPairMaterial, password: str) -> bytes:
    """The private key (PKCS#8, PBES2 with AES-256) followed by the certificate and its chain."""
    key = material.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.BestAvailableEncryption(password.encode("utf-8")))
    certs = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (material.certificate, *material.chain))
    return key + certs


def pkcs12_file(material: KeyPairMaterial, name: str, password: str) -> bytes:
    encryption = (serialization.PrivateFormat.PKCS12.encryption_builder()
                  .kdf_rounds(100_000)
                  .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
                  .hmac_hash(hashes.SHA256())
                  .build(password.encode("utf-8")))
    return pkcs12.serialize_key_and_certificates(name.encode("utf-8"), material.key, material.certificate,
                                                 list(material.chain) or None, encryption)


def csr(material: KeyPairMaterial) -> bytes:
    cert = material.certificate
    builder = x509.CertificateSigningRequestBuilder().subject_name(cert.subject)
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        builder = builder.add_extension(sans, critical=False)
    except x509.ExtensionNotFound:
        pass
    digest: SignatureHash = (hashes.SHA256() if isinstance(material.key, rsa.RSAPrivateKey)
                             else _ec_hash(material.key))
    return builder.sign(material.key, digest).public_bytes(serialization.Encoding.PEM)


def _ec_hash(key: ec.EllipticCurvePrivateKey) -> SignatureHash:
    size = key.curve.key_size
    return hashes.SHA256() if size == 256 else hashes.SHA384() if size == 384 else hashes.SHA512()


def apply_csr_response(material: KeyPairMaterial, file_data: str) -> KeyPairMaterial:
    """Replace the certificate with a CA's answer to :func:`csr` (PEM certificates or PKCS#7)."""
    text = file_data.strip()
    if "-----BEGIN" not in text:  # "PEM without the header and footer lines"
        text = f"-----BEGIN CERTIFICATE-----\n{text}\n-----END CERTIFICATE-----"
    data = text.encode("utf-8")
    try:
        if b"-----BEGIN PKCS7-----" in data:
            certificates = pkcs7.load_pem_pkcs7_certificates(data)
        else:
            certificates = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise KeyMaterialError("fileData", "fileData is not a PEM certificate or PKCS7 bundle") from exc
    leaf, chain = _matching_certificate(material.key, certificates, "fileData")
    return KeyPairMaterial(material.key, leaf, chain)


# --------------------------------------------------------------------------- description


def render_dn(name: x509.Name) -> str:
    """A DN as PingFederate shows it: most specific first, ``", "`` between parts."""
    return ", ".join(rdn.rfc4514_string(_DN_NAMES) for rdn in reversed(name.rdns))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signature_algorithm_name(cert: x509.Certificate) -> str:
    return _OID_NAMES.get(cert.signature_algorithm_oid, cert.signature_algorithm_oid.dotted_string)


def subject_alternative_names(cert: x509.Certificate) -> list[str]:
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(name.value) for name in sans if isinstance(name, x509.DNSName | x509.IPAddress | x509.RFC822Name
                                                           | x509.UniformResourceIdentifier)]


def status(cert: x509.Certificate, now: float) -> str:
    if now < cert.not_valid_before_utc.timestamp():
        return "NOT_YET_VALID"
    if now > cert.not_valid_after_utc.timestamp():
        return "EXPIRED"
    return "VALID"


def fingerprint(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> str:
    return cert.fingerprint(algorithm).hex().upper()


def view(key_pair_id: str, cert: x509.Certificate, now: float) -> dict[str, Any]:
    """``KeyPairView``."""
    algorithm, size = key_facts(cert.public_key())  # type: ignore[arg-type]
    return {
        "id": key_pair_id,
        "serialNumber": str(cert.serial_number),
        "subjectDN": render_dn(cert.subject),
        "subjectAlternativeNames": subject_alternative_names(cert),
        "issuerDN": render_dn(cert.issuer),
        "validFrom": _iso(cert.not_valid_before_utc),
        "expires": _iso(cert.not_valid_after_utc),
        "keyAlgorithm": algorithm,
        "keySize": size,
        "signatureAlgorithm": signature_algorithm_name(cert),
        "version": cert.version.value + 1,
        "sha1Fingerprint": fingerprint(cert, hashes.SHA1()),  # noqa: S303 - a fingerprint, not a signature
        "sha256Fingerprint": fingerprint(cert, hashes.SHA256()),
        "status": status(cert, now),
    }

