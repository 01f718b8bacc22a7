"""``/sp/idpConnections``: IdP connections for the SP-side STS (``/sp/sts.wst``).

Only WS-Trust is supported: the connection names the partner (``entityId`` = the Issuer of the
SAML tokens it sends), the certificates that verify them, the attributes they carry
(``wsTrust.attributeContract``; ``TOKEN_SUBJECT`` is the core attribute), and the token generator
mappings that issue local tokens. Other protocol sections are refused.
"""

from __future__ import annotations

import secrets
from typing import Any

from tokensmith.admin.connections import ConnectionKind
from tokensmith.admin.context import AdminContext, check_name, criteria_as_sent
from tokensmith.config.model import IDP_CONNECTION, TOKEN_GENERATOR, ConfigModel
from tokensmith.errors import ErrorCollector
from tokensmith.keys import material as km
from tokensmith.sts import usage
from tokensmith.sts.certs import certificate_from_text, der_b64

PATH = usage.IDP_CONNECTIONS_PATH
CONNECTIONS = ConnectionKind(IDP_CONNECTION, "IdP connection")
UNSUPPORTED = ("idpBrowserSso", "attributeQuery", "idpOAuthGrantAttributeMapping", "inboundProvisioning",
               "oidcClientCredentials", "metadataReloadSettings", "defaultVirtualEntityId", "virtualEntityIds")
# Kept as sent and returned unchanged; descriptive only (no runtime effect for a WS-Trust connection).
DESCRIPTIVE = ("contactInfo", "extendedProperties", "errorPageMsgId", "virtualEntityIds",
               "additionalAllowedEntitiesConfiguration")
# Credentials members of other protocols (signing and decrypting browser SSO messages): refused
# rather than dropped.
UNSUPPORTED_CREDENTIALS = ("signingSettings", "decryptionKeyPairRef", "blockEncryptionAlgorithm",
                           "keyTransportAlgorithm")


def get(model: ConfigModel, connection_id: str) -> dict[str, Any]:
    return CONNECTIONS.get(model, connection_id)


def render(ctx: AdminContext, model: ConfigModel, doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    creds = dict(doc.get("credentials") or {})
    certs = []
    for cert in creds.get("certs") or []:
        parsed = certificate_from_text(cert["x509File"]["fileData"])
        certs.append({**cert, "certView": km.view(cert["x509File"].get("id", ""), parsed, ctx.clock.now())})
    creds["certs"] = certs
    out["credentials"] = creds
    ws = dict(doc["wsTrust"])
    ws["tokenGeneratorMappings"] = [
        {**m, "spTokenGeneratorRef": ctx.link(usage.GENERATORS_PATH, m["spTokenGeneratorRef"]["id"])}
        for m in ws.get("tokenGeneratorMappings") or []]
    out["wsTrust"] = ws
    problems = usage.connection_problems(model, doc)
    if problems:
        out["validationErrors"] = [e.to_json() for e in problems]
    return out


def listing(ctx: AdminContext, model: ConfigModel, entity_id: str | None = None) -> dict[str, Any]:
    docs = [d for d in model.all(IDP_CONNECTION) if entity_id is None or d["entityId"] == entity_id]
    return {"items": [render(ctx, model, d) for d in docs]}


def _certs(raw: Any, errors: ErrorCollector) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, cert in enumerate(raw or []):
        data = ((cert or {}).get("x509File") or {}).get("fileData", "")
        try:
            parsed = certificate_from_text(data)
        except ValueError as exc:
            errors.add(f"credentials.certs[{i}].x509File.fileData", f"Not an X.509 certificate: {exc}")
            continue
        file_id = (cert.get("x509File") or {}).get("id") or secrets.token_hex(12)
        provider = (cert.get("x509File") or {}).get("cryptoProvider")
        out.append({
            "x509File": {"id": file_id, "fileData": der_b64(parsed),
                         **({"cryptoProvider": provider} if provider else {})},
            "activeVerificationCert": bool(cert.get("activeVerificationCert", False)),
            "primaryVerificationCert": bool(cert.get("primaryVerificationCert", False)),
            "secondaryVerificationCert": bool(cert.get("secondaryVerificationCert", False)),
            "encryptionCert": bool(cert.get("encryptionCert", False)),
        })
    return out


def _build(model: ConfigModel, body: dict[str, Any], errors: ErrorCollector) -> dict[str, Any]:
    check_name(body.get("name"), errors)
    if not (body.get("entityId") or "").strip():
        errors.add("entityId", "entityId (the partner's issuer) is required", "required_field_missing")
    if body.get("type") not in (None, "IDP"):
        errors.add("type", "An IdP connection has type IDP")
    for key in UNSUPPORTED:
        if body.get(key):
            errors.add(key, f"{key} is not supported; only WS-Trust connections are")
    entities = body.get("additionalAllowedEntitiesConfiguration") or {}
    for key in ("allowAdditionalEntities", "allowAllEntities"):
        if entities.get(key):
            errors.add(f"additionalAllowedEntitiesConfiguration.{key}",
                       "Additional allowed entities apply to browser SSO, which is not supported")
    for key in UNSUPPORTED_CREDENTIALS:
        if (body.get("credentials") or {}).get(key):
            errors.add(f"credentials.{key}", f"credentials.{key} belongs to browser SSO, which is not supported; "
                       "a WS-Trust connection needs only its verification certificates")
    ws_in = body.get("wsTrust")
    if not isinstance(ws_in, dict):
        errors.add("wsTrust", "wsTrust is required: only WS-Trust connections are supported",
                   "required_field_missing")
        ws_in = {}
    if not model.all(TOKEN_GENERATOR):
        errors.add("wsTrust.tokenGeneratorMappings", "Create a token generator before a WS-Trust connection")
    creds_in = body.get("credentials") or {}
    certs = _certs(creds_in.get("certs"), errors)
    if not any(c["activeVerificationCert"] or c["primaryVerificationCert"] for c in certs) \
            and not creds_in.get("verificationSubjectDN"):
        errors.add("credentials.certs", "Give a verification certificate (activeVerificationCert) or a "
                   "verificationSubjectDN for the partner's signed tokens", "required_field_missing")
    contract_in = ws_in.get("attributeContract") or {}
    extended = []
    seen = {usage.TOKEN_SUBJECT}
    for i, attr in enumerate(contract_in.get("extendedAttributes") or []):
        name = (attr.get("name") or "").strip()
        if not name or name in seen:
            errors.add(f"wsTrust.attributeContract.extendedAttributes[{i}].name",
                       "Attribute names must be present and unique")
        seen.add(name)
        extended.append({"name": name, "masked": bool(attr.get("masked", False))})
    mappings = []
    for m in ws_in.get("tokenGeneratorMappings") or []:
        mappings.append({
            "spTokenGeneratorRef": {"id": (m.get("spTokenGeneratorRef") or {}).get("id", "")},
            "defaultMapping": bool(m.get("defaultMapping", False)),
            "restrictedVirtualEntityIds": m.get("restrictedVirtualEntityIds") or [],
            "attributeSources": m.get("attributeSources") or [],
            "attributeContractFulfillment": {
                name: {"source": {k: v for k, v in spec["source"].items() if v is not None},
                       "value": spec.get("value", "")}
                for name, spec in (m.get("attributeContractFulfillment") or {}).items()},
            "issuanceCriteria": criteria_as_sent(m),
        })
    generate = bool(ws_in.get("generateLocalToken", False))
    if generate and not mappings:
        errors.add("wsTrust.tokenGeneratorMappings", "Issuing local tokens needs at least one token generator "
                   "mapping", "required_field_missing")
    if sum(1 for m in mappings if m["defaultMapping"]) > 1:
        errors.add("wsTrust.tokenGeneratorMappings", "Only one token generator mapping can be the default")
    for i, m in enumerate(mappings):
        if m["attributeSources"]:
            errors.add(f"wsTrust.tokenGeneratorMappings[{i}].attributeSources",
                       "Attribute sources (data stores) are not supported")
    doc: dict[str, Any] = {
        "type": "IDP", "id": body["id"], "entityId": body.get("entityId", ""), "name": body.get("name", ""),
        "active": bool(body.get("active", False)),
        "credentials": {"certs": certs, **{k: creds_in[k] for k in ("verificationSubjectDN",
                                                                    "verificationIssuerDN") if creds_in.get(k)}},
        "wsTrust": {"attributeContract": {"coreAttributes": [{"name": usage.TOKEN_SUBJECT, "masked": False}],
                                          "extendedAttributes": extended},
                    "generateLocalToken": generate, "tokenGeneratorMappings": mappings},
    }
    for key in ("baseUrl", "loggingMode", "licenseConnectionGroup", *DESCRIPTIVE):
        if key in body:
            doc[key] = body[key]
    if not errors:
        errors.errors.extend(usage.connection_problems(model, doc))
    return doc  # entityId uniqueness and the dates: CONNECTIONS


def create(ctx: AdminContext, model: ConfigModel, body: dict[str, Any]) -> dict[str, Any]:
    return CONNECTIONS.create(ctx, model, body, _build)


def update(ctx: AdminContext, model: ConfigModel, connection_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return CONNECTIONS.update(ctx, model, connection_id, body, _build)


def delete(model: ConfigModel, connection_id: str) -> None:
    CONNECTIONS.delete(model, connection_id)
