"""Key material of a JWT manager that is not a key pair: symmetric keys from the ``Symmetric Keys``
table, and the recipient's public encryption key (a JWK, a certificate, or a key from a JWK set)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OctKey, RSAKey

from tokensmith.atm.jwt.descriptor import ECDH, RSA_OAEP
from tokensmith.keys.ring import b64url

_B64URL = re.compile(r"[A-Za-z0-9_-]+")


class KeyMaterialProblem(ValueError):
    pass


def decode_symmetric(value: str, encoding: str) -> bytes:
    text = value.strip()
    try:
        if encoding == "hex":
            return bytes.fromhex(text)
        if encoding == "b64":
            return base64.b64decode(text, validate=True)
        if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
            raise ValueError("not base64url")
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error) as exc:
        raise KeyMaterialProblem(f"the key is not valid {encoding}") from exc


@dataclass(frozen=True)
class RecipientKey:
    """A recipient's public encryption key, ready for joserfc."""

    key: RSAKey | ECKey
    kid: str | None
    x5t: str | None
    kty: str  # "RSA" or "EC"


def _fits(alg: str, kty: str) -> bool:
    return (alg in RSA_OAEP and kty == "RSA") or (alg in ECDH and kty == "EC")


def _check_public(public: Any, alg: str) -> None:
    if isinstance(public, rsa.RSAPublicKey):
        if public.key_size < 2048:
            raise KeyMaterialProblem(f"RSA encryption keys need at least 2048 bits; this one has {public.key_size}")
    elif not isinstance(public, ec.EllipticCurvePublicKey):
        raise KeyMaterialProblem("only RSA and EC public keys can encrypt tokens")
    kty = "RSA" if isinstance(public, rsa.RSAPublicKey) else "EC"
    if alg and not _fits(alg, kty):
        raise KeyMaterialProblem(f"an {kty} key cannot be used with {alg}")


def recipient_from_jwk(jwk: dict[str, Any], alg: str) -> RecipientKey:
    if not isinstance(jwk, dict) or jwk.get("kty") not in ("RSA", "EC"):
        raise KeyMaterialProblem("the JWK must be an RSA or EC public key")
    if "d" in jwk:
        raise KeyMaterialProblem("the JWK holds a private key; give only the recipient's public key")
    try:
        key = RSAKey.import_key(jwk) if jwk["kty"] == "RSA" else ECKey.import_key(jwk)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise KeyMaterialProblem("the JWK is not a valid public key") from exc
    _check_public(key.public_key, alg)
    x5t = jwk.get("x5t")
    if x5t is None and jwk.get("x5c"):
        try:
            x5t = b64url(hashlib.sha1(base64.b64decode(jwk["x5c"][0])).digest())  # noqa: S324 - JOSE x5t
        except (binascii.Error, TypeError, IndexError):
            x5t = None
    kid = jwk.get("kid")
    return RecipientKey(key, str(kid) if kid is not None else None, x5t, str(jwk["kty"]))


def recipient_from_text(text: str, alg: str) -> RecipientKey:
    """The ``Asymmetric Encryption Key`` field: a JWK (JSON) or a PEM certificate."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            jwk = json.loads(stripped)
        except ValueError as exc:
            raise KeyMaterialProblem("the value is neither a JWK nor a PEM certificate") from exc
        return recipient_from_jwk(jwk, alg)
    try:
        cert = x509.load_pem_x509_certificate(stripped.encode("utf-8"))
    except ValueError as exc:
        raise KeyMaterialProblem("the value is neither a JWK nor a PEM certificate") from exc
    public = cert.public_key()
    _check_public(public, alg)
    der = cert.public_bytes(serialization.Encoding.DER)
    x5t = b64url(hashlib.sha1(der).digest())  # noqa: S324 - JOSE x5t is defined as SHA-1
    key = RSAKey.import_key(public) if isinstance(public, rsa.RSAPublicKey) else ECKey.import_key(public)  # type: ignore[arg-type]
    return RecipientKey(key, None, x5t, "RSA" if isinstance(public, rsa.RSAPublicKey) else "EC")


def recipient_from_jwks(jwks: dict[str, Any], alg: str) -> RecipientKey:
    """The first key of a JWK set that can encrypt with ``alg``: ``use`` enc (or none), matching
    ``alg`` when it names one."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list):
        raise KeyMaterialProblem("the JWK set has no 'keys' list")
    for jwk in keys:
        if not isinstance(jwk, dict) or jwk.get("use", "enc") != "enc" or jwk.get("alg", alg) != alg:
            continue
        if not _fits(alg, str(jwk.get("kty"))):
            continue
        try:
            return recipient_from_jwk(jwk, alg)
        except KeyMaterialProblem:
            continue
    raise KeyMaterialProblem(f"the JWK set has no public encryption key usable with {alg}")


def oct_key(secret: bytes) -> OctKey:
    return OctKey.import_key(secret)
