"""``/oauth/accessTokenMappings``: which values fill each access token attribute, per context.

Ids are generated as ``<context>|<manager id>``: ``default|ref``, ``client_credentials|ref``,
``<validator id>|ref`` for a password credential validator context, or ``<policy id>|ref`` for a
token exchange processor policy (``TOKEN_EXCHANGE_PROCESSOR_POLICY``) context. The list call returns a bare
JSON array.
"""

from __future__ import annotations

from typing import Any

from tokensmith.admin.collection import Collection
from tokensmith.admin.context import AdminContext, criteria_as_sent, ref_id
from tokensmith.config.model import ATM, MAPPING, PCV, TX_POLICY, ConfigModel
from tokensmith.errors import ErrorCollector
from tokensmith.mapping import (
    CONDITIONS,
    CONTEXT_REF_PATHS,
    CONTEXT_VALUES,
    PERSISTENT_GRANT_VALUES,
    SOURCES_BY_CONTEXT,
)
from tokensmith.sts.exchange_usage import policy_contract

PATH = "/oauth/accessTokenMappings"


def mapping_id(context_type: str, context_ref: str | None, atm_id: str) -> str:
    if context_type == "IDP_ADAPTER":  # apart from the PCV mapping of the same validator and manager
        return f"idp_adapter:{context_ref}|{atm_id}"
    if context_type in CONTEXT_REF_PATHS:
        return f"{context_ref}|{atm_id}"
    return f"{context_type.lower()}|{atm_id}"


def render(ctx: AdminContext, doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    out["accessTokenManagerRef"] = ctx.link("/oauth/accessTokenManagers", doc["accessTokenManagerRef"]["id"])
    if doc["context"].get("contextRef"):
        out["context"] = {"type": doc["context"]["type"],
                          "contextRef": ctx.link(CONTEXT_REF_PATHS.get(doc["context"]["type"],
                                                                       "/passwordCredentialValidators"),
                                                 doc["context"]["contextRef"]["id"])}
    return out


# at create, formatted with the new mapping
DUPLICATE = "A mapping for this context and manager already exists ('{id}')"
CHANGED = (  # at update, when the new contents give another id
    "The context and manager give id '{new}', not '{old}'; delete this mapping and create a new one to change them")
COLLECTION = Collection(MAPPING, "access token mapping")


def get(model: ConfigModel, mapping_key: str) -> dict[str, Any]:
    return COLLECTION.get(model, mapping_key)


def _check_value(model: ConfigModel, source_type: str, value: str, context_type: str,
                 context_ref: str | None, path: str, errors: ErrorCollector) -> None:
    if source_type not in SOURCES_BY_CONTEXT.get(context_type, set()):
        errors.add(f"{path}.source.type",
                   f"Source type {source_type} is not available in a {context_type} mapping; use one of "
                   + ", ".join(sorted(SOURCES_BY_CONTEXT.get(context_type, set()))))
    elif source_type == "CONTEXT" and value not in CONTEXT_VALUES:
        errors.add(f"{path}.value", f"'{value}' is not a context value; use one of {', '.join(CONTEXT_VALUES)}")
    elif source_type == "OAUTH_PERSISTENT_GRANT" and value not in PERSISTENT_GRANT_VALUES:
        errors.add(f"{path}.value", f"'{value}' is not a persistent grant attribute; use one of "
                   + ", ".join(PERSISTENT_GRANT_VALUES))
    elif source_type in ("PASSWORD_CREDENTIAL_VALIDATOR", "ADAPTER"):
        pcv = model.get(PCV, context_ref or "")
        contract = [a["name"] for a in (pcv or {}).get("attributeContract", {}).get("coreAttributes", [])]
        contract += [a["name"] for a in (pcv or {}).get("attributeContract", {}).get("extendedAttributes", [])]
        if value not in contract:
            errors.add(f"{path}.value", f"'{value}' is not an attribute of validator '{context_ref}'")
    elif source_type == "TOKEN_EXCHANGE_PROCESSOR_POLICY":
        policy = model.get(TX_POLICY, context_ref or "")
        names = policy_contract(policy) if policy is not None else []
        if value not in names:
            errors.add(f"{path}.value", f"'{value}' is not in the contract of processor policy '{context_ref}'; "
                       "use one of " + ", ".join(names))


def _build(model: ConfigModel, body: dict[str, Any], errors: ErrorCollector) -> dict[str, Any]:
    context = body.get("context") or {}
    context_type = context.get("type", "")
    context_ref = ref_id(context, "contextRef")
    if context_type not in SOURCES_BY_CONTEXT:
        errors.add("context.type", f"Context type {context_type} is not supported; use DEFAULT, "
                   "CLIENT_CREDENTIALS, PCV, IDP_ADAPTER or TOKEN_EXCHANGE_PROCESSOR_POLICY")
    if context_type in ("PCV", "IDP_ADAPTER"):
        if context_ref is None:
            errors.add("context.contextRef.id", f"A {context_type} mapping names its password credential validator "
                       "in contextRef", "required_field_missing")
        elif model.get(PCV, context_ref) is None:
            errors.add("context.contextRef.id", f"Password credential validator '{context_ref}' does not exist")
    if context_type == "TOKEN_EXCHANGE_PROCESSOR_POLICY":
        if context_ref is None:
            errors.add("context.contextRef.id", "A TOKEN_EXCHANGE_PROCESSOR_POLICY mapping names its processor "
                       "policy in contextRef", "required_field_missing")
        elif model.get(TX_POLICY, context_ref) is None:
            errors.add("context.contextRef.id", f"Token exchange processor policy '{context_ref}' does not exist")
    atm_id = ref_id(body, "accessTokenManagerRef") or ""
    atm = model.get(ATM, atm_id)
    if atm is None:
        errors.add("accessTokenManagerRef.id", f"Access token manager '{atm_id}' does not exist")
    if body.get("attributeSources"):
        errors.add("attributeSources", "Attribute sources (data stores) are not supported")
    criteria = body.get("issuanceCriteria") or {}
    if criteria.get("expressionCriteria"):
        errors.add("issuanceCriteria.expressionCriteria", "Expression criteria are not supported")
    fulfilment = body.get("attributeContractFulfillment") or {}
    if atm is not None:
        contract = {a["name"] for a in atm["attributeContract"]["extendedAttributes"]}
        contract |= {a["name"] for a in atm["attributeContract"]["coreAttributes"]}
        token_endpoint = {a["name"] for a in (atm.get("tokenEndpointAttributeContract") or {}).get("attributes")
                          or []}
        for name in fulfilment:
            if name not in contract | token_endpoint:
                errors.add(f"attributeContractFulfillment.{name}",
                           f"'{name}' is not in the attribute contract or token endpoint attribute contract "
                           f"of '{atm_id}'")
        for name in sorted(contract - set(fulfilment)):
            errors.add(f"attributeContractFulfillment.{name}", f"Attribute '{name}' needs a fulfilment",
                       "required_field_missing")
    for name, spec in fulfilment.items():
        _check_value(model, spec["source"]["type"], spec.get("value", ""), context_type, context_ref,
                     f"attributeContractFulfillment.{name}", errors)
    for i, c in enumerate(criteria.get("conditionalCriteria") or []):
        path = f"issuanceCriteria.conditionalCriteria[{i}]"
        if c["condition"] not in CONDITIONS:
            errors.add(f"{path}.condition", f"Condition {c['condition']} is not supported")
        _check_value(model, c["source"]["type"], c["attributeName"], context_type, context_ref, path, errors)
    # Stored as sent: lists sent empty stay empty, members not sent stay absent (PingFederate leaves an
    # unsent expressionCriteria out, and the Terraform provider reads an added [] as a change).
    doc: dict[str, Any] = {
        "id": mapping_id(context_type, context_ref, atm_id),
        "context": {"type": context_type, **({"contextRef": {"id": context_ref}} if context_ref else {})},
        "accessTokenManagerRef": {"id": atm_id},
        "attributeSources": list(body.get("attributeSources") or []),
        "attributeContractFulfillment": {
            name: {"source": dict(spec["source"]), "value": spec.get("value", "")}
            for name, spec in fulfilment.items()},
        "issuanceCriteria": criteria_as_sent(body),
    }
    return doc


def create(model: ConfigModel, body: dict[str, Any]) -> dict[str, Any]:
    return COLLECTION.create_derived(model, body, lambda b, errors, _existing: _build(model, b, errors),
                                     "context", DUPLICATE)


def update(model: ConfigModel, mapping_key: str, body: dict[str, Any]) -> dict[str, Any]:
    return COLLECTION.update_derived(model, mapping_key, body,
                                     lambda b, errors, _existing: _build(model, b, errors), "context", CHANGED)


def delete(model: ConfigModel, mapping_key: str) -> None:
    COLLECTION.delete(model, mapping_key)
