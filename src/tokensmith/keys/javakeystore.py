"""Java keystores (JKS, JCEKS): what PingFederate's bulk exports carry in a key pair's ``fileData``.

Parsing, including the keystore's own key protection, is done by the ``pyjks`` library; this
module only picks the private-key entry and hands its PKCS#8 key and certificates on.
"""

from __future__ import annotations

from typing import Any

import jks
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tokensmith.keys.material import KeyMaterialError


def read(data: bytes, password: str) -> tuple[Any, x509.Certificate, tuple[x509.Certificate, ...]]:
    """(private key, certificate, chain) of the keystore's only private-key entry."""
    try:
        store = jks.KeyStore.loads(data, password)
    except jks.util.KeystoreSignatureException as exc:
        raise KeyMaterialError("password", "The keystore password is wrong or the keystore is damaged") from exc
    except (jks.util.BadKeystoreFormatException, jks.util.UnsupportedKeystoreVersionException,
            jks.util.BadDataLengthException, ValueError) as exc:
        raise KeyMaterialError("fileData", "The Java keystore could not be read") from exc
    entries = list(store.private_keys.values())
    if len(entries) != 1:
        raise KeyMaterialError("fileData", f"The keystore must hold exactly one private key entry, not {len(entries)}")
    entry = entries[0]
    try:
        if not entry.is_decrypted():
            entry.decrypt(password)
        key = serialization.load_der_private_key(entry.pkey_pkcs8, None)
        certs = [x509.load_der_x509_certificate(der) for _, der in entry.cert_chain]
    except (jks.util.DecryptionFailureException, ValueError) as exc:
        raise KeyMaterialError("password", "The private key entry could not be decrypted") from exc
    if not certs:
        raise KeyMaterialError("fileData", "The keystore's private key entry has no certificate")
    return key, certs[0], tuple(certs[1:])
