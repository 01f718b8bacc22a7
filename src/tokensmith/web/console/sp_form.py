"""The SP connection form (``/idp/spConnections``) read back into the admin API's body.

The body starts from the stored connection, so every member the page does not show (alternative
signing key pairs, other certificates, block encryption algorithm, logging mode, contact info, a
mapping's own extra members) is sent back unchanged and the admin service sees exactly what a
PingFederate client would send after a GET. Each token processor mapping carries ``_orig``, the
index of the stored mapping it came from, so reordering or removing mappings keeps each one's
hidden members with it. Validation is the admin service's; this module only records what a text
input cannot carry (a whole number).
"""

from __future__ import annotations

import copy
from typing import Any

from tokensmith.admin.context import public
from tokensmith.errors import ErrorCollector
from tokensmith.web.console.forms import RowAction, checked, lines, row_indices, to_int
from tokensmith.web.console.fulfilment import parse_criteria, parse_fulfilment
from tokensmith.web.console.web import FormInput

SIGNING = "credentials.signingSettings"
MAPPINGS = "wsTrust.tokenProcessorMappings"
CONTRACT = "wsTrust.attributeContract.extendedAttributes"
FULFIL = "attributeContractFulfillment"
CRITERIA = "issuanceCriteria.conditionalCriteria"
ENCRYPTION_PEM = "credentials.certs"  # form only: a new encryption certificate, PEM
DROP_ENCRYPTION = "credentials._dropEncryption"  # form only: remove the stored encryption certificate


def blank_mapping() -> dict[str, Any]:
    return {"idpTokenProcessorRef": {"id": ""}, FULFIL: {}, "issuanceCriteria": {"conditionalCriteria": []}}


def new_draft() -> dict[str, Any]:
    return {"name": "", "entityId": "", "active": True,
            "credentials": {"certs": [], "signingSettings": {"signingKeyPairRef": {"id": ""},
                                                             "includeCertInSignature": False,
                                                             "includeRawKeyInSignature": False}},
            "wsTrust": {"partnerServiceIds": [], "defaultTokenType": "SAML20", "generateKey": False,
                        "encryptSaml2Assertion": False, "minutesBefore": 5, "minutesAfter": 30,
                        "attributeContract": {"coreAttributes": [{"name": "TOKEN_SUBJECT"}],
                                              "extendedAttributes": []},
                        "tokenProcessorMappings": [blank_mapping()]}}


def _ref(form: FormInput, name: str) -> dict[str, str] | None:
    value = form.get(name).strip()
    return {"id": value} if value else None


def _credentials(form: FormInput, stored: dict[str, Any]) -> dict[str, Any]:
    creds = copy.deepcopy(stored)
    signing = dict(creds.get("signingSettings") or {})
    signing["signingKeyPairRef"] = {"id": form.get(SIGNING + ".signingKeyPairRef.id").strip()}
    algorithm = form.get(SIGNING + ".algorithm").strip()
    if algorithm:
        signing["algorithm"] = algorithm
    else:
        signing.pop("algorithm", None)
    signing["includeCertInSignature"] = checked(form, SIGNING + ".includeCertInSignature")
    signing["includeRawKeyInSignature"] = checked(form, SIGNING + ".includeRawKeyInSignature")
    creds["signingSettings"] = signing
    decryption = _ref(form, "credentials.decryptionKeyPairRef.id")
    if decryption is None:
        creds.pop("decryptionKeyPairRef", None)
    else:
        creds["decryptionKeyPairRef"] = decryption
    certs = list(creds.get("certs") or [])
    pem = form.get(ENCRYPTION_PEM)
    if pem.strip() or checked(form, DROP_ENCRYPTION):
        certs = [c for c in certs if not c.get("encryptionCert")]
    if pem.strip():
        certs.append({"x509File": {"fileData": pem}, "encryptionCert": True, "activeVerificationCert": False})
    creds["certs"] = certs
    return creds


def _minutes(form: FormInput, ws: dict[str, Any], errors: ErrorCollector) -> None:
    for key, label in (("minutesBefore", "Minutes before"), ("minutesAfter", "Minutes after")):
        text = form.get(f"wsTrust.{key}")
        if not text.strip():
            ws.pop(key, None)  # absent: PingFederate's default applies
            continue
        value = to_int(text, f"wsTrust.{key}", errors, label)
        if value is not None:
            ws[key] = value


def _contract(form: FormInput, action: RowAction | None) -> list[dict[str, Any]]:
    contract: list[dict[str, Any]] = []
    for i in row_indices(form, CONTRACT):
        row = {"name": form.get(f"{CONTRACT}[{i}].name").strip()}
        namespace = form.get(f"{CONTRACT}[{i}].namespace").strip()
        if namespace:
            row["namespace"] = namespace
        contract.append(row)
    if action is not None:
        action.apply(CONTRACT, contract, lambda: {"name": ""})
        return contract
    return [c for c in contract if c["name"] or c.get("namespace")]


def _mappings(form: FormInput, stored: list[dict[str, Any]], action: RowAction | None) -> list[dict[str, Any]]:
    mappings: list[dict[str, Any]] = []
    for i in row_indices(form, MAPPINGS):
        base = f"{MAPPINGS}[{i}]"
        orig = form.get(base + "._orig")
        start = copy.deepcopy(stored[int(orig)]) if orig.isdigit() and int(orig) < len(stored) else {}
        start.update({"idpTokenProcessorRef": {"id": form.get(base + ".idpTokenProcessorRef.id").strip()},
                      FULFIL: parse_fulfilment(form, f"{base}.{FULFIL}"),
                      "issuanceCriteria": {"conditionalCriteria": parse_criteria(form, f"{base}.{CRITERIA}",
                                                                                 action, "TOKEN")}})
        start["_orig"] = orig
        mappings.append(start)
    if action is not None:
        action.apply(MAPPINGS, mappings, blank_mapping)
        return mappings  # a draft shown again: blanks stay
    return [{k: v for k, v in m.items() if k != "_orig"} for m in mappings if m["idpTokenProcessorRef"]["id"]]


def without_form_marks(doc: dict[str, Any]) -> dict[str, Any]:
    """The body to send: the form's own bookkeeping (``_orig``) removed."""
    out = copy.deepcopy(doc)
    ws = out.get("wsTrust") or {}
    ws["tokenProcessorMappings"] = [{k: v for k, v in m.items() if k != "_orig"}
                                    for m in ws.get("tokenProcessorMappings") or []]
    return out


def parse(form: FormInput, existing: dict[str, Any] | None, action: RowAction | None,
          errors: ErrorCollector) -> dict[str, Any]:
    """The connection the form describes, on top of the stored one (``existing``)."""
    body: dict[str, Any] = {}
    if existing is not None:
        body = {k: v for k, v in copy.deepcopy(public(existing)).items()
                if k not in ("creationDate", "modificationDate")}
    body.update({"name": form.get("name").strip(), "entityId": form.get("entityId").strip(),
                 "active": checked(form, "active")})
    if existing is None and form.get("id").strip():
        body["id"] = form.get("id").strip()
    body["credentials"] = _credentials(form, body.get("credentials") or {})
    ws: dict[str, Any] = dict(body.get("wsTrust") or {})
    ws.update({"partnerServiceIds": lines(form.get("wsTrust.partnerServiceIds")),
               "defaultTokenType": form.get("wsTrust.defaultTokenType") or "SAML20",
               "generateKey": checked(form, "wsTrust.generateKey"),
               "encryptSaml2Assertion": checked(form, "wsTrust.encryptSaml2Assertion")})
    _minutes(form, ws, errors)
    contract = dict(ws.get("attributeContract") or {})
    contract["coreAttributes"] = contract.get("coreAttributes") or [{"name": "TOKEN_SUBJECT"}]
    contract["extendedAttributes"] = _contract(form, action)
    ws["attributeContract"] = contract
    ws["tokenProcessorMappings"] = _mappings(form, list(ws.get("tokenProcessorMappings") or []), action)
    body["wsTrust"] = ws
    return body
