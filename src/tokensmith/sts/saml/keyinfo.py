"""``ds:KeyInfo`` contents: how a signature names its key, holder-of-key proof keys, and the
``xenc:EncryptedKey`` that carries a symmetric proof key to the relying party.

Only XML structure is built here; every cryptographic operation (RSA-OAEP, digests) is done by
``cryptography``.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from lxml import etree

from tokensmith.sts.xml import DS, DS11, WSSE, XENC, q

RSA_OAEP = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
SHA1_DIGEST = "http://www.w3.org/2000/09/xmldsig#sha1"
THUMBPRINT_SHA1 = "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#ThumbprintSHA1"
BASE64_BINARY = ("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0"
                 "#Base64Binary")
_CURVE_OIDS = {"secp256r1": "1.2.840.10045.3.1.7", "secp384r1": "1.3.132.0.34", "secp521r1": "1.3.132.0.35"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _int_b64(value: int) -> str:
    return b64(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def subject_key_identifier(cert: x509.Certificate) -> bytes:
    """The certificate's Subject Key Identifier, or the RFC 5280 §4.2.1.2 method-1 value."""
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest


def key_value(parent: etree._Element, public_key: object) -> etree._Element:
    """``ds:KeyValue`` with ``RSAKeyValue`` or (XML Signature 1.1) ``dsig11:ECKeyValue``."""
    node = etree.SubElement(parent, q(DS, "KeyValue"))
    if isinstance(public_key, rsa.RSAPublicKey):
        numbers = public_key.public_numbers()
        rsa_node = etree.SubElement(node, q(DS, "RSAKeyValue"))
        etree.SubElement(rsa_node, q(DS, "Modulus")).text = _int_b64(numbers.n)
        etree.SubElement(rsa_node, q(DS, "Exponent")).text = _int_b64(numbers.e)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        ec_node = etree.SubElement(node, q(DS11, "ECKeyValue"), nsmap={"dsig11": DS11})
        etree.SubElement(ec_node, q(DS11, "NamedCurve"), URI="urn:oid:" + _CURVE_OIDS[public_key.curve.name])
        point = public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        etree.SubElement(ec_node, q(DS11, "PublicKey")).text = b64(point)
    else:
        raise ValueError("only RSA and EC keys can be written as a KeyValue")
    return node


def signature_key_info(cert: x509.Certificate, chain: tuple[x509.Certificate, ...], include_cert: bool,
                       include_key_value: bool) -> etree._Element:
    """The signature's KeyInfo: the raw key and/or the certificate (with its chain); with neither,
    only the certificate's Subject Key Identifier, a short hash reference."""
    info = etree.Element(q(DS, "KeyInfo"), nsmap={"ds": DS})
    if include_key_value:
        key_value(info, cert.public_key())
    data = etree.SubElement(info, q(DS, "X509Data"))
    if include_cert:
        for c in (cert, *chain):
            etree.SubElement(data, q(DS, "X509Certificate")).text = b64(der(c))
    elif not include_key_value:
        etree.SubElement(data, q(DS, "X509SKI")).text = b64(subject_key_identifier(cert))
    if len(data) == 0:
        info.remove(data)
    return info


def certificate_key_info(cert: x509.Certificate) -> etree._Element:
    """A holder-of-key KeyInfo naming the requester's certificate."""
    info = etree.Element(q(DS, "KeyInfo"), nsmap={"ds": DS})
    data = etree.SubElement(info, q(DS, "X509Data"))
    etree.SubElement(data, q(DS, "X509Certificate")).text = b64(der(cert))
    return info


def public_key_info(public_key: object) -> etree._Element:
    info = etree.Element(q(DS, "KeyInfo"), nsmap={"ds": DS})
    key_value(info, public_key)
    return info


def encrypted_key_info(secret: bytes, recipient: x509.Certificate) -> etree._Element:
    """A holder-of-key KeyInfo with ``secret`` encrypted (RSA-OAEP) for ``recipient``."""
    public_key = recipient.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise ValueError("the encryption certificate must hold an RSA key")
    cipher = public_key.encrypt(secret, padding.OAEP(mgf=padding.MGF1(hashes.SHA1()),  # noqa: S303
                                                     algorithm=hashes.SHA1(), label=None))  # noqa: S303
    info = etree.Element(q(DS, "KeyInfo"), nsmap={"ds": DS})
    encrypted = etree.SubElement(info, q(XENC, "EncryptedKey"), nsmap={"xenc": XENC})
    method = etree.SubElement(encrypted, q(XENC, "EncryptionMethod"), Algorithm=RSA_OAEP)
    etree.SubElement(method, q(DS, "DigestMethod"), Algorithm=SHA1_DIGEST)
    recipient_info = etree.SubElement(encrypted, q(DS, "KeyInfo"))
    reference = etree.SubElement(recipient_info, q(WSSE, "SecurityTokenReference"), nsmap={"wsse": WSSE})
    identifier = etree.SubElement(reference, q(WSSE, "KeyIdentifier"), ValueType=THUMBPRINT_SHA1,
                                  EncodingType=BASE64_BINARY)
    identifier.text = b64(hashlib.sha1(der(recipient)).digest())  # noqa: S324 - WSS thumbprints are SHA-1
    cipher_data = etree.SubElement(encrypted, q(XENC, "CipherData"))
    etree.SubElement(cipher_data, q(XENC, "CipherValue")).text = b64(cipher)
    return info
