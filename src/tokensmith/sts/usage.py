"""Who uses which token generator or processor, and which mappings and connections are broken.

Plain functions over a :class:`~tokensmith.config.model.ConfigModel`, shared by the admin API and
the admin console: :func:`users_of_generator` / :func:`users_of_processor` (check usage, and the
422 of a refused delete), :func:`mapping_problems` / :func:`connection_problems` (is one mapping or
connection consistent with the instances it references), :func:`broken_references` (every
mapping and connection that references an instance and is broken) and :func:`automatic_validation`
(the ``disableAutomaticConnectionValidation`` general setting).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tokensmith.config.inheritance import parent_id
from tokensmith.config.model import (
    IDP_CONNECTION,
    SETTINGS,
    SP_CONNECTION,
    T2T_MAPPING,
    TOKEN_GENERATOR,
    TOKEN_PROCESSOR,
    TX_GROUP,
    TX_MAPPING,
    TX_POLICY,
    ConfigModel,
)
from tokensmith.errors import FieldError
from tokensmith.mapping import CONDITIONS
from tokensmith.sts import exchange_usage as tx
from tokensmith.sts.instances import contract_names

GENERAL_SETTINGS = "generalSettings"
T2T_PATH = "/tokenProcessorToTokenGeneratorMappings"
IDP_CONNECTIONS_PATH = "/sp/idpConnections"
SP_CONNECTIONS_PATH = "/idp/spConnections"
GENERATORS_PATH = "/sp/tokenGenerators"
PROCESSORS_PATH = "/idp/tokenProcessors"
# CONTEXT values a WS-Trust mapping may read.
STS_CONTEXT = ("ClientIp", "StsBasicAuthUsername", "TargetResource", "ClientId", "AuthenticatingAuthority")
TOKEN_SUBJECT = "TOKEN_SUBJECT"
MAPPING_KIND = "tokenProcessorToTokenGeneratorMapping"
CONNECTION_KIND = "idpConnection"
SP_CONNECTION_KIND = "spConnection"
GENERATOR_KIND = "tokenGenerator"
PROCESSOR_KIND = "tokenProcessor"
POLICY_KIND = "tokenExchangeProcessorPolicy"
GROUP_KIND = "tokenExchangeGeneratorGroup"
TX_MAPPING_KIND = "processorPolicyToGeneratorMapping"


@dataclass(frozen=True)
class Usage:
    """One user of an instance."""

    type: str  # MAPPING_KIND, CONNECTION_KIND, SP_CONNECTION_KIND, GENERATOR_KIND or PROCESSOR_KIND (child),
    # POLICY_KIND, GROUP_KIND or TX_MAPPING_KIND (token exchange)
    id: str
    name: str
    path: str  # admin API collection path of the user

    def describe(self) -> str:
        label = {MAPPING_KIND: "Token processor to token generator mapping", CONNECTION_KIND: "IdP connection",
                 SP_CONNECTION_KIND: "SP connection", GENERATOR_KIND: "Child token generator",
                 PROCESSOR_KIND: "Child token processor", POLICY_KIND: "Token exchange processor policy",
                 GROUP_KIND: "Token exchange generator group",
                 TX_MAPPING_KIND: "Processor policy to token generator mapping"}[self.type]
        return f"{label} '{self.id}'" + (f" ({self.name})" if self.name and self.name != self.id else "")

    def to_json(self, base_url: str = "") -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "name": self.name,
                "location": f"{base_url}{self.path}/{self.id}"}


@dataclass(frozen=True)
class Broken:
    """A mapping or connection that no longer fits the instances it references."""

    user: Usage
    errors: list[FieldError] = field(default_factory=list)

    def to_json(self, base_url: str = "") -> dict[str, Any]:
        return {**self.user.to_json(base_url), "validationErrors": [e.to_json() for e in self.errors]}


def _generator_refs(connection: Mapping[str, Any]) -> list[str]:
    mappings = ((connection.get("wsTrust") or {}).get("tokenGeneratorMappings")) or []
    return [m["spTokenGeneratorRef"]["id"] for m in mappings if isinstance(m.get("spTokenGeneratorRef"), dict)]


def _mapping_usage(doc: Mapping[str, Any]) -> Usage:
    return Usage(MAPPING_KIND, doc["id"], doc["id"], T2T_PATH)


def _connection_usage(doc: Mapping[str, Any]) -> Usage:
    return Usage(CONNECTION_KIND, doc["id"], doc.get("name", ""), IDP_CONNECTIONS_PATH)


def users_of_generator(model: ConfigModel, generator_id: str) -> list[Usage]:
    found = [_mapping_usage(m) for m in model.all(T2T_MAPPING) if m.get("targetId") == generator_id]
    found += [_connection_usage(c) for c in model.all(IDP_CONNECTION) if generator_id in _generator_refs(c)]
    found += [Usage(GENERATOR_KIND, g["id"], g.get("name", ""), GENERATORS_PATH)
              for g in model.all(TOKEN_GENERATOR) if parent_id(g) == generator_id]
    found += [_group_usage(g) for g in tx.groups_using_generator(model, generator_id)]
    found += [_tx_mapping_usage(m) for m in tx.mappings_using(model, "targetId", generator_id)]
    return found


def _policy_usage(doc: Mapping[str, Any]) -> Usage:
    return Usage(POLICY_KIND, doc["id"], doc.get("name", ""), tx.POLICIES_PATH)


def _group_usage(doc: Mapping[str, Any]) -> Usage:
    return Usage(GROUP_KIND, doc["id"], doc.get("name", ""), tx.GROUPS_PATH)


def _tx_mapping_usage(doc: Mapping[str, Any]) -> Usage:
    return Usage(TX_MAPPING_KIND, doc["id"], doc["id"], tx.TX_MAPPINGS_PATH)


def _processor_refs(connection: Mapping[str, Any]) -> list[str]:
    mappings = ((connection.get("wsTrust") or {}).get("tokenProcessorMappings")) or []
    return [m["idpTokenProcessorRef"]["id"] for m in mappings if isinstance(m.get("idpTokenProcessorRef"), dict)]


def _sp_connection_usage(doc: Mapping[str, Any]) -> Usage:
    return Usage(SP_CONNECTION_KIND, doc["id"], doc.get("name", ""), SP_CONNECTIONS_PATH)


def users_of_processor(model: ConfigModel, processor_id: str) -> list[Usage]:
    found = [_mapping_usage(m) for m in model.all(T2T_MAPPING) if m.get("sourceId") == processor_id]
    found += [_sp_connection_usage(c) for c in model.all(SP_CONNECTION) if processor_id in _processor_refs(c)]
    found += [Usage(PROCESSOR_KIND, p["id"], p.get("name", ""), PROCESSORS_PATH)
              for p in model.all(TOKEN_PROCESSOR) if parent_id(p) == processor_id]
    found += [_policy_usage(p) for p in tx.policies_using_processor(model, processor_id)]
    return found


def in_use_errors(users: Iterable[Usage]) -> list[FieldError]:
    return [FieldError("", f"{u.describe()} uses it", "resource_in_use") for u in users]


# --------------------------------------------------------------------------- consistency checks


def _check_fulfilment(fulfilment: Mapping[str, Any], target: list[str], target_label: str,
                      sources: dict[str, list[str] | None], path: str) -> list[FieldError]:
    """``sources`` maps each allowed source type to its allowed values (None: any value)."""
    errors: list[FieldError] = []
    for name in fulfilment:
        if name not in target:
            errors.append(FieldError(f"{path}.{name}", f"'{name}' is not in the attribute contract of "
                                                       f"{target_label}"))
    for name in target:
        if name not in fulfilment:
            errors.append(FieldError(f"{path}.{name}", f"Attribute '{name}' of {target_label} needs a "
                                                       "fulfilment", "required_field_missing"))
    for name, spec in fulfilment.items():
        errors += _check_source(spec.get("source", {}).get("type", ""), spec.get("value", ""), sources,
                                f"{path}.{name}")
    return errors


def _check_source(source_type: str, value: str, sources: dict[str, list[str] | None],
                  path: str) -> list[FieldError]:
    if source_type not in sources:
        return [FieldError(f"{path}.source.type", f"Source type {source_type or '(none)'} is not available here; "
                                                  "use one of " + ", ".join(sources))]
    allowed = sources[source_type]
    if allowed is not None and value not in allowed:
        what = {"TOKEN": "an attribute of the token processor", "ASSERTION": "an attribute of the incoming "
                "token", "CONTEXT": "a context value"}.get(source_type, "a known value")
        return [FieldError(f"{path}.value", f"'{value}' is not {what}; use one of {', '.join(allowed)}")]
    return []


def _check_criteria(criteria: Mapping[str, Any] | None, sources: dict[str, list[str] | None],
                    path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    criteria = criteria or {}
    if criteria.get("expressionCriteria"):
        errors.append(FieldError(f"{path}.expressionCriteria", "Expression criteria are not supported"))
    for i, c in enumerate(criteria.get("conditionalCriteria") or []):
        cpath = f"{path}.conditionalCriteria[{i}]"
        if c.get("condition") not in CONDITIONS:
            errors.append(FieldError(f"{cpath}.condition", f"Condition {c.get('condition')} is not supported"))
        errors += _check_source(c.get("source", {}).get("type", ""), c.get("attributeName", ""), sources, cpath)
    return errors


def mapping_problems(model: ConfigModel, doc: Mapping[str, Any]) -> list[FieldError]:
    """What is wrong with a processor-to-generator mapping given the current instances."""
    errors: list[FieldError] = []
    processor = model.get(TOKEN_PROCESSOR, doc.get("sourceId") or "")
    generator = model.get(TOKEN_GENERATOR, doc.get("targetId") or "")
    if processor is None:
        errors.append(FieldError("sourceId", f"Token processor '{doc.get('sourceId')}' does not exist"))
    if generator is None:
        errors.append(FieldError("targetId", f"Token generator '{doc.get('targetId')}' does not exist"))
    if processor is None or generator is None:
        return errors
    sources: dict[str, list[str] | None] = {
        "TOKEN": contract_names(model, TOKEN_PROCESSOR, processor), "TEXT": None, "CONTEXT": list(STS_CONTEXT),
        "NO_MAPPING": None}
    errors += _check_fulfilment(doc.get("attributeContractFulfillment") or {},
                                contract_names(model, TOKEN_GENERATOR, generator),
                                f"token generator '{generator['id']}'", sources, "attributeContractFulfillment")
    errors += _check_criteria(doc.get("issuanceCriteria"), sources, "issuanceCriteria")
    if doc.get("attributeSources"):
        errors.append(FieldError("attributeSources", "Attribute sources (data stores) are not supported"))
    return errors


def connection_contract(connection: Mapping[str, Any]) -> list[str]:
    """The WS-Trust attribute contract of an IdP or SP connection: ``TOKEN_SUBJECT`` and its
    extended attributes (what an IdP connection's incoming tokens carry, what an SP connection issues)."""
    contract = (connection.get("wsTrust") or {}).get("attributeContract") or {}
    return [TOKEN_SUBJECT] + [a.get("name", "") for a in contract.get("extendedAttributes") or []]


def connection_problems(model: ConfigModel, doc: Mapping[str, Any]) -> list[FieldError]:
    """What is wrong with an IdP connection's WS-Trust token generator mappings."""
    errors: list[FieldError] = []
    ws = doc.get("wsTrust") or {}
    sources: dict[str, list[str] | None] = {
        "ASSERTION": connection_contract(doc), "TEXT": None, "CONTEXT": list(STS_CONTEXT), "NO_MAPPING": None}
    for i, mapping in enumerate(ws.get("tokenGeneratorMappings") or []):
        path = f"wsTrust.tokenGeneratorMappings[{i}]"
        generator_id = (mapping.get("spTokenGeneratorRef") or {}).get("id", "")
        generator = model.get(TOKEN_GENERATOR, generator_id)
        if generator is None:
            errors.append(FieldError(f"{path}.spTokenGeneratorRef.id",
                                     f"Token generator '{generator_id}' does not exist"))
            continue
        errors += _check_fulfilment(mapping.get("attributeContractFulfillment") or {},
                                    contract_names(model, TOKEN_GENERATOR, generator),
                                    f"token generator '{generator_id}'", sources,
                                    f"{path}.attributeContractFulfillment")
        errors += _check_criteria(mapping.get("issuanceCriteria"), sources, f"{path}.issuanceCriteria")
    return errors


def sp_connection_problems(model: ConfigModel, doc: Mapping[str, Any]) -> list[FieldError]:
    """What is wrong with an SP connection's token processor mappings given the current processors:
    each processor exists, and each mapping fulfils the whole contract from sources it has."""
    errors: list[FieldError] = []
    for i, mapping in enumerate((doc.get("wsTrust") or {}).get("tokenProcessorMappings") or []):
        path = f"wsTrust.tokenProcessorMappings[{i}]"
        processor_id = (mapping.get("idpTokenProcessorRef") or {}).get("id", "")
        processor = model.get(TOKEN_PROCESSOR, processor_id)
        if processor is None:
            errors.append(FieldError(f"{path}.idpTokenProcessorRef.id",
                                     f"Token processor '{processor_id}' does not exist"))
            continue
        sources: dict[str, list[str] | None] = {
            "TOKEN": contract_names(model, TOKEN_PROCESSOR, processor), "TEXT": None,
            "CONTEXT": list(STS_CONTEXT), "NO_MAPPING": None}
        errors += _check_fulfilment(mapping.get("attributeContractFulfillment") or {}, connection_contract(doc),
                                    f"SP connection '{doc.get('id')}'", sources,
                                    f"{path}.attributeContractFulfillment")
        errors += _check_criteria(mapping.get("issuanceCriteria"), sources, f"{path}.issuanceCriteria")
    return errors


def broken_references(model: ConfigModel, generator_id: str | None = None,
                      processor_id: str | None = None) -> list[Broken]:
    """Every mapping and connection that references the given instance (or, with neither given, any
    mapping and connection at all) and fails its consistency check."""
    found: list[Broken] = []
    for doc in model.all(T2T_MAPPING):
        if generator_id is not None and doc.get("targetId") != generator_id:
            continue
        if processor_id is not None and doc.get("sourceId") != processor_id:
            continue
        problems = mapping_problems(model, doc)
        if problems:
            found.append(Broken(_mapping_usage(doc), problems))
    if generator_id is None:
        for doc in model.all(SP_CONNECTION):
            if processor_id is not None and processor_id not in _processor_refs(doc):
                continue
            problems = sp_connection_problems(model, doc)
            if problems:
                found.append(Broken(_sp_connection_usage(doc), problems))
    if processor_id is None:
        for doc in model.all(IDP_CONNECTION):
            if generator_id is not None and generator_id not in _generator_refs(doc):
                continue
            problems = connection_problems(model, doc)
            if problems:
                found.append(Broken(_connection_usage(doc), problems))
    return found + _broken_exchange(model, generator_id, processor_id)


def _broken_exchange(model: ConfigModel, generator_id: str | None, processor_id: str | None) -> list[Broken]:
    """The token exchange policies, generator groups and policy-to-generator mappings among
    :func:`broken_references`."""
    found: list[Broken] = []
    if generator_id is None:
        policies = model.all(TX_POLICY) if processor_id is None else tx.policies_using_processor(model, processor_id)
        found += [Broken(_policy_usage(p), errors) for p in policies if (errors := tx.policy_problems(model, p))]
    if processor_id is None:
        groups = model.all(TX_GROUP) if generator_id is None else tx.groups_using_generator(model, generator_id)
        found += [Broken(_group_usage(g), errors) for g in groups if (errors := tx.group_problems(model, g))]
        mappings = model.all(TX_MAPPING) if generator_id is None else tx.mappings_using(model, "targetId",
                                                                                         generator_id)
        found += [Broken(_tx_mapping_usage(m), errors) for m in mappings
                  if (errors := tx.tx_mapping_problems(model, m))]
    return found


def automatic_validation(model: ConfigModel) -> bool:
    """False when ``disableAutomaticConnectionValidation`` is set in the general settings."""
    return not (model.get(SETTINGS, GENERAL_SETTINGS) or {}).get("disableAutomaticConnectionValidation", False)


def affected_generators(model: ConfigModel, generator_id: str) -> list[str]:
    """The generator and every descendant that inherits from it (their contracts may have changed)."""
    ids = [generator_id]
    for doc in model.all(TOKEN_GENERATOR):
        pid, depth = parent_id(doc), 0
        while pid is not None and depth < 8:
            if pid == generator_id:
                ids.append(doc["id"])
                break
            parent = model.get(TOKEN_GENERATOR, pid)
            pid, depth = (parent_id(parent) if parent else None), depth + 1
    return ids
