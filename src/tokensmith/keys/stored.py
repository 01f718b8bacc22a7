"""How a key pair is kept in the configuration store (kind ``keypair``).

::

    {"id": "...", "certificate": "<base64 DER>", "chain": ["<base64 DER>", ...],
     "created": "2026-01-01T00:00:00.000Z", "_privateKey": "OBF:JWE:..."}

The private key is PKCS#8 DER, base64, encrypted under the node's master key
(:class:`tokensmith.crypto.secretbox.SecretBox`). Members starting with ``_`` are never rendered by
the admin API.
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tokensmith.config.model import KEYPAIR, ConfigModel
from tokensmith.crypto.secretbox import SecretBox
from tokensmith.keys.material import KeyPairMaterial, check_key

PRIVATE_KEY = "_privateKey"


def _der(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def to_doc(key_pair_id: str, material: KeyPairMaterial, box: SecretBox, created: str) -> dict[str, Any]:
    pkcs8 = material.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    return {
        "id": key_pair_id,
        "certificate": _der(material.certificate),
        "chain": [_der(c) for c in material.chain],
        "created": created,
        PRIVATE_KEY: box.encrypt(base64.b64encode(pkcs8).decode("ascii")),
    }


def certificate(doc: dict[str, Any]) -> x509.Certificate:
    return x509.load_der_x509_certificate(base64.b64decode(doc["certificate"]))


def chain(doc: dict[str, Any]) -> tuple[x509.Certificate, ...]:
    return tuple(x509.load_der_x509_certificate(base64.b64decode(c)) for c in doc.get("chain", []))


def load(doc: dict[str, Any], box: SecretBox) -> KeyPairMaterial:
    """Decrypt and parse the private key: costly (milliseconds), so the runtime does it once per
    key and worker (:class:`tokensmith.keys.ring.KeyLoader`)."""
    pkcs8 = base64.b64decode(box.decrypt(doc[PRIVATE_KEY]))
    key = check_key(serialization.load_der_private_key(pkcs8, None))
    return KeyPairMaterial(key, certificate(doc), chain(doc))


def key_pair_docs(model: ConfigModel) -> list[dict[str, Any]]:
    return model.all(KEYPAIR)
