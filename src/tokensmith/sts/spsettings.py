"""The settings of a WS-Trust SP connection that both the admin API and the runtime read.

PingFederate names signing algorithms the Java way (``SHA256withRSA``); the SAML signer names them
by its own table (:data:`tokensmith.sts.saml.signing.ALGORITHMS`). Defaults are PingFederate's: a
SAML 2.0 token valid from 5 minutes before to 30 minutes after it is issued.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SAML20, SAML11, SAML11_O365 = "SAML20", "SAML11", "SAML11_O365"
DEFAULT_TOKEN_TYPE = SAML20
DEFAULT_MINUTES_BEFORE = 5
DEFAULT_MINUTES_AFTER = 30
MAX_MINUTES = 60 * 24 * 365
# The namespace of SAML 1.1 attributes when an attribute names none (what Office 365 expects).
O365_NAMESPACE = "http://schemas.xmlsoap.org/claims"

# PingFederate's SigningSettings.algorithm -> the signer's algorithm name.
SIGNING_ALGORITHMS: dict[str, str] = {
    "SHA1withRSA": "SHA1",
    "SHA256withRSA": "RSA_SHA256",
    "SHA384withRSA": "RSA_SHA384",
    "SHA512withRSA": "RSA_SHA512",
    "SHA256withECDSA": "ECDSA_SHA256",
    "SHA384withECDSA": "ECDSA_SHA384",
    "SHA512withECDSA": "ECDSA_SHA512",
}
DEFAULT_ALGORITHM = {"RSA": "SHA256withRSA", "EC": "SHA256withECDSA"}

# blockEncryptionAlgorithm / keyTransportAlgorithm values the assertion encryption supports.
BLOCK_ALGORITHMS = ("AES_128", "AES_256", "AES_128_GCM", "AES_192_GCM", "AES_256_GCM")
KEY_TRANSPORT_ALGORITHMS = ("RSA_OAEP",)  # RSA_OAEP_256 and RSA_v15 are refused
DEFAULT_BLOCK_ALGORITHM = "AES_128"
DEFAULT_KEY_TRANSPORT = "RSA_OAEP"


def ws_trust(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    return doc.get("wsTrust") or {}


def token_type(doc: Mapping[str, Any]) -> str:
    return str(ws_trust(doc).get("defaultTokenType") or DEFAULT_TOKEN_TYPE)


def minutes(doc: Mapping[str, Any]) -> tuple[int, int]:
    ws = ws_trust(doc)
    before, after = ws.get("minutesBefore"), ws.get("minutesAfter")
    return (DEFAULT_MINUTES_BEFORE if before is None else int(before),
            DEFAULT_MINUTES_AFTER if after is None else int(after))


def signing_algorithm(doc: Mapping[str, Any], key_type: str) -> str:
    """The PingFederate name of the algorithm this connection signs with (the key type's default when
    none is given)."""
    settings = (doc.get("credentials") or {}).get("signingSettings") or {}
    return str(settings.get("algorithm") or DEFAULT_ALGORITHM.get(key_type, "SHA256withRSA"))


def encryption_cert(doc: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for cert in (doc.get("credentials") or {}).get("certs") or []:
        if cert.get("encryptionCert"):
            return dict(cert)
    return None
