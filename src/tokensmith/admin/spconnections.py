"""``/idp/spConnections``: SP connections for the IdP-side STS (``/idp/sts.wst``).

Only WS-Trust is supported. A connection names its web services (``wsTrust.partnerServiceIds``,
matched exactly against a request's AppliesTo), the token it issues to them (type, lifetime,
attribute contract, signing and encryption) and the token processor mappings that validate the
token a client presents and fill the contract. Browser SSO, attribute query and provisioning
sections are refused rather than dropped.

A connection is stored as the client sent it: a list sent empty comes back empty, an optional
member not sent stays absent (the runtime applies PingFederate's defaults), so PingFederate
tooling reading it back sees no change. The server adds only ``id`` (when not sent), ``type``,
the dates, each certificate's ``x509File.id`` and, on reading, ``certView`` and ``location`` links.
"""

from __future__ import annotations

import copy
import re
import secrets
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from tokensmith.admin.connections import ConnectionKind
from tokensmith.admin.context import AdminContext, check_name, public
from tokensmith.config.model import KEYPAIR, SP_CONNECTION, ConfigModel
from tokensmith.errors import ErrorCollector
from tokensmith.keys import material as km
from tokensmith.keys import stored
from tokensmith.keys.material import key_facts
from tokensmith.sts import spsettings as sp
from tokensmith.sts import usage
from tokensmith.sts.certs import certificate_from_text, der_b64
from tokensmith.sts.saml.signing import ALGORITHMS

PATH = usage.SP_CONNECTIONS_PATH
CONNECTIONS = ConnectionKind(SP_CONNECTION, "SP connection")
UNSUPPORTED = ("spBrowserSso", "attributeQuery", "outboundProvision", "metadataReloadSettings")
UNSUPPORTED_CREDENTIALS = ("outboundBackChannelAuth", "inboundBackChannelAuth")
READ_ONLY = ("creationDate", "modificationDate", "replicationStatus", "validationErrors")
# A SAML 1.1 attribute namespace is carried to the assertion writer as the head of a URI name, so it
# must be a URI with a path (as Office 365's http://schemas.xmlsoap.org/claims is).
NAMESPACE = re.compile(r"^https?://[^/\s]+/\S*[^/\s]$")


def get(model: ConfigModel, connection_id: str) -> dict[str, Any]:
    return CONNECTIONS.get(model, connection_id)


def render(ctx: AdminContext, model: ConfigModel, doc: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(public(doc))
    creds = out.get("credentials")
    if isinstance(creds, dict):
        for cert in creds.get("certs") or []:
            parsed = certificate_from_text(cert["x509File"]["fileData"])
            cert["certView"] = km.view(cert["x509File"].get("id", ""), parsed, ctx.clock.now())
        signing = creds.get("signingSettings")
        if isinstance(signing, dict) and isinstance(signing.get("signingKeyPairRef"), dict):
            signing["signingKeyPairRef"] = ctx.link("/keyPairs/signing", signing["signingKeyPairRef"]["id"])
    for mapping in (out.get("wsTrust") or {}).get("tokenProcessorMappings") or []:
        mapping["idpTokenProcessorRef"] = ctx.link(usage.PROCESSORS_PATH, mapping["idpTokenProcessorRef"]["id"])
    problems = usage.sp_connection_problems(model, doc)
    if problems:
        out["validationErrors"] = [e.to_json() for e in problems]
    return out


def listing(ctx: AdminContext, model: ConfigModel, entity_id: str | None = None,
            text: str | None = None) -> dict[str, Any]:
    """``entityId``: exact match; ``filter``: case-insensitive part of the name or the entity id."""
    docs = [d for d in model.all(SP_CONNECTION) if entity_id is None or d["entityId"] == entity_id]
    if text:
        docs = [d for d in docs if text.lower() in d["entityId"].lower() or text.lower() in d["name"].lower()]
    return {"items": [render(ctx, model, d) for d in docs]}


def _strip_read_only(value: Any) -> Any:
    """A GET body sent back: read-only members (``location``, ``certView``) are not stored."""
    if isinstance(value, dict):
        return {k: _strip_read_only(v) for k, v in value.items() if k not in ("location", "certView")}
    if isinstance(value, list):
        return [_strip_read_only(v) for v in value]
    return value


def _certs(creds: dict[str, Any], errors: ErrorCollector) -> None:
    encryption = 0
    for i, cert in enumerate(creds.get("certs") or []):
        x509_file = cert["x509File"]
        try:
            parsed = certificate_from_text(x509_file.get("fileData", ""))
        except ValueError as exc:
            errors.add(f"credentials.certs[{i}].x509File.fileData", f"Not an X.509 certificate: {exc}")
            continue
        x509_file["fileData"] = der_b64(parsed)
        x509_file.setdefault("id", secrets.token_hex(12))
        if cert.get("encryptionCert"):
            encryption += 1
            if not isinstance(parsed.public_key(), rsa.RSAPublicKey):
                errors.add(f"credentials.certs[{i}].encryptionCert", "An encryption certificate must hold an "
                           "RSA key (the assertion's key is sent to the partner with RSA-OAEP)")
    if encryption > 1:
        errors.add("credentials.certs", "Only one certificate can be the encryption certificate (encryptionCert)")


def _key_pair(model: ConfigModel, ref: Any, path: str, errors: ErrorCollector) -> dict[str, Any] | None:
    key_id = (ref or {}).get("id", "")
    doc = model.get(KEYPAIR, key_id)
    if doc is None:
        errors.add(path, f"Signing key pair '{key_id}' does not exist")
    return doc


def _signing(model: ConfigModel, creds: dict[str, Any], errors: ErrorCollector) -> None:
    settings = creds.get("signingSettings")
    if not isinstance(settings, dict):
        errors.add("credentials.signingSettings", "signingSettings (the key pair that signs this connection's "
                   "tokens) is required", "required_field_missing")
        return
    key_doc = _key_pair(model, settings.get("signingKeyPairRef"), "credentials.signingSettings.signingKeyPairRef.id",
                        errors)
    for i, ref in enumerate(settings.get("alternativeSigningKeyPairRefs") or []):
        _key_pair(model, ref, f"credentials.signingSettings.alternativeSigningKeyPairRefs[{i}].id", errors)
    name = settings.get("algorithm")
    if name is not None and name not in sp.SIGNING_ALGORITHMS:
        errors.add("credentials.signingSettings.algorithm", f"'{name}' is not a supported signing algorithm; use "
                   "one of " + ", ".join(sp.SIGNING_ALGORITHMS))
    elif key_doc is not None:
        key_type, _ = key_facts(stored.certificate(key_doc).public_key())  # type: ignore[arg-type]
        chosen = name or sp.DEFAULT_ALGORITHM.get(key_type, "")
        algorithm = ALGORITHMS.get(sp.SIGNING_ALGORITHMS.get(chosen, ""))
        if algorithm is None or algorithm.key_type != key_type:
            errors.add("credentials.signingSettings.algorithm", f"{chosen or 'No algorithm'} cannot sign with "
                       f"signing key pair '{key_doc['id']}', which holds an {key_type} key")


def _credentials(model: ConfigModel, doc: dict[str, Any], errors: ErrorCollector) -> None:
    creds = doc.get("credentials")
    if not isinstance(creds, dict):
        errors.add("credentials", "credentials with signingSettings are required", "required_field_missing")
        return
    for key in UNSUPPORTED_CREDENTIALS:
        if creds.get(key):
            errors.add(f"credentials.{key}", f"credentials.{key} belongs to back-channel protocols, which are "
                       "not supported")
    _certs(creds, errors)
    _signing(model, creds, errors)
    for key in ("decryptionKeyPairRef", "secondaryDecryptionKeyPairRef"):
        if creds.get(key) is not None:
            _key_pair(model, creds[key], f"credentials.{key}.id", errors)
    block = creds.get("blockEncryptionAlgorithm")
    if block is not None and block not in sp.BLOCK_ALGORITHMS:
        errors.add("credentials.blockEncryptionAlgorithm", f"'{block}' is not supported; use one of "
                   + ", ".join(sp.BLOCK_ALGORITHMS))
    transport = creds.get("keyTransportAlgorithm")
    if transport is not None and transport not in sp.KEY_TRANSPORT_ALGORITHMS:
        errors.add("credentials.keyTransportAlgorithm", f"'{transport}' is not supported; use one of "
                   + ", ".join(sp.KEY_TRANSPORT_ALGORITHMS))


def _contract(ws: dict[str, Any], errors: ErrorCollector) -> None:
    contract = ws.get("attributeContract") or {}
    for i, attr in enumerate(contract.get("coreAttributes") or []):
        if attr.get("name") != usage.TOKEN_SUBJECT:
            errors.add(f"wsTrust.attributeContract.coreAttributes[{i}].name",
                       f"The only core attribute is {usage.TOKEN_SUBJECT}")
    saml1 = sp.token_type({"wsTrust": ws}) != sp.SAML20
    seen = {usage.TOKEN_SUBJECT}
    for i, attr in enumerate(contract.get("extendedAttributes") or []):
        path = f"wsTrust.attributeContract.extendedAttributes[{i}]"
        name = attr.get("name", "")
        if not name.strip():
            errors.add(f"{path}.name", "Attribute name is required", "required_field_missing")
        elif name in seen:
            errors.add(f"{path}.name", f"Attribute '{name}' appears more than once in the contract")
        seen.add(name)
        namespace = attr.get("namespace")
        if saml1 and "/" in name:
            errors.add(f"{path}.name", "A SAML 1.1 attribute name cannot contain '/'; put the URI part in "
                       "namespace")
        if saml1 and namespace is not None and not NAMESPACE.match(namespace):
            errors.add(f"{path}.namespace", "A SAML 1.1 attribute namespace must be an http(s) URI with a path "
                       f"(e.g. {sp.O365_NAMESPACE})")


def _ws_trust(model: ConfigModel, doc: dict[str, Any], errors: ErrorCollector) -> None:
    ws = doc.get("wsTrust")
    if not isinstance(ws, dict):
        errors.add("wsTrust", "wsTrust is required: only WS-Trust SP connections are supported",
                   "required_field_missing")
        return
    ids = ws.get("partnerServiceIds") or []
    if not ids:
        errors.add("wsTrust.partnerServiceIds", "Give at least one partner service id (the AppliesTo address "
                   "of the web service)", "required_field_missing")
    taken = {sid: other["id"] for other in model.all(SP_CONNECTION) if other["id"] != doc["id"]
             for sid in sp.ws_trust(other).get("partnerServiceIds") or []}
    for i, sid in enumerate(ids):
        path = f"wsTrust.partnerServiceIds[{i}]"
        if not sid.strip():
            errors.add(path, "A partner service id cannot be empty")
        elif ids.index(sid) != i:
            errors.add(path, f"Partner service id '{sid}' appears more than once")
        elif sid in taken:
            errors.add(path, f"SP connection '{taken[sid]}' already has partner service id '{sid}'", "duplicate_id")
    for key, low in (("minutesBefore", 0), ("minutesAfter", 1)):
        value = ws.get(key)
        if value is not None and not low <= value <= sp.MAX_MINUTES:
            errors.add(f"wsTrust.{key}", f"{key} must be between {low} and {sp.MAX_MINUTES}")
    encryption = sp.encryption_cert(doc)
    if ws.get("encryptSaml2Assertion") and encryption is None:
        errors.add("wsTrust.encryptSaml2Assertion", "Encrypting assertions needs the partner's encryption "
                   "certificate (a credentials.certs entry with encryptionCert true)")
    if ws.get("generateKey") and encryption is None:
        errors.add("wsTrust.generateKey", "A generated (symmetric) proof key is sent encrypted for the partner: "
                   "add its encryption certificate (a credentials.certs entry with encryptionCert true)")
    if ws.get("requestContractRef") is not None:
        errors.add("wsTrust.requestContractRef", "Request contracts are not supported")
    if ws.get("abortIfNotFulfilledFromRequest"):
        errors.add("wsTrust.abortIfNotFulfilledFromRequest", "abortIfNotFulfilledFromRequest needs a request "
                   "contract, which is not supported")
    if ws.get("messageCustomizations"):
        errors.add("wsTrust.messageCustomizations", "Message customizations (OGNL expressions) are not supported")
    _contract(ws, errors)
    mappings = ws.get("tokenProcessorMappings") or []
    if not mappings:
        errors.add("wsTrust.tokenProcessorMappings", "Give at least one token processor mapping (it validates "
                   "the token a client presents)", "required_field_missing")
    seen: set[str] = set()
    for i, mapping in enumerate(mappings):
        path = f"wsTrust.tokenProcessorMappings[{i}]"
        processor_id = mapping["idpTokenProcessorRef"]["id"]
        if processor_id in seen:
            errors.add(f"{path}.idpTokenProcessorRef.id", f"Token processor '{processor_id}' is mapped twice")
        seen.add(processor_id)
        if mapping.get("attributeSources"):
            errors.add(f"{path}.attributeSources", "Attribute sources (data stores) are not supported")
        if mapping.get("restrictedVirtualEntityIds"):
            errors.add(f"{path}.restrictedVirtualEntityIds", "Virtual entity ids are not supported")
    errors.errors.extend(usage.sp_connection_problems(model, doc))


def _build(model: ConfigModel, body: dict[str, Any], errors: ErrorCollector) -> dict[str, Any]:
    doc = {k: v for k, v in _strip_read_only(copy.deepcopy(body)).items() if k not in READ_ONLY}
    check_name(doc.get("name"), errors)
    if not (doc.get("entityId") or "").strip():
        errors.add("entityId", "entityId (the partner's id) is required", "required_field_missing")
    if doc.get("type") not in (None, "SP"):
        errors.add("type", "An SP connection has type SP")
    doc["type"] = "SP"
    for key in UNSUPPORTED:
        if doc.get(key):
            errors.add(key, f"{key} is not supported; only WS-Trust SP connections are")
    if doc.get("virtualEntityIds") or doc.get("defaultVirtualEntityId"):
        errors.add("virtualEntityIds", "Virtual entity ids are not supported")
    entities = doc.get("additionalAllowedEntitiesConfiguration") or {}
    for key in ("allowAdditionalEntities", "allowAllEntities"):
        if entities.get(key):
            errors.add(f"additionalAllowedEntitiesConfiguration.{key}",
                       "Additional allowed entities apply to browser SSO, which is not supported")
    _credentials(model, doc, errors)
    _ws_trust(model, doc, errors)
    return doc  # entityId uniqueness and the dates: CONNECTIONS


def create(ctx: AdminContext, model: ConfigModel, body: dict[str, Any]) -> dict[str, Any]:
    return CONNECTIONS.create(ctx, model, body, _build)


def update(ctx: AdminContext, model: ConfigModel, connection_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return CONNECTIONS.update(ctx, model, connection_id, body, _build)


def delete(model: ConfigModel, connection_id: str) -> None:
    CONNECTIONS.delete(model, connection_id)
