"""Token exchange processor policies, generator groups and their mappings, compiled for the token
endpoint (built once per configuration version, with the rest of the snapshot).

Only what the hot path reads is kept: per policy its processor mappings keyed by (subject token
type, actor token type), per group its generator per requested token type and its resource URIs,
the policy-to-generator mappings, the defaults, and which policy each client names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tokensmith.config.model import CLIENT, SETTINGS, TX_GROUP, TX_MAPPING, TX_POLICY, ConfigModel
from tokensmith.mapping import CompiledMapping


@dataclass(frozen=True)
class ProcessorMapping:
    subject_type: str
    subject_processor: str
    actor_type: str  # "" when the mapping takes no actor token
    actor_processor: str
    mapping: CompiledMapping  # fills the policy's contract


@dataclass(frozen=True)
class Policy:
    id: str
    actor_required: bool
    contract: tuple[str, ...]  # "subject" first
    mappings: tuple[ProcessorMapping, ...]

    def mapping_for(self, subject_type: str, actor_type: str) -> ProcessorMapping | None:
        for m in self.mappings:
            if m.subject_type == subject_type and m.actor_type == actor_type:
                return m
        return None

    def takes_subject(self, subject_type: str) -> bool:
        return any(m.subject_type == subject_type for m in self.mappings)


@dataclass(frozen=True)
class GeneratorChoice:
    requested_type: str
    generator: str
    default: bool


@dataclass(frozen=True)
class Group:
    id: str
    resource_uris: tuple[str, ...]
    choices: tuple[GeneratorChoice, ...]

    def generator_for(self, requested_type: str | None) -> str | None:
        for c in self.choices:
            if (c.default if requested_type is None else c.requested_type == requested_type):
                return c.generator
        return None


@dataclass(frozen=True)
class CompiledExchange:
    policies: dict[str, Policy] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    generator_mappings: dict[tuple[str, str], CompiledMapping] = field(default_factory=dict)  # (policy, generator)
    default_policy: str | None = None
    default_group: str | None = None
    client_policies: dict[str, str] = field(default_factory=dict)

    def policy_for(self, client_id: str) -> Policy | None:
        chosen = self.client_policies.get(client_id) or self.default_policy
        return self.policies.get(chosen) if chosen else None

    def group_for_resource(self, resource: str) -> Group | None:
        for group in self.groups.values():
            if resource in group.resource_uris:
                return group
        return None


def _ref(doc: dict[str, Any] | None, key: str) -> str | None:
    ref = (doc or {}).get(key)
    return ref.get("id") if isinstance(ref, dict) and ref.get("id") else None


def compile_exchange(model: ConfigModel) -> CompiledExchange:
    policies = {}
    for doc in model.all(TX_POLICY):
        extended = (doc.get("attributeContract") or {}).get("extendedAttributes") or []
        mappings = tuple(
            ProcessorMapping(m["subjectTokenType"], m["subjectTokenProcessor"]["id"], m.get("actorTokenType") or "",
                             (m.get("actorTokenProcessor") or {}).get("id", ""),
                             CompiledMapping.from_doc({"id": doc["id"], **m}))
            for m in doc.get("processorMappings") or [])
        policies[doc["id"]] = Policy(doc["id"], bool(doc.get("actorTokenRequired")),
                                     ("subject", *(a["name"] for a in extended)), mappings)
    groups = {doc["id"]: Group(doc["id"], tuple(doc.get("resourceUris") or []), tuple(
        GeneratorChoice(m["requestedTokenType"], m["tokenGenerator"]["id"], bool(m.get("defaultMapping")))
        for m in doc.get("generatorMappings") or [])) for doc in model.all(TX_GROUP)}
    generator_mappings = {(doc["sourceId"], doc["targetId"]): CompiledMapping.from_doc(doc)
                          for doc in model.all(TX_MAPPING)}
    clients = {doc["clientId"]: ref for doc in model.all(CLIENT)
               if (ref := _ref(doc, "tokenExchangeProcessorPolicyRef")) is not None}
    return CompiledExchange(
        policies, groups, generator_mappings,
        _ref(model.get(SETTINGS, "txProcessorSettings"), "defaultProcessorPolicyRef"),
        _ref(model.get(SETTINGS, "txGeneratorSettings"), "defaultGeneratorGroupRef"), clients)
