"""``/keyPairs/signing/{id}/rotationSettings`` and the rotation they schedule.

A key pair with rotation settings is replaced before its certificate expires, in two steps
measured back from the certificate's ``notAfter``:

1. ``creationBufferDays`` before it, a successor is generated: a new key pair (new id) with the
   same subject and subject alternative names, the settings' ``keyAlgorithm``, ``keySize``,
   ``signatureAlgorithm`` and ``validDays`` (each defaulting to the original's). It is not used yet,
   so resource servers and partners can fetch its certificate ahead of time.
2. ``activationBufferDays`` before it (never earlier than step 1), every consumer of the original
   (JWT access token managers' Certificates tables, token generators' key pair fields; the
   registry in :func:`tokensmith.admin.kinds.key_pair_users`) is switched to the successor.
   The successor takes over the rotation settings; the original stays, for tokens it signed.

:func:`rotate_due` does whatever is due at the clock's time, inside one configuration
transaction. Every worker calls it periodically, and a second caller finds nothing left to do.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC
from typing import Any

from tokensmith.admin.context import AdminContext
from tokensmith.admin.keypairs import MAX_VALID_DAYS, get, new_id
from tokensmith.config.model import KEYPAIR, ConfigModel
from tokensmith.errors import ErrorCollector, NotFound
from tokensmith.keys import material as km
from tokensmith.keys import stored
from tokensmith.keys.usage import KeyPairUsage

SETTINGS = "rotationSettings"
SUCCESSOR = "_rotationSuccessor"  # id of the generated successor, between creation and activation
DAY = 86_400.0
log = logging.getLogger("tokensmith.keys")


def _original_facts(doc: dict[str, Any]) -> dict[str, Any]:
    cert = stored.certificate(doc)
    algorithm, size = km.key_facts(cert.public_key())  # type: ignore[arg-type]
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    return {"keyAlgorithm": algorithm, "keySize": size, "signatureAlgorithm": km.signature_algorithm_name(cert),
            "validDays": max(1, round(lifetime.total_seconds() / DAY))}


def _effective(original: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """What the next key pair gets: each unset member from the original key pair (a key size and
    signature algorithm only while they still fit the key algorithm; a SHA-1 signature is not kept)."""
    algorithm = settings.get("keyAlgorithm") or original["keyAlgorithm"]
    same_algorithm = algorithm == original["keyAlgorithm"]
    size = settings.get("keySize") or (original["keySize"] if same_algorithm else km.default_key_size(algorithm))
    signature = settings.get("signatureAlgorithm")
    if signature is None and same_algorithm and size == original["keySize"] \
            and not original["signatureAlgorithm"].upper().startswith("SHA1"):
        signature = original["signatureAlgorithm"]
    sizes = km.RSA_SIZES if algorithm == km.RSA else tuple(km.EC_CURVES) if algorithm == km.EC else ()
    if size in sizes:
        with contextlib.suppress(km.KeyMaterialError):  # reported by _check
            signature = km.check_signature_algorithm(algorithm, size, signature)
    return {"validDays": settings.get("validDays") or original["validDays"], "keyAlgorithm": algorithm,
            "keySize": size, "signatureAlgorithm": signature}


def render(doc: dict[str, Any]) -> dict[str, Any]:
    """The settings as PingFederate answers them: the unset optional members carry the values the
    next key pair will get, ``id`` is the key pair's."""
    settings = doc[SETTINGS]
    return {"id": doc["id"], "creationBufferDays": settings["creationBufferDays"],
            "activationBufferDays": settings["activationBufferDays"],
            **_effective(_original_facts(doc), settings)}


def get_settings(model: ConfigModel, key_pair_id: str) -> dict[str, Any]:
    doc = get(model, key_pair_id)
    if SETTINGS not in doc:
        raise NotFound(f"Signing key pair '{key_pair_id}' has no rotation settings.")
    return render(doc)


def _check(doc: dict[str, Any], body: dict[str, Any], errors: ErrorCollector) -> dict[str, Any]:
    creation, activation = body.get("creationBufferDays"), body.get("activationBufferDays")
    for name, value in (("creationBufferDays", creation), ("activationBufferDays", activation)):
        if value is None:
            errors.add(name, f"{name} is required", "required_field_missing")
        elif value < 1:
            errors.add(name, f"{name} must be at least 1")
    if isinstance(creation, int) and isinstance(activation, int) and activation > creation:
        errors.add("activationBufferDays", "activationBufferDays must not be greater than creationBufferDays: "
                   "the new key pair is activated after it is created")
    if body.get("id") not in (None, doc["id"]):
        errors.add("id", "The id must be the key pair's id (the path's)")
    valid_days = body.get("validDays")
    if valid_days is not None and not 1 <= valid_days <= MAX_VALID_DAYS:
        errors.add("validDays", f"validDays must be between 1 and {MAX_VALID_DAYS}")
    elif valid_days is not None and isinstance(creation, int) and valid_days <= creation:
        errors.add("validDays", "validDays must be greater than creationBufferDays, or every new key pair "
                   "would be rotated at once")
    wanted = _effective(_original_facts(doc), {k: v for k, v in body.items() if v is not None})
    algorithm, size = wanted["keyAlgorithm"], wanted["keySize"]
    allowed = km.RSA_SIZES if algorithm == km.RSA else tuple(km.EC_CURVES)
    if algorithm not in (km.RSA, km.EC):
        errors.add("keyAlgorithm", "keyAlgorithm must be RSA or EC")
    elif size not in allowed:
        errors.add("keySize", f"keySize for {algorithm} keys must be one of {', '.join(map(str, allowed))}")
    else:
        try:
            km.check_signature_algorithm(algorithm, size, wanted["signatureAlgorithm"])
        except km.KeyMaterialError as exc:
            errors.add(exc.field, exc.message)
    return {k: body[k] for k in ("creationBufferDays", "activationBufferDays", "validDays", "keyAlgorithm",
                                 "keySize", "signatureAlgorithm") if body.get(k) is not None}


def put_settings(model: ConfigModel, key_pair_id: str, body: dict[str, Any]) -> dict[str, Any]:
    doc = get(model, key_pair_id)
    errors = ErrorCollector()
    settings = _check(doc, body, errors)
    errors.raise_if_any()
    updated = {**doc, SETTINGS: settings}
    model.put(KEYPAIR, key_pair_id, updated)
    return render(updated)


def delete_settings(model: ConfigModel, key_pair_id: str) -> None:
    doc = get(model, key_pair_id)
    if SETTINGS not in doc:
        raise NotFound(f"Signing key pair '{key_pair_id}' has no rotation settings.")
    model.put(KEYPAIR, key_pair_id, {k: v for k, v in doc.items() if k not in (SETTINGS, SUCCESSOR)})


# --------------------------------------------------------------------------- the rotation


def _successor_spec(doc: dict[str, Any]) -> km.NewKeyPair:
    cert = stored.certificate(doc)
    settings = _effective(_original_facts(doc), doc[SETTINGS])

    def part(oid: Any) -> str:
        found = cert.subject.get_attributes_for_oid(oid)
        return str(found[0].value) if found else ""

    from cryptography.x509.oid import NameOID

    return km.NewKeyPair(
        common_name=part(NameOID.COMMON_NAME), organization=part(NameOID.ORGANIZATION_NAME),
        country=part(NameOID.COUNTRY_NAME), valid_days=int(settings["validDays"]),
        key_algorithm=settings["keyAlgorithm"], key_size=int(settings["keySize"]),
        signature_algorithm=km.check_signature_algorithm(settings["keyAlgorithm"], int(settings["keySize"]),
                                                         settings["signatureAlgorithm"]),
        organization_unit=part(NameOID.ORGANIZATIONAL_UNIT_NAME), city=part(NameOID.LOCALITY_NAME),
        state=part(NameOID.STATE_OR_PROVINCE_NAME),
        subject_alternative_names=tuple(km.subject_alternative_names(cert)))


def _expires(doc: dict[str, Any]) -> float:
    return stored.certificate(doc).not_valid_after_utc.astimezone(UTC).timestamp()


def anything_due(model: ConfigModel, now: float) -> bool:
    """Whether :func:`rotate_due` has work at ``now`` (a read, so idle passes write nothing)."""
    for doc in model.all(KEYPAIR):
        settings = doc.get(SETTINGS)
        if settings:
            buffer = settings["activationBufferDays"] if doc.get(SUCCESSOR) else settings["creationBufferDays"]
            if now >= _expires(doc) - buffer * DAY:
                return True
    return False


def rotate_due(ctx: AdminContext, model: ConfigModel, usage: KeyPairUsage) -> list[str]:
    """Create and activate what is due at ``ctx.clock.now()``; one line per step taken."""
    now = ctx.clock.now()
    done: list[str] = []
    for doc in model.all(KEYPAIR):
        settings = doc.get(SETTINGS)
        if not settings:
            continue
        expires = _expires(doc)
        successor_id = doc.get(SUCCESSOR)
        if successor_id is None and now >= expires - settings["creationBufferDays"] * DAY:
            successor_id = new_id()
            material = km.generate(_successor_spec(doc), now)
            model.put(KEYPAIR, successor_id, stored.to_doc(successor_id, material, ctx.box, ctx.timestamp()))
            doc = {**doc, SUCCESSOR: successor_id}
            model.put(KEYPAIR, doc["id"], doc)
            done.append(f"created key pair '{successor_id}' to replace '{doc['id']}'")
        if successor_id is not None and now >= expires - settings["activationBufferDays"] * DAY:
            successor = model.get(KEYPAIR, successor_id)
            if successor is None:  # deleted by an administrator: start over at the next pass
                model.put(KEYPAIR, doc["id"], {k: v for k, v in doc.items() if k != SUCCESSOR})
                continue
            switched = usage.replace(model, doc["id"], successor_id)
            model.put(KEYPAIR, successor_id, {**successor, SETTINGS: dict(settings)})
            model.put(KEYPAIR, doc["id"], {k: v for k, v in doc.items() if k not in (SETTINGS, SUCCESSOR)})
            done.append(f"activated key pair '{successor_id}' in place of '{doc['id']}'"
                        + (f" ({'; '.join(switched)})" if switched else ""))
    for line in done:
        log.info("key rotation: %s", line)
    return done
