"""Enveloped XML signatures over SAML assertions, made by signxml with exclusive canonicalisation.

The generator's ``Signing Algorithm`` names both the signature and the digest algorithm. ``SHA1``
(RSA-SHA1) is kept for partners that still need it; signxml refuses SHA-1 unless its signer is
told otherwise, which :class:`_Signer` does only for that one configured value.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.signer import XMLSigner

from tokensmith.keys.material import PrivateKey
from tokensmith.keys.ring import SigningKey

EXC_C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0


@dataclass(frozen=True)
class Algorithm:
    name: str
    key_type: str  # "RSA" or "EC"
    signature: SignatureMethod
    digest: DigestAlgorithm
    label: str


ALGORITHMS: dict[str, Algorithm] = {a.name: a for a in (
    Algorithm("SHA1", "RSA", SignatureMethod.RSA_SHA1, DigestAlgorithm.SHA1, "RSA-SHA1"),
    Algorithm("RSA_SHA256", "RSA", SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA256, "RSA-SHA256"),
    Algorithm("RSA_SHA384", "RSA", SignatureMethod.RSA_SHA384, DigestAlgorithm.SHA384, "RSA-SHA384"),
    Algorithm("RSA_SHA512", "RSA", SignatureMethod.RSA_SHA512, DigestAlgorithm.SHA512, "RSA-SHA512"),
    Algorithm("ECDSA_SHA256", "EC", SignatureMethod.ECDSA_SHA256, DigestAlgorithm.SHA256, "ECDSA-SHA256"),
    Algorithm("ECDSA_SHA384", "EC", SignatureMethod.ECDSA_SHA384, DigestAlgorithm.SHA384, "ECDSA-SHA384"),
    Algorithm("ECDSA_SHA512", "EC", SignatureMethod.ECDSA_SHA512, DigestAlgorithm.SHA512, "ECDSA-SHA512"),
)}


class _Signer(XMLSigner):
    def __init__(self, algorithm: Algorithm) -> None:
        self._legacy = algorithm.name == "SHA1"
        super().__init__(signature_algorithm=algorithm.signature, digest_algorithm=algorithm.digest,
                         c14n_algorithm=EXC_C14N)

    def check_deprecated_methods(self) -> None:
        if not self._legacy:
            super().check_deprecated_methods()  # type: ignore[no-untyped-call]


def key_mismatch(algorithm_name: str, key: SigningKey) -> str | None:
    """Why ``algorithm_name`` cannot sign with ``key``, or None."""
    algorithm = ALGORITHMS.get(algorithm_name)
    if algorithm is None:
        return f"'{algorithm_name}' is not a supported signing algorithm"
    if algorithm.key_type != key.key_type:
        return (f"{algorithm.label} needs an {algorithm.key_type} key, but signing key pair '{key.id}' "
                f"holds an {key.key_type} key")
    return None


class AssertionSigner:
    """Signs assertions with one loaded key and algorithm; one per generator, reused per request."""

    def __init__(self, key: SigningKey, algorithm_name: str, key_info: etree._Element) -> None:
        self.key = key
        self.algorithm = ALGORITHMS[algorithm_name]
        self.private_key: PrivateKey = key.private_key
        self.key_info = key_info

    def sign(self, assertion: etree._Element, id_attribute: str) -> etree._Element:
        """Sign ``assertion`` in place of its ``<ds:Signature Id="placeholder"/>`` child."""
        signer = _Signer(self.algorithm)
        signer.namespaces = {"ds": "http://www.w3.org/2000/09/xmldsig#"}
        signed: etree._Element = signer.sign(
            assertion, key=self.private_key, reference_uri="#" + assertion.get(id_attribute, ""),
            id_attribute=id_attribute, key_info=_copy(self.key_info))
        return signed


def _copy(element: etree._Element) -> etree._Element:
    return copy.deepcopy(element)
