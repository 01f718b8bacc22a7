"""Server-wide settings the STS reads: ``/serverSettings`` (federation ids, the STS's own
identifiers), ``/serverSettings/generalSettings`` (automatic connection validation),
``/serverSettings/wsTrustStsSettings`` (who may call the ``sts.wst`` endpoints, with its issuer
certificates) and ``/certificates/ca`` (trusted CAs for signed incoming tokens)."""

from __future__ import annotations

import secrets
from typing import Any

from tokensmith.admin.context import AdminContext
from tokensmith.config.model import SETTINGS, TRUSTED_CA, ConfigModel
from tokensmith.crypto.secretbox import SecretBoxError
from tokensmith.errors import ErrorCollector, FieldError, NotFound, ValidationFailed
from tokensmith.keys import material as km
from tokensmith.publicurl import problem
from tokensmith.sts.certs import certificate_from_text, der_b64
from tokensmith.sts.usage import GENERAL_SETTINGS

WS_TRUST = "wsTrustSts"
SERVER = "serverSettings"
CA_PATH = "/certificates/ca"
LOGGING = ("DONT_OVERRIDE", "NONE", "FULL", "STANDARD", "ENHANCED")
GENERAL_DEFAULTS: dict[str, Any] = {"disableAutomaticConnectionValidation": False,
                                    "idpConnectionTransactionLoggingOverride": "DONT_OVERRIDE",
                                    "spConnectionTransactionLoggingOverride": "DONT_OVERRIDE",
                                    "datastoreValidationIntervalSecs": 300}


# --------------------------------------------------------------------------- general settings


def get_general(model: ConfigModel) -> dict[str, Any]:
    return {**GENERAL_DEFAULTS, **(model.get(SETTINGS, GENERAL_SETTINGS) or {})}


def put_general(model: ConfigModel, body: dict[str, Any]) -> dict[str, Any]:
    errors = ErrorCollector()
    for key in ("idpConnectionTransactionLoggingOverride", "spConnectionTransactionLoggingOverride"):
        if key in body and body[key] not in LOGGING:
            errors.add(key, f"{key} must be one of {', '.join(LOGGING)}")
    if body.get("datastoreValidationIntervalSecs", 300) < 0:
        errors.add("datastoreValidationIntervalSecs", "must not be negative")
    errors.raise_if_any()
    doc = {**GENERAL_DEFAULTS, **body}
    model.put(SETTINGS, GENERAL_SETTINGS, doc)
    return doc


# --------------------------------------------------------------------------- server settings


# Members of /serverSettings kept as sent and returned unchanged. They describe the server (contact
# details, notification publishers, the roles and protocols PingFederate can switch off) and change
# nothing at runtime: this server sends no notifications and every role it implements is always on.
# PingFederate's Terraform provider sends each of them with its defaults, so they are kept, not refused.
DESCRIPTIVE = ("contactInfo", "notifications", "rolesAndProtocols", "emailServer", "captchaSettings")


def get_server(model: ConfigModel) -> dict[str, Any]:
    doc = model.get(SETTINGS, SERVER) or {}
    return {"federationInfo": dict(doc.get("federationInfo") or {}),
            **{key: doc[key] for key in DESCRIPTIVE if key in doc}}


def put_server(model: ConfigModel, body: dict[str, Any]) -> dict[str, Any]:
    info = dict(body.get("federationInfo") or {})
    errors = ErrorCollector()
    for key, value in info.items():
        if not isinstance(value, str):
            errors.add(f"federationInfo.{key}", "must be a string")
    base = info.get("baseUrl")
    if isinstance(base, str) and base:
        reason = problem(base)  # it becomes the issuer and the prefix of every advertised endpoint
        if reason is not None:
            errors.add("federationInfo.baseUrl", f"The base URL {reason}.")
    errors.raise_if_any()
    model.put(SETTINGS, SERVER, {"federationInfo": info, **{k: body[k] for k in DESCRIPTIVE if k in body}})
    return get_server(model)


def sts_identifiers(model: ConfigModel) -> list[str]:
    """The ids that name this STS (SAML 2.0 entity id, SAML 1.x issuer); an incoming token's audience
    must be one of them unless its processor names another."""
    info = get_server(model)["federationInfo"]
    return [v for v in (info.get("saml2EntityId"), info.get("saml1xIssuerId")) if v]


# --------------------------------------------------------------------------- WS-Trust STS settings


def _issuer_certs(model: ConfigModel) -> list[dict[str, Any]]:
    return list((model.get(SETTINGS, WS_TRUST) or {}).get("issuerCertificates") or [])


def get_ws_trust(ctx: AdminContext, model: ConfigModel) -> dict[str, Any]:
    doc = model.get(SETTINGS, WS_TRUST) or {}
    return {
        "basicAuthnEnabled": bool(doc.get("basicAuthnEnabled", False)),
        "clientCertAuthnEnabled": bool(doc.get("clientCertAuthnEnabled", False)),
        "restrictBySubjectDn": bool(doc.get("restrictBySubjectDn", False)),
        "restrictByIssuerCert": bool(doc.get("restrictByIssuerCert", False)),
        "subjectDns": list(doc.get("subjectDns") or []),
        "users": [{"username": u["username"], "encryptedPassword": u["encryptedPassword"]}
                  for u in doc.get("users") or []],
        "issuerCerts": [ctx.link("/serverSettings/wsTrustStsSettings/issuerCertificates", c["id"])
                        for c in doc.get("issuerCertificates") or [] if c["id"] in set(doc.get("issuerCertIds") or [])],
    }


def _readable(ctx: AdminContext, protected: str) -> bool:
    try:
        ctx.box.decrypt(protected)
    except SecretBoxError:
        return False
    return True


def put_ws_trust(ctx: AdminContext, model: ConfigModel, body: dict[str, Any]) -> dict[str, Any]:
    errors = ErrorCollector()
    current = model.get(SETTINGS, WS_TRUST) or {}
    known = {u["username"]: u for u in current.get("users") or []}
    users: list[dict[str, str]] = []
    for i, user in enumerate(body.get("users") or []):
        name = (user.get("username") or "").strip()
        if not name:
            errors.add(f"users[{i}].username", "username is required", "required_field_missing")
            continue
        if user.get("password"):
            users.append({"username": name, "encryptedPassword": ctx.box.encrypt(user["password"]),
                          "_digest": ctx.box.digest(user["password"]).hex()})
        elif user.get("encryptedPassword") and name in known \
                and known[name]["encryptedPassword"] == user["encryptedPassword"]:
            users.append(known[name])
        elif user.get("encryptedPassword") and _readable(ctx, user["encryptedPassword"]):
            password = ctx.box.decrypt(user["encryptedPassword"])  # an export of this server (or its cluster)
            users.append({"username": name, "encryptedPassword": user["encryptedPassword"],
                          "_digest": ctx.box.digest(password).hex()})
        else:
            errors.add(f"users[{i}].password", "Give a password (or the unchanged encryptedPassword)",
                       "required_field_missing")
    if body.get("basicAuthnEnabled") and not users:
        errors.add("users", "Basic authentication needs at least one user", "required_field_missing")
    if body.get("clientCertAuthnEnabled"):
        errors.add("clientCertAuthnEnabled", "Client certificate authentication is not supported; terminate TLS "
                   "client authentication in front of the server and use basic authentication")
    issuer_ids = [link.get("id", "") for link in body.get("issuerCerts") or []]
    certs = {c["id"] for c in _issuer_certs(model)}
    for i, cid in enumerate(issuer_ids):
        if cid not in certs:
            errors.add(f"issuerCerts[{i}].id", f"Issuer certificate '{cid}' does not exist")
    errors.raise_if_any()
    doc = {
        "basicAuthnEnabled": bool(body.get("basicAuthnEnabled", False)), "clientCertAuthnEnabled": False,
        "restrictBySubjectDn": bool(body.get("restrictBySubjectDn", False)),
        "restrictByIssuerCert": bool(body.get("restrictByIssuerCert", False)),
        "subjectDns": list(body.get("subjectDns") or []), "users": users,
        "issuerCertificates": _issuer_certs(model), "issuerCertIds": issuer_ids,
    }
    model.put(SETTINGS, WS_TRUST, doc)
    return get_ws_trust(ctx, model)


def _cert_view(ctx: AdminContext, entry: dict[str, Any]) -> dict[str, Any]:
    cert = certificate_from_text(entry["fileData"])
    return km.view(entry["id"], cert, ctx.clock.now())


def list_issuer_certs(ctx: AdminContext, model: ConfigModel) -> dict[str, Any]:
    active = set((model.get(SETTINGS, WS_TRUST) or {}).get("issuerCertIds") or [])
    return {"items": [{"certView": _cert_view(ctx, c), "x509File": {"id": c["id"], "fileData": c["fileData"]},
                       "active": c["id"] in active} for c in _issuer_certs(model)]}


def _new_cert(model_ids: set[str], body: dict[str, Any], path: str) -> dict[str, str]:
    file_data = (body.get("x509File") or body).get("fileData", "")
    cert_id = (body.get("x509File") or body).get("id") or secrets.token_hex(12)
    try:
        cert = certificate_from_text(file_data)
    except ValueError as exc:
        raise ValidationFailed([FieldError(f"{path}fileData", f"Not an X.509 certificate: {exc}")]) from exc
    if cert_id in model_ids:
        raise ValidationFailed([FieldError(f"{path}id", f"A certificate with id '{cert_id}' already exists",
                                           "duplicate_id")])
    return {"id": cert_id, "fileData": der_b64(cert)}


def add_issuer_cert(ctx: AdminContext, model: ConfigModel, body: dict[str, Any]) -> dict[str, Any]:
    doc = dict(model.get(SETTINGS, WS_TRUST) or {})
    certs = _issuer_certs(model)
    entry = _new_cert({c["id"] for c in certs}, body, "x509File.")
    doc["issuerCertificates"] = [*certs, entry]
    model.put(SETTINGS, WS_TRUST, doc)
    return {"certView": _cert_view(ctx, entry), "x509File": entry, "active": False}


def issuer_cert(ctx: AdminContext, model: ConfigModel, cert_id: str) -> dict[str, Any]:
    for entry in list_issuer_certs(ctx, model)["items"]:
        if entry["x509File"]["id"] == cert_id:
            return dict(entry)
    raise NotFound(f"Issuer certificate '{cert_id}' does not exist.")


def delete_issuer_cert(model: ConfigModel, cert_id: str) -> None:
    doc = dict(model.get(SETTINGS, WS_TRUST) or {})
    certs = _issuer_certs(model)
    if cert_id not in {c["id"] for c in certs}:
        raise NotFound(f"Issuer certificate '{cert_id}' does not exist.")
    if cert_id in (doc.get("issuerCertIds") or []):
        raise ValidationFailed([FieldError("", "The WS-Trust STS settings use it (issuerCerts)",
                                           "resource_in_use")], f"Issuer certificate '{cert_id}' is in use.")
    doc["issuerCertificates"] = [c for c in certs if c["id"] != cert_id]
    model.put(SETTINGS, WS_TRUST, doc)


# --------------------------------------------------------------------------- trusted CAs


def list_cas(ctx: AdminContext, model: ConfigModel) -> dict[str, Any]:
    return {"items": [_cert_view(ctx, c) for c in model.all(TRUSTED_CA)]}


def get_ca(ctx: AdminContext, model: ConfigModel, cert_id: str) -> dict[str, Any]:
    doc = model.get(TRUSTED_CA, cert_id)
    if doc is None:
        raise NotFound(f"Trusted certificate '{cert_id}' does not exist.")
    return _cert_view(ctx, doc)


def import_ca(ctx: AdminContext, model: ConfigModel, body: dict[str, Any]) -> dict[str, Any]:
    entry = _new_cert(set(model.ids(TRUSTED_CA)), body, "")
    model.put(TRUSTED_CA, entry["id"], entry)
    return _cert_view(ctx, entry)


def delete_ca(model: ConfigModel, cert_id: str) -> None:
    if model.get(TRUSTED_CA, cert_id) is None:
        raise NotFound(f"Trusted certificate '{cert_id}' does not exist.")
    model.delete(TRUSTED_CA, cert_id)
