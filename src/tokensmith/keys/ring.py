"""The runtime key ring: every signing key pair, decrypted and parsed once per worker.

Loading a private key costs milliseconds (decrypting, parsing, checking the key); signing with a
loaded key costs a fraction of one. :class:`KeyLoader` belongs to a :class:`tokensmith.node.Node`
and is handed to every snapshot build: it keeps each loaded :class:`SigningKey` across rebuilds
and loads again only a key pair whose stored form changed. Consumers (token managers, SAML token
generators, ...) read ``snapshot.keys``::

    key = snapshot.keys.signing_key("signing1")   # SigningKey, or UnknownKeyPair
    key.private_key, key.certificate, key.x5t, key.jose_key, key.public_jwk(kid="k1", alg="RS256")
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, RSAKey

from tokensmith.config.model import KEYPAIR, ConfigModel
from tokensmith.crypto.secretbox import SecretBox, SecretBoxError
from tokensmith.keys import stored
from tokensmith.keys.material import KeyMaterialError, KeyPairMaterial, PrivateKey, PublicKey, jose_curve, key_facts

log = logging.getLogger("tokensmith.keys")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class UnknownKeyPair(KeyError):
    """No loaded signing key pair has this id (never created, deleted, or not loadable)."""


@dataclass(frozen=True, eq=False)
class SigningKey:
    """One loaded key pair with everything a signer or a key publisher needs, computed once."""

    id: str
    private_key: PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    key_type: str  # "RSA" or "EC"
    key_size: int  # RSA modulus bits, or the EC curve size (256, 384, 521)
    curve: str | None  # JOSE curve name for EC keys: "P-256", "P-384", "P-521"
    x5t: str  # base64url SHA-1 of the certificate (JOSE "x5t")
    x5t_s256: str  # base64url SHA-256 of the certificate (JOSE "x5t#S256")
    x5c: tuple[str, ...]  # standard base64 DER, certificate first then its chain (JOSE "x5c")
    not_before: float
    not_after: float
    jose_key: RSAKey | ECKey = field(repr=False)  # the private key as a joserfc key, for signing

    @classmethod
    def from_material(cls, key_pair_id: str, material: KeyPairMaterial) -> SigningKey:
        der = material.certificate.public_bytes(serialization.Encoding.DER)
        key_type, size = key_facts(material.key)
        key = material.key
        with warnings.catch_warnings():  # a small RSA key may be loaded (SAML); JWT rules refuse it
            warnings.simplefilter("ignore", SecurityWarning)
            jose_key: RSAKey | ECKey = (ECKey.import_key(key) if isinstance(key, ec.EllipticCurvePrivateKey)
                                        else RSAKey.import_key(key))
        chain_der = [c.public_bytes(serialization.Encoding.DER) for c in material.chain]
        return cls(
            id=key_pair_id, private_key=material.key, certificate=material.certificate, chain=material.chain,
            key_type=key_type, key_size=size, curve=jose_curve(material.key),
            x5t=b64url(hashlib.sha1(der).digest()),  # noqa: S324 - JOSE x5t is defined as SHA-1
            x5t_s256=b64url(hashlib.sha256(der).digest()),
            x5c=tuple(base64.b64encode(d).decode("ascii") for d in (der, *chain_der)),
            not_before=material.certificate.not_valid_before_utc.timestamp(),
            not_after=material.certificate.not_valid_after_utc.timestamp(),
            jose_key=jose_key,
        )

    @property
    def public_key(self) -> PublicKey:
        return self.private_key.public_key()

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def thumbprint(self) -> str:
        """RFC 7638 JWK thumbprint of the public key (SHA-256, base64url)."""
        return str(self.jose_key.thumbprint())

    def public_jwk(self, kid: str | None = None, alg: str | None = None, use: str | None = "sig",
                   include_certificate: bool = True) -> dict[str, Any]:
        """The public key as a JWK: key members, then ``kid``/``use``/``alg`` and ``x5c``/``x5t``."""
        jwk: dict[str, Any] = dict(self.jose_key.as_dict(private=False))
        for name in ("kid", "use", "alg", "key_ops"):
            jwk.pop(name, None)
        if kid is not None:
            jwk["kid"] = kid
        if use is not None:
            jwk["use"] = use
        if alg is not None:
            jwk["alg"] = alg
        if include_certificate:
            jwk["x5c"] = list(self.x5c)
            jwk["x5t"] = self.x5t
        return jwk


class KeyRing:
    """The loaded signing key pairs of one snapshot, by key pair id. Immutable once built."""

    def __init__(self, keys: dict[str, SigningKey] | None = None,
                 unavailable: dict[str, str] | None = None) -> None:
        self._keys = dict(keys or {})
        self._by_x5t = {k.x5t: k for k in self._keys.values()}
        self.unavailable = dict(unavailable or {})  # id -> why it could not be loaded

    def get(self, key_pair_id: str) -> SigningKey | None:
        return self._keys.get(key_pair_id)

    def signing_key(self, key_pair_id: str) -> SigningKey:
        found = self._keys.get(key_pair_id)
        if found is None:
            why = self.unavailable.get(key_pair_id, "it does not exist")
            raise UnknownKeyPair(f"signing key pair '{key_pair_id}' is not available: {why}")
        return found

    def by_x5t(self, thumbprint: str) -> SigningKey | None:
        return self._by_x5t.get(thumbprint)

    def __contains__(self, key_pair_id: object) -> bool:
        return key_pair_id in self._keys

    def __iter__(self) -> Iterator[SigningKey]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)


def _identity(doc: dict[str, Any]) -> tuple[str, ...]:
    """What, if changed, means the stored key pair must be loaded again."""
    return doc.get(stored.PRIVATE_KEY, ""), doc.get("certificate", ""), *doc.get("chain", [])


class KeyLoader:
    """A worker's cache of loaded key pairs, reused by every snapshot it builds."""

    def __init__(self, box: SecretBox) -> None:
        self._box = box
        self._cache: dict[str, tuple[tuple[str, ...], SigningKey]] = {}
        self._lock = threading.Lock()  # snapshots are built on the event loop and by the cluster watcher
        self.loads = 0  # key pairs decrypted and parsed so far (for tests and diagnostics)

    @property
    def box(self) -> SecretBox:
        return self._box

    def ring(self, model: ConfigModel) -> KeyRing:
        with self._lock:
            return self._ring(model)

    def _ring(self, model: ConfigModel) -> KeyRing:
        fresh: dict[str, tuple[tuple[str, ...], SigningKey]] = {}
        unavailable: dict[str, str] = {}
        for doc in model.all(KEYPAIR):
            identity = _identity(doc)
            cached = self._cache.get(doc["id"])
            if cached is not None and cached[0] == identity:
                fresh[doc["id"]] = cached
                continue
            try:
                key = SigningKey.from_material(doc["id"], stored.load(doc, self._box))
            except (SecretBoxError, KeyMaterialError, ValueError, KeyError) as exc:
                log.error("signing key pair %r cannot be loaded: %s", doc["id"], exc)
                unavailable[doc["id"]] = "its private key cannot be decrypted with this node's master key"
                continue
            self.loads += 1
            fresh[doc["id"]] = (identity, key)
        self._cache = fresh  # replaced whole: keys of deleted pairs are dropped from memory
        return KeyRing({kid: entry[1] for kid, entry in fresh.items()}, unavailable)
