"""SAML 2.0 ``EncryptedAssertion`` (XML Encryption 1.1) for a partner's encryption certificate.

The signed assertion's bytes are encrypted whole (``Type=...#Element``) with a fresh AES key
(CBC or GCM, the SP connection's ``blockEncryptionAlgorithm``); the key travels in an
``xenc:EncryptedKey`` made with RSA-OAEP (``rsa-oaep-mgf1p``, SHA-1 digest and MGF1) for the partner's certificate,
which the KeyInfo names by its X.509 certificate. Only XML structure is written here: AES, RSA-OAEP
and the random values come from ``cryptography`` and :mod:`secrets`. The recipient decrypts and
then verifies the signature inside, which the encryption leaves untouched.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, replace

from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tokensmith.sts.tokens import IssuedToken
from tokensmith.sts.xml import DS, SAML2, XENC

XENC11 = "http://www.w3.org/2009/xmlenc11#"
ELEMENT = XENC + "Element"
# blockEncryptionAlgorithm -> (URI, key bytes, GCM)
BLOCK = {
    "AES_128": (XENC + "aes128-cbc", 16, False),
    "AES_256": (XENC + "aes256-cbc", 32, False),
    "AES_128_GCM": (XENC11 + "aes128-gcm", 16, True),
    "AES_192_GCM": (XENC11 + "aes192-gcm", 24, True),
    "AES_256_GCM": (XENC11 + "aes256-gcm", 32, True),
}
SHA1_URI = DS + "sha1"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class Encryptor:
    recipient: x509.Certificate
    block: str = "AES_128"
    transport: str = "RSA_OAEP"

    def __post_init__(self) -> None:
        if not isinstance(self.recipient.public_key(), rsa.RSAPublicKey):
            raise ValueError("the encryption certificate must hold an RSA key")
        if self.block not in BLOCK:
            raise ValueError(f"unsupported block encryption algorithm {self.block}")
        if self.transport != "RSA_OAEP":
            raise ValueError(f"unsupported key transport algorithm {self.transport}")

    def _cipher(self, key: bytes, plaintext: bytes, gcm: bool) -> bytes:
        if gcm:  # IV || ciphertext || tag, as XML Encryption 1.1 carries AES-GCM
            iv = secrets.token_bytes(12)
            return iv + AESGCM(key).encrypt(iv, plaintext, None)
        iv = secrets.token_bytes(16)
        padder = padding.PKCS7(128).padder()  # the last byte names the pad length, as XML Encryption needs
        padded = padder.update(plaintext) + padder.finalize()
        encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        return iv + encryptor.update(padded) + encryptor.finalize()

    def _encrypted_key(self, key: bytes) -> str:
        public_key = self.recipient.public_key()
        assert isinstance(public_key, rsa.RSAPublicKey)
        sha1 = hashes.SHA1()  # noqa: S303 - what rsa-oaep-mgf1p names (digest and MGF1)
        method = (f'<xenc:EncryptionMethod Algorithm="{XENC}rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="'
                  f'{SHA1_URI}"/></xenc:EncryptionMethod>')
        cipher = public_key.encrypt(key, asym_padding.OAEP(asym_padding.MGF1(sha1), sha1, None))
        cert = _b64(self.recipient.public_bytes(serialization.Encoding.DER))
        return (f"<xenc:EncryptedKey>{method}<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}"
                "</ds:X509Certificate></ds:X509Data></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>"
                f"{_b64(cipher)}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>")

    def encrypt(self, element: bytes) -> bytes:
        """``saml:EncryptedAssertion`` around the encrypted ``element`` (a serialised assertion)."""
        uri, size, gcm = BLOCK[self.block]
        key = secrets.token_bytes(size)
        data = self._cipher(key, element, gcm)
        return (f'<saml:EncryptedAssertion xmlns:saml="{SAML2}"><xenc:EncryptedData xmlns:xenc="{XENC}" '
                f'Type="{ELEMENT}"><xenc:EncryptionMethod Algorithm="{uri}"/><ds:KeyInfo xmlns:ds="{DS}">'
                f"{self._encrypted_key(key)}</ds:KeyInfo><xenc:CipherData><xenc:CipherValue>{_b64(data)}"
                "</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>").encode()

    def encrypt_token(self, token: IssuedToken) -> IssuedToken:
        return replace(token, value=self.encrypt(token.value))
