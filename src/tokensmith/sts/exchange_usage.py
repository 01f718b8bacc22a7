"""Consistency rules and users of the OAuth token exchange configuration (PingFederate's model).

* processor policies name, per subject token type (and optional actor token type), the token
  processor that validates it and how the policy's contract (``subject`` plus extended attributes)
  is filled from ``SUBJECT_TOKEN`` / ``ACTOR_TOKEN`` / ``CONTEXT`` / ``TEXT``;
* generator groups name, per ``requested_token_type``, the token generator that issues it;
* processor-policy-to-generator mappings fill a generator's contract from a policy's contract.

Plain functions over a :class:`ConfigModel`, shared by the admin services (422 on save,
``validationErrors`` on read) and :mod:`tokensmith.sts.usage` (Check Usage, the delete refusal and
the automatic connection validation). Each problem is a :class:`FieldError` with PingFederate's
``fieldPath``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokensmith.config.model import (
    SETTINGS,
    TOKEN_GENERATOR,
    TOKEN_PROCESSOR,
    TX_GROUP,
    TX_MAPPING,
    TX_POLICY,
    ConfigModel,
)
from tokensmith.errors import FieldError
from tokensmith.sts.generators.base import generator_types
from tokensmith.sts.instances import contract_names
from tokensmith.sts.processors.base import processor_types
from tokensmith.sts.tokens import TT_ACCESS_TOKEN, TT_ID_TOKEN, TT_JWT, TT_SAML1, TT_SAML2

POLICY_CORE = "subject"  # the read-only core attribute of every processor policy contract
PROCESSOR_SETTINGS = "txProcessorSettings"
GENERATOR_SETTINGS = "txGeneratorSettings"
POLICIES_PATH = "/oauth/tokenExchange/processor/policies"
GROUPS_PATH = "/oauth/tokenExchange/generator/groups"
TX_MAPPINGS_PATH = "/oauth/tokenExchange/tokenGeneratorMappings"
# CONTEXT values a processor policy or a policy-to-generator mapping may read.
EXCHANGE_CONTEXT = ("ClientId", "ClientIp", "Resource", "Audience", "RequestedTokenType", "SubjectTokenType",
                    "ActorTokenType", "Scope")
SUBJECT_TOKEN_TYPES = (TT_ACCESS_TOKEN, TT_JWT, TT_ID_TOKEN, TT_SAML2, TT_SAML1)


def policy_contract(policy: Mapping[str, Any]) -> list[str]:
    extended = (policy.get("attributeContract") or {}).get("extendedAttributes") or []
    return [POLICY_CORE] + [a.get("name", "") for a in extended]


def _processor_problems(model: ConfigModel, ref: Any, token_type: str, path: str,
                        role: str) -> tuple[list[FieldError], dict[str, Any] | None]:
    processor_id = ref.get("id", "") if isinstance(ref, Mapping) else ""
    processor = model.get(TOKEN_PROCESSOR, processor_id)
    if processor is None:
        return [FieldError(f"{path}.id", f"Token processor '{processor_id}' does not exist")], None
    kind = processor_types().get(processor["pluginDescriptorRef"]["id"])
    accepted = kind.exchange_types if kind is not None else None  # each type declares what it validates
    if accepted is not None and token_type not in accepted:
        what = ", ".join(accepted) if accepted else "no token exchange token type"
        return [FieldError(f"{path}.id", f"Token processor '{processor_id}' cannot validate {role} tokens of type "
                                         f"'{token_type}'; it takes {what}")], processor
    return [], processor


def policy_problems(model: ConfigModel, doc: Mapping[str, Any]) -> list[FieldError]:
    """What is wrong with a processor policy given the current token processors."""
    from tokensmith.sts.usage import _check_criteria, _check_fulfilment

    errors: list[FieldError] = []
    contract = policy_contract(doc)
    seen_extended: set[str] = set()
    for i, attribute in enumerate((doc.get("attributeContract") or {}).get("extendedAttributes") or []):
        name = attribute.get("name", "")
        if not name or name == POLICY_CORE or name in seen_extended:
            errors.append(FieldError(f"attributeContract.extendedAttributes[{i}].name",
                                     f"'{name}' is empty, the core attribute '{POLICY_CORE}' or a duplicate"))
        seen_extended.add(name)
    mappings = doc.get("processorMappings") or []
    if not mappings:
        errors.append(FieldError("processorMappings", "A processor policy needs at least one processor mapping",
                                 "required_field_missing"))
    pairs: set[tuple[str, str]] = set()
    for i, mapping in enumerate(mappings):
        path = f"processorMappings[{i}]"
        subject_type, actor_type = mapping.get("subjectTokenType", ""), mapping.get("actorTokenType") or ""
        if subject_type not in SUBJECT_TOKEN_TYPES:
            errors.append(FieldError(f"{path}.subjectTokenType", f"'{subject_type}' is not a token type this server "
                                     "can exchange; use one of " + ", ".join(SUBJECT_TOKEN_TYPES)))
        if (subject_type, actor_type) in pairs:
            errors.append(FieldError(f"{path}.subjectTokenType", "Another processor mapping already handles this "
                                     "subject (and actor) token type"))
        pairs.add((subject_type, actor_type))
        problems, subject_proc = _processor_problems(model, mapping.get("subjectTokenProcessor"), subject_type,
                                                     f"{path}.subjectTokenProcessor", "subject")
        errors += problems
        actor_ref = mapping.get("actorTokenProcessor")
        actor_proc = None
        if bool(actor_type) != bool(actor_ref):
            errors.append(FieldError(f"{path}.actorTokenType" if not actor_type else f"{path}.actorTokenProcessor",
                                     "actorTokenType and actorTokenProcessor go together", "required_field_missing"))
        elif doc.get("actorTokenRequired") and not actor_type:
            errors.append(FieldError(f"{path}.actorTokenType", "actorTokenRequired is set, so every processor "
                                     "mapping needs an actorTokenType and actorTokenProcessor",
                                     "required_field_missing"))
        if actor_type and actor_ref:
            if actor_type not in SUBJECT_TOKEN_TYPES:
                errors.append(FieldError(f"{path}.actorTokenType", f"'{actor_type}' is not a token type this "
                                         "server can exchange; use one of " + ", ".join(SUBJECT_TOKEN_TYPES)))
            problems, actor_proc = _processor_problems(model, actor_ref, actor_type, f"{path}.actorTokenProcessor",
                                                       "actor")
            errors += problems
        sources: dict[str, list[str] | None] = {"CONTEXT": list(EXCHANGE_CONTEXT), "TEXT": None, "NO_MAPPING": None}
        if subject_proc is not None:
            sources["SUBJECT_TOKEN"] = contract_names(model, TOKEN_PROCESSOR, subject_proc)
        if actor_proc is not None:
            sources["ACTOR_TOKEN"] = contract_names(model, TOKEN_PROCESSOR, actor_proc)
        errors += _check_fulfilment(mapping.get("attributeContractFulfillment") or {}, contract,
                                    f"processor policy '{doc.get('id')}'", sources,
                                    f"{path}.attributeContractFulfillment")
        errors += _check_criteria(mapping.get("issuanceCriteria"), sources, f"{path}.issuanceCriteria")
        if mapping.get("attributeSources"):
            errors.append(FieldError(f"{path}.attributeSources", "Attribute sources (data stores) are not supported"))
    return errors


def group_problems(model: ConfigModel, doc: Mapping[str, Any]) -> list[FieldError]:
    """What is wrong with a generator group given the current token generators."""
    errors: list[FieldError] = []
    mappings = doc.get("generatorMappings") or []
    if not mappings:
        errors.append(FieldError("generatorMappings", "A generator group needs at least one generator mapping",
                                 "required_field_missing"))
    defaults = [i for i, m in enumerate(mappings) if m.get("defaultMapping")]
    if mappings and len(defaults) != 1:
        errors.append(FieldError("generatorMappings", "Exactly one generator mapping must have defaultMapping true "
                                 f"(it serves requests without requested_token_type); found {len(defaults)}"))
    seen: set[tuple[str, str]] = set()
    types = generator_types()
    for i, mapping in enumerate(mappings):
        path = f"generatorMappings[{i}]"
        requested = mapping.get("requestedTokenType", "")
        generator_id = (mapping.get("tokenGenerator") or {}).get("id", "")
        if (requested, generator_id) in seen:
            errors.append(FieldError(path, f"The pair '{requested}' / '{generator_id}' is mapped twice"))
        seen.add((requested, generator_id))
        generator = model.get(TOKEN_GENERATOR, generator_id)
        if generator is None:
            errors.append(FieldError(f"{path}.tokenGenerator.id", f"Token generator '{generator_id}' does not exist"))
            continue
        kind = types.get(generator["pluginDescriptorRef"]["id"])
        if kind is not None and kind.exchange_type != requested:
            errors.append(FieldError(f"{path}.requestedTokenType", f"Token generator '{generator_id}' issues "
                                     f"'{kind.exchange_type}', not '{requested}'"))
    for i, uri in enumerate(doc.get("resourceUris") or []):
        if "://" not in uri and not uri.startswith("urn:"):
            errors.append(FieldError(f"resourceUris[{i}]", f"'{uri}' is not an absolute URI"))
        for other in model.all(TX_GROUP):
            if other["id"] != doc.get("id") and uri in (other.get("resourceUris") or []):
                errors.append(FieldError(f"resourceUris[{i}]", f"Generator group '{other['id']}' already has "
                                         f"resource URI '{uri}'"))
    return errors


def tx_mapping_problems(model: ConfigModel, doc: Mapping[str, Any]) -> list[FieldError]:
    """What is wrong with a processor-policy-to-generator mapping given the policy and generator."""
    from tokensmith.sts.usage import _check_criteria, _check_fulfilment

    errors: list[FieldError] = []
    policy = model.get(TX_POLICY, doc.get("sourceId") or "")
    generator = model.get(TOKEN_GENERATOR, doc.get("targetId") or "")
    if policy is None:
        errors.append(FieldError("sourceId", f"Token exchange processor policy '{doc.get('sourceId')}' does not "
                                             "exist"))
    if generator is None:
        errors.append(FieldError("targetId", f"Token generator '{doc.get('targetId')}' does not exist"))
    if policy is None or generator is None:
        return errors
    sources: dict[str, list[str] | None] = {
        "TOKEN_EXCHANGE_PROCESSOR_POLICY": policy_contract(policy), "CONTEXT": list(EXCHANGE_CONTEXT),
        "TEXT": None, "NO_MAPPING": None}
    errors += _check_fulfilment(doc.get("attributeContractFulfillment") or {},
                                contract_names(model, TOKEN_GENERATOR, generator),
                                f"token generator '{generator['id']}'", sources, "attributeContractFulfillment")
    errors += _check_criteria(doc.get("issuanceCriteria"), sources, "issuanceCriteria")
    if doc.get("attributeSources"):
        errors.append(FieldError("attributeSources", "Attribute sources (data stores) are not supported"))
    return errors


def _setting_ref(model: ConfigModel, name: str, key: str) -> str | None:
    ref = (model.get(SETTINGS, name) or {}).get(key)
    return ref.get("id") if isinstance(ref, Mapping) else None


def default_policy(model: ConfigModel) -> str | None:
    return _setting_ref(model, PROCESSOR_SETTINGS, "defaultProcessorPolicyRef")


def default_group(model: ConfigModel) -> str | None:
    return _setting_ref(model, GENERATOR_SETTINGS, "defaultGeneratorGroupRef")


def policies_using_processor(model: ConfigModel, processor_id: str) -> list[dict[str, Any]]:
    return [p for p in model.all(TX_POLICY) if any(
        (m.get("subjectTokenProcessor") or {}).get("id") == processor_id
        or (m.get("actorTokenProcessor") or {}).get("id") == processor_id for m in p.get("processorMappings") or [])]


def groups_using_generator(model: ConfigModel, generator_id: str) -> list[dict[str, Any]]:
    return [g for g in model.all(TX_GROUP) if any((m.get("tokenGenerator") or {}).get("id") == generator_id
                                                   for m in g.get("generatorMappings") or [])]


def mappings_using(model: ConfigModel, key: str, ref: str) -> list[dict[str, Any]]:
    return [m for m in model.all(TX_MAPPING) if m.get(key) == ref]
