"""``/keyPairs/signing``: signing key pairs (generate, import, view, export, CSR, delete).

Key generation and file parsing are slow, so they run in :func:`prepare_generate` /
:func:`prepare_import` on a read of the configuration, outside the write transaction; :func:`add`
then stores the result (checking the id again). Private keys are stored encrypted under the master
key and leave the server only through the explicit PEM and PKCS12 export calls.
"""

from __future__ import annotations

import logging
import re
import secrets
import string
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from tokensmith.admin.context import AdminContext
from tokensmith.config.model import KEYPAIR, ConfigModel
from tokensmith.crypto.secretbox import SecretBoxError
from tokensmith.errors import ErrorCollector, FieldError, NotFound, ValidationFailed
from tokensmith.keys import material as km
from tokensmith.keys import stored
from tokensmith.keys.usage import KeyPairUsage

PATH = "/keyPairs/signing"
KEY_PAIR_ID = re.compile(r"^[a-z0-9._-]{1,128}$")
ID_ALPHABET = string.ascii_lowercase + string.digits
MAX_VALID_DAYS = 36_500
log = logging.getLogger("tokensmith.admin")


@dataclass(frozen=True)
class Prepared:
    """A key pair ready to be stored by :func:`add`."""

    id: str
    material: km.KeyPairMaterial


def new_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(25))


def get(model: ConfigModel, key_pair_id: str) -> dict[str, Any]:
    doc = model.get(KEYPAIR, key_pair_id)
    if doc is None:
        raise NotFound(f"Signing key pair '{key_pair_id}' does not exist.")
    return doc


def view(ctx: AdminContext, doc: dict[str, Any]) -> dict[str, Any]:
    out = km.view(doc["id"], stored.certificate(doc), ctx.clock.now())
    if "rotationSettings" in doc:
        from tokensmith.admin.keyrotation import render  # the rotation module builds on this one

        out["rotationSettings"] = render(doc)
    return out


def list_all(ctx: AdminContext, model: ConfigModel) -> dict[str, Any]:
    return {"items": [view(ctx, doc) for doc in model.all(KEYPAIR)]}


def _check_id(model: ConfigModel, value: Any, errors: ErrorCollector) -> str:
    if value is None:
        return new_id()
    if not isinstance(value, str) or not KEY_PAIR_ID.match(value):
        errors.add("id", "The id may use only a-z, 0-9, '.', '_' and '-' (1 to 128 characters)")
    elif model.get(KEYPAIR, value) is not None:
        errors.add("id", f"A key pair with id '{value}' already exists", "duplicate_id")
    return str(value)


def _check_provider(body: dict[str, Any], errors: ErrorCollector) -> None:
    if body.get("cryptoProvider") == "HSM":
        errors.add("cryptoProvider", "No hardware security module is configured; use LOCAL")


def _text(body: dict[str, Any], name: str, errors: ErrorCollector, required: bool = False,
          limit: int = 64) -> str:
    value = str(body.get(name) or "").strip()
    if required and not value:
        errors.add(name, f"{name} is required", "required_field_missing")
    elif len(value) > limit:
        errors.add(name, f"{name} must be at most {limit} characters")
    return value


def _generation_spec(body: dict[str, Any], errors: ErrorCollector) -> km.NewKeyPair | None:
    common_name = _text(body, "commonName", errors, required=True)
    organization = _text(body, "organization", errors, required=True)
    country = _text(body, "country", errors, required=True)
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        errors.add("country", "country must be a two-letter ISO 3166 code such as US")
    valid_days = body.get("validDays")
    if not isinstance(valid_days, int) or not 1 <= valid_days <= MAX_VALID_DAYS:
        errors.add("validDays", f"validDays must be between 1 and {MAX_VALID_DAYS}")
    algorithm = str(body.get("keyAlgorithm", "")).upper()
    size = body.get("keySize")
    if algorithm not in (km.RSA, km.EC):
        errors.add("keyAlgorithm", "keyAlgorithm must be RSA or EC")
        return None
    size = size if size is not None else km.default_key_size(algorithm)
    allowed = km.RSA_SIZES if algorithm == km.RSA else tuple(km.EC_CURVES)
    if size not in allowed:
        errors.add("keySize", f"keySize for {algorithm} keys must be one of {', '.join(map(str, allowed))}")
        return None
    try:
        signature = km.check_signature_algorithm(algorithm, size, body.get("signatureAlgorithm"))
    except km.KeyMaterialError as exc:
        errors.add(exc.field, exc.message)
        return None
    sans = tuple(body.get("subjectAlternativeNames") or ())
    for i, value in enumerate(sans):
        try:
            km.check_subject_alternative_name(value)
        except km.KeyMaterialError as exc:
            errors.add(f"subjectAlternativeNames[{i}]", exc.message)
    if errors:
        return None
    return km.NewKeyPair(
        common_name=common_name, organization=organization, country=country, valid_days=int(valid_days or 0),
        key_algorithm=algorithm, key_size=size, signature_algorithm=signature,
        organization_unit=_text(body, "organizationUnit", errors), city=_text(body, "city", errors, limit=128),
        state=_text(body, "state", errors, limit=128), subject_alternative_names=sans,
    )


def prepare_generate(ctx: AdminContext, model: ConfigModel, body: dict[str, Any]) -> Prepared:
    errors = ErrorCollector()
    key_pair_id = _check_id(model, body.get("id"), errors)
    _check_provider(body, errors)
    spec = _generation_spec(body, errors)
    errors.raise_if_any()
    assert spec is not None
    return Prepared(key_pair_id, km.generate(spec, ctx.clock.now()))


def prepare_import(ctx: AdminContext, model: ConfigModel, body: dict[str, Any]) -> Prepared:
    errors = ErrorCollector()
    key_pair_id = _check_id(model, body.get("id"), errors)
    _check_provider(body, errors)
    password = body.get("password")
    if password is None and body.get("encryptedPassword"):
        try:
            password = ctx.box.decrypt(body["encryptedPassword"])
        except SecretBoxError:
            errors.add("encryptedPassword", "The encryptedPassword was not issued by this server",
                       "invalid_encrypted_value")
    elif password is None:
        errors.add("password", "password is required", "required_field_missing")
    errors.raise_if_any()
    try:
        data = km.decode_file_data(body["fileData"], body.get("format"))
        material = km.read_key_pair_file(data, body.get("format"), password or "")
    except km.KeyMaterialError as exc:
        raise ValidationFailed([FieldError(exc.field, exc.message)]) from exc
    return Prepared(key_pair_id, material)


def add(ctx: AdminContext, model: ConfigModel, prepared: Prepared) -> dict[str, Any]:
    errors = ErrorCollector()
    _check_id(model, prepared.id, errors)
    errors.raise_if_any()
    doc = stored.to_doc(prepared.id, prepared.material, ctx.box, ctx.timestamp())
    model.put(KEYPAIR, prepared.id, doc)
    return doc


def delete(model: ConfigModel, key_pair_id: str, usage: KeyPairUsage) -> None:
    get(model, key_pair_id)
    users = usage.users(model, key_pair_id)
    if users:
        raise ValidationFailed(users, f"Signing key pair '{key_pair_id}' is in use and cannot be deleted.")
    model.delete(KEYPAIR, key_pair_id)


# --------------------------------------------------------------------------- files


def certificate_pem(model: ConfigModel, key_pair_id: str) -> bytes:
    return stored.certificate(get(model, key_pair_id)).public_bytes(Encoding.PEM)


def _export_password(body: dict[str, Any]) -> str:
    password = body.get("password") or ""
    if not password:
        raise ValidationFailed([FieldError("password", "A password is required to protect the exported "
                                           "private key", "required_field_missing")])
    if not isinstance(password, str) or len(password) < km.MIN_EXPORT_PASSWORD:
        raise ValidationFailed([FieldError("password", f"The export password must be at least "
                                           f"{km.MIN_EXPORT_PASSWORD} characters (it protects the private key "
                                           "against offline guessing)", "invalid_value")])
    return password


def export_pem(ctx: AdminContext, model: ConfigModel, key_pair_id: str, body: dict[str, Any]) -> bytes:
    doc = get(model, key_pair_id)
    data = km.pem_file(stored.load(doc, ctx.box), _export_password(body))
    log.warning("the private key of signing key pair %r was exported (PEM)", key_pair_id)
    return data


def export_pkcs12(ctx: AdminContext, model: ConfigModel, key_pair_id: str, body: dict[str, Any]) -> bytes:
    doc = get(model, key_pair_id)
    data = km.pkcs12_file(stored.load(doc, ctx.box), key_pair_id, _export_password(body))
    log.warning("the private key of signing key pair %r was exported (PKCS12)", key_pair_id)
    return data


def csr(ctx: AdminContext, model: ConfigModel, key_pair_id: str) -> bytes:
    return km.csr(stored.load(get(model, key_pair_id), ctx.box))


def import_csr_response(ctx: AdminContext, model: ConfigModel, key_pair_id: str,
                        body: dict[str, Any]) -> dict[str, Any]:
    doc = get(model, key_pair_id)
    try:
        updated = km.apply_csr_response(stored.load(doc, ctx.box), body["fileData"])
    except km.KeyMaterialError as exc:
        raise ValidationFailed([FieldError(exc.field, exc.message)]) from exc
    new_doc = {**doc, **stored.to_doc(key_pair_id, updated, ctx.box, doc.get("created", ctx.timestamp())),
               stored.PRIVATE_KEY: doc[stored.PRIVATE_KEY]}  # same key: keep its stored form and settings
    model.put(KEYPAIR, key_pair_id, new_doc)
    return new_doc
