"""Request and response models of ``/keyPairs/signing`` (PingFederate wire names)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from tokensmith.admin.models import Strict

CryptoProvider = Literal["LOCAL", "HSM"]


class NewKeyPairSettings(Strict):
    id: str | None = None
    commonName: str
    subjectAlternativeNames: list[str] | None = None
    organization: str
    organizationUnit: str | None = None
    city: str | None = None
    state: str | None = None
    country: str
    validDays: int
    keyAlgorithm: str
    keySize: int | None = None
    signatureAlgorithm: str | None = None
    cryptoProvider: CryptoProvider | None = None


class KeyPairFile(Strict):
    id: str | None = None
    fileData: str
    format: Literal["PKCS12", "PEM"] | None = None
    password: str | None = None
    encryptedPassword: str | None = None
    cryptoProvider: CryptoProvider | None = None


class KeyPairExportSettings(Strict):
    password: str


class CSRResponse(Strict):
    fileData: str


class KeyPairRotationSettings(Strict):
    """When and how a key pair is replaced before it expires (see :mod:`tokensmith.admin.keyrotation`)."""

    id: str | None = None
    creationBufferDays: int
    activationBufferDays: int
    validDays: int | None = None
    keyAlgorithm: str | None = None
    keySize: int | None = None
    signatureAlgorithm: str | None = None


class KeyPairView(BaseModel):
    id: str
    serialNumber: str | None = None
    subjectDN: str | None = None
    subjectAlternativeNames: list[str] | None = None
    issuerDN: str | None = None
    validFrom: str | None = None
    expires: str | None = None
    keyAlgorithm: str | None = None
    keySize: int | None = None
    signatureAlgorithm: str | None = None
    version: int | None = None
    sha1Fingerprint: str | None = None
    sha256Fingerprint: str | None = None
    status: Literal["VALID", "EXPIRED", "NOT_YET_VALID", "REVOKED"] | None = None
    rotationSettings: KeyPairRotationSettings | None = None


class KeyPairViews(BaseModel):
    items: list[KeyPairView]
