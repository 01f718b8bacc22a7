"""Certificates in admin API bodies (PEM, with or without line breaks, or base64 DER) and trust
checks for the certificates that sign incoming tokens."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization


def certificate_from_text(value: str) -> x509.Certificate:
    text = (value or "").strip()
    if "-----BEGIN" in text:
        text = text.split("-----", 2)[2].rsplit("-----END", 1)[0]
    try:
        return x509.load_der_x509_certificate(base64.b64decode("".join(text.split()), validate=True))
    except ValueError as exc:
        raise ValueError("not a PEM or base64 DER X.509 certificate") from exc


def der_b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def trusted(cert: x509.Certificate, anchors: Iterable[x509.Certificate], now: float) -> str | None:
    """Why ``cert`` is not trusted, or None: it must be in its validity period and be one of
    ``anchors`` or directly issued (and signed) by one of them."""
    moment = datetime.fromtimestamp(now, UTC)
    if not cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc:
        return "the signing certificate is expired or not yet valid"
    for anchor in anchors:
        if anchor == cert:
            return None
        if anchor.subject == cert.issuer:
            try:
                cert.verify_directly_issued_by(anchor)
            except (ValueError, TypeError, InvalidSignature):
                continue
            if anchor.not_valid_before_utc <= moment <= anchor.not_valid_after_utc:
                return None
    return "the signing certificate is not trusted"
