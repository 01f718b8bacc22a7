"""Enveloped XML signatures over SAML assertions written in canonical form (:mod:`.c14n`).

The assertion's canonical bytes without the signature are exactly what the enveloped-signature
and exclusive-C14N transforms give a verifier, so the reference digest is ``hashlib`` over them.
``SignedInfo`` is written in its own canonical form (declaring ``ds`` itself, as exclusive C14N
of the subset does) and signed by ``cryptography``: PKCS#1 v1.5 for RSA, ECDSA with the signature
as XML-DSig wants it (r and s, each the curve's size, concatenated). Nothing is parsed again.

The generator's ``Signing Algorithm`` names both the signature and the digest algorithm; the
URIs are signxml's (signxml stays the reference verifier in the tests, with xmlsec1). ``SHA1``
(RSA-SHA1) is kept for partners that still need it.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

from tokensmith.keys.material import PrivateKey
from tokensmith.keys.ring import SigningKey
from tokensmith.sts.saml.c14n import Canonical, attr
from tokensmith.sts.xml import DS

EXC_C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"


@dataclass(frozen=True)
class Algorithm:
    name: str
    key_type: str  # "RSA" or "EC"
    signature: SignatureMethod
    digest: DigestAlgorithm
    label: str

    @property
    def hash_name(self) -> str:  # hashlib's and cryptography's name: sha1, sha256, ...
        return self.digest.name.lower()


ALGORITHMS: dict[str, Algorithm] = {a.name: a for a in (
    Algorithm("SHA1", "RSA", SignatureMethod.RSA_SHA1, DigestAlgorithm.SHA1, "RSA-SHA1"),
    Algorithm("RSA_SHA256", "RSA", SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA256, "RSA-SHA256"),
    Algorithm("RSA_SHA384", "RSA", SignatureMethod.RSA_SHA384, DigestAlgorithm.SHA384, "RSA-SHA384"),
    Algorithm("RSA_SHA512", "RSA", SignatureMethod.RSA_SHA512, DigestAlgorithm.SHA512, "RSA-SHA512"),
    Algorithm("ECDSA_SHA256", "EC", SignatureMethod.ECDSA_SHA256, DigestAlgorithm.SHA256, "ECDSA-SHA256"),
    Algorithm("ECDSA_SHA384", "EC", SignatureMethod.ECDSA_SHA384, DigestAlgorithm.SHA384, "ECDSA-SHA384"),
    Algorithm("ECDSA_SHA512", "EC", SignatureMethod.ECDSA_SHA512, DigestAlgorithm.SHA512, "ECDSA-SHA512"),
)}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"sha1": hashes.SHA1, "sha256": hashes.SHA256,
                                                  "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def key_mismatch(algorithm_name: str, key: SigningKey) -> str | None:
    """Why ``algorithm_name`` cannot sign with ``key``, or None."""
    algorithm = ALGORITHMS.get(algorithm_name)
    if algorithm is None:
        return f"'{algorithm_name}' is not a supported signing algorithm"
    if algorithm.key_type != key.key_type:
        return (f"{algorithm.label} needs an {algorithm.key_type} key, but signing key pair '{key.id}' "
                f"holds an {key.key_type} key")
    return None


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class AssertionSigner:
    """Signs canonical assertions with one loaded key and algorithm; one per generator, reused per
    request. Everything but the digest, the reference URI and the signature value is written once."""

    def __init__(self, key: SigningKey, algorithm_name: str, key_info: etree._Element) -> None:
        self.key = key
        self.algorithm = ALGORITHMS[algorithm_name]
        self.private_key: PrivateKey = key.private_key
        self._hash = _HASHES[self.algorithm.hash_name]()
        self._digest = getattr(hashlib, self.algorithm.hash_name)  # hashlib.sha256 etc. (faster than new())
        # KeyInfo is not signed; inside ds:Signature its own xmlns:ds is merely redundant.
        self._key_info = etree.tostring(key_info).decode("ascii")
        self._signed_info_head = (
            f'<ds:SignedInfo xmlns:ds="{DS}"><ds:CanonicalizationMethod Algorithm="{EXC_C14N.value}">'
            f'</ds:CanonicalizationMethod><ds:SignatureMethod Algorithm="{self.algorithm.signature.value}">'
            "</ds:SignatureMethod>")
        self._transforms = (
            f'<ds:Transforms><ds:Transform Algorithm="{ENVELOPED}"></ds:Transform><ds:Transform Algorithm="'
            f'{EXC_C14N.value}"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm="'
            f'{self.algorithm.digest.value}"></ds:DigestMethod><ds:DigestValue>')
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            self._ec_size = (self.private_key.curve.key_size + 7) // 8

    def _signature_value(self, data: bytes) -> bytes:
        key = self.private_key
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), self._hash)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(key.sign(data, ec.ECDSA(self._hash)))
            return r.to_bytes(self._ec_size, "big") + s.to_bytes(self._ec_size, "big")
        raise ValueError("SAML assertions are signed with RSA or EC keys")

    def sign(self, assertion: Canonical, assertion_id: str) -> bytes:
        """The signed assertion: ``head``, its enveloped ``ds:Signature``, ``tail``."""
        head, tail = assertion.head.encode("utf-8"), assertion.tail.encode("utf-8")
        digest = self._digest(head + tail).digest()
        signed_info = (f'{self._signed_info_head}<ds:Reference URI="#{attr(assertion_id)}">{self._transforms}'
                       f"{b64(digest)}</ds:DigestValue></ds:Reference></ds:SignedInfo>").encode("ascii")
        value = self._signature_value(signed_info)
        return b"".join((head, f'<ds:Signature xmlns:ds="{DS}">'.encode("ascii"), signed_info,
                         f"<ds:SignatureValue>{b64(value)}</ds:SignatureValue>{self._key_info}"
                         "</ds:Signature>".encode("ascii"), tail))
